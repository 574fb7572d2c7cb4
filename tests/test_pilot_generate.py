"""The committed example pilot data is exactly what the generator builds today."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from screening.pilot import read_pilot

from .conftest import REPO

EXAMPLE = REPO / "examples" / "pilot"


def _build_module():
    spec = importlib.util.spec_from_file_location("example_pilot_build", EXAMPLE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_committed_example_equals_a_fresh_build(tmp_path: Path) -> None:
    _build_module().build(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file() and p.name != "build.py")
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), f"{rel} is stale: run examples/pilot/build.py"


def test_example_forms_hold_the_same_data_and_the_truth_matches() -> None:
    data = read_pilot(EXAMPLE / "pilot.json")
    assert read_pilot(EXAMPLE / "csv") == data.model_copy(update={"generated_at": None})
    truth = json.loads((EXAMPLE / "truth.json").read_text())["planted"][0]
    assert truth["rubric_id"] == data.rubrics[0].id
    assert {s.ref for s in data.submissions if s.version > 1} == set(truth["resubmissions"])
    # Pseudonyms only: no text beyond the public rubric wording.
    assert all(j.assessor.startswith("A") for s in data.submissions for j in s.judgments)
