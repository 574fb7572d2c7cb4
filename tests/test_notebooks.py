"""The designers' notebooks run top to bottom on the example pilot data (CI runs this file)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_is_one_notebook_per_question() -> None:
    assert [p.stem for p in NOTEBOOKS] == ["do-our-assessors-agree", "is-the-advice-trustworthy", "which-details-are-unclear"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, monkeypatch) -> None:
    # The kernel is a fresh process: make it import this checkout's screening package.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("PILOT_DATA", raising=False)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "mo-il-professional-learning 2026.1" in text
    assert any("image/png" in o.get("data", {}) for o in outputs) or "calibration" in text
