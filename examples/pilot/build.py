#!/usr/bin/env python3
"""Build the example pilot data: ``pilot.json``, the same data as CSV tables in ``csv/``, and
``truth.json`` (what was planted), generated for the Professional Learning rubric.

Deterministic: the same seed and code give identical files (tests/test_pilot_generate.py
rebuilds them and compares). Run ``python examples/pilot/build.py`` after changing the generator.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from screening.pilot import write_csv, write_json
from screening.pilot.generate import GeneratedPilot, PilotSpec, generate
from screening.rubric import RubricCatalogue

HERE = Path(__file__).resolve().parent
RUBRICS = HERE.parents[1] / "rubrics"
RUBRIC_ID = "mo-il-professional-learning"
SEED = 2026


def example() -> GeneratedPilot:
    return generate(RubricCatalogue([RUBRICS]).get(RUBRIC_ID), PilotSpec(), SEED)


def build(out: Path) -> list[Path]:
    generated = example()
    out.mkdir(parents=True, exist_ok=True)
    truth = {"seed": SEED, "spec": asdict(PilotSpec()),
             "planted": [{**asdict(t), "expected_findings": sorted([k, list(s)] for k, s in t.expected_findings())}
                         for t in generated.truth]}
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return [write_json(generated.data, out / "pilot.json"), write_csv(generated.data, out / "csv"), out / "truth.json"]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Build the example pilot data.")
    ap.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: examples/pilot)")
    for path in build(ap.parse_args().out):
        print(f"wrote {path}")
