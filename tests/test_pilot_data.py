"""Pilot data (docs/pilot-data.md): both forms hold the same data; bad files get coded errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.errors import UsageError
from screening.pilot import (
    Judgment, PilotData, csv_tables, flag_ref, pilot_rubric, pilot_submission, read_pilot, write_csv, write_json,
)


def _report(rubric, statuses: list[str]) -> dict:
    details = [d for eo in rubric.essential_outcomes for d in eo.details]
    return {
        "rubric": {"id": rubric.id, "version": rubric.version},
        "files": [{"name": "narrative.docx", "size_bytes": 1200}, {"name": "plan.pdf", "size_bytes": 50_000}],
        "parts": [{"part": "narrative", "words": 1040}, {"part": "reflection", "words": 480}],
        "details": [{"id": d.id, "eo": d.id.split(".")[0], "status": s, "best_score": 0.5,
                     "features": {"dense_max": 0.5, "lexical": 0.25},
                     "evidence": [{"file": "plan.pdf", "char_start": 10, "char_end": 90, "text": "Ms. Doe's plan"}]}
                    for d, s in zip(details, statuses)],
        "flags": [{"code": "evidence_missing", "detail_id": details[0].id, "eo": "1", "message": "text"},
                  {"code": "word_minimum_not_met", "part": "reflection", "message": "text"}],
    }


def _data(pl_rubric) -> PilotData:
    n = sum(len(eo.details) for eo in pl_rubric.essential_outcomes)
    report = _report(pl_rubric, ["missing"] + ["met"] * (n - 1))
    first = pl_rubric.essential_outcomes[0]
    judgments = [
        Judgment(assessor="A1", role="first", details={first.details[0].id: "missing"},
                 eo_levels={first.id: "progressing"}, flags={flag_ref(0): "confirmed", flag_ref(1): "overridden"}),
        Judgment(assessor="A2", role="second", details={first.details[0].id: "weak"}, eo_levels={first.id: "not_yet"}),
    ]
    sub = pilot_submission(report, ref="s1", submitted_month="2026-10", judgments=judgments, outcome="not_yet")
    bare = pilot_submission(_report(pl_rubric, ["met"] * n), ref="s2")
    return PilotData(rubrics=[pilot_rubric(pl_rubric, "abc")], submissions=[sub, bare])


def test_pilot_submission_keeps_no_text(pl_rubric) -> None:
    data = _data(pl_rubric)
    dumped = data.model_dump_json()
    assert "Ms. Doe" not in dumped and "plan.pdf" not in dumped and "narrative.docx" not in dumped
    sub = data.submissions[0]
    assert sub.files == 2 and sub.size_bytes == 51_200
    assert sub.words_by_part == {"narrative": 1040, "reflection": 480}
    assert [f.ref for f in sub.flags] == ["f1", "f2"]
    # The same span in another submission gets another key: keys link details within one submission only.
    assert sub.details[0].evidence != data.submissions[1].details[0].evidence


def test_json_and_csv_forms_round_trip(pl_rubric, tmp_path: Path) -> None:
    data = _data(pl_rubric)
    assert read_pilot(write_json(data, tmp_path / "pilot.json")) == data
    from_csv = read_pilot(write_csv(data, tmp_path / "pilot"))
    assert from_csv == data.model_copy(update={"generated_at": None})
    header = csv_tables(data)["details.csv"].splitlines()[0]
    assert header.endswith("f_dense_max,f_lexical")


def test_references_are_checked(pl_rubric, tmp_path: Path) -> None:
    raw = json.loads(_data(pl_rubric).model_dump_json())
    raw["submissions"][0]["judgments"][0]["eo_levels"] = {"1": "excellent"}
    raw["submissions"][0]["judgments"][0]["flags"] = {"f9": "confirmed"}
    (tmp_path / "bad.json").write_text(json.dumps(raw))
    with pytest.raises(UsageError, match=r"\[E030\].*level 'excellent'.*flag f9 is not a flag"):
        read_pilot(tmp_path / "bad.json")


@pytest.mark.parametrize("damage, expected", [
    (lambda folder: (folder / "flags.csv").unlink(), "has no flags.csv"),
    (lambda folder: (folder / "judgments.csv").write_text("ref,assessor\n"), "lacks the column"),
    (lambda folder: (folder / "details.csv").write_text(
        (folder / "details.csv").read_text().replace("s1,", "s9,", 1)), "not in submissions.csv"),
])
def test_damaged_csv_folders_get_coded_errors(pl_rubric, tmp_path: Path, damage, expected) -> None:
    folder = write_csv(_data(pl_rubric), tmp_path / "pilot")
    damage(folder)
    with pytest.raises(UsageError, match=r"\[E030\].*" + expected):
        read_pilot(folder)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\[E005\]"):
        read_pilot(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(UsageError, match=r"\[E030\]"):
        read_pilot(tmp_path / "x.json")
