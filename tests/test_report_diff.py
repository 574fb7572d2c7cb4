"""Resubmission diffs: what changed between two reports of a submission."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

import pytest

from screening.cli import main
from screening.errors import ExportError, UsageError
from screening.report.diff import diff_reports, flag_key, read_report, to_markdown
from screening.report.model import (
    DetailResult,
    FileEntry,
    Flag,
    Location,
    PartSummary,
    Readiness,
    Report,
    RubricRef,
    Summary,
    ToolInfo,
)

from .conftest import REPO

sys.path.insert(0, str(REPO / "examples"))
from build import load_plants  # noqa: E402

SRC = REPO / "examples" / "src" / "professional-learning"
RUBRIC = RubricRef(id="mo-il-professional-learning", version="2026.1", content_hash="sha256:" + "a" * 64,
                   title="Professional Learning")


def _report(*, statuses: dict[str, str], flags: list[Flag], words: dict[str, int], files: dict[str, str],
            rubric: RubricRef = RUBRIC, at: int = 1) -> Report:
    """A small but schema-valid report, for the cases the example submissions do not show."""
    minimums = {"narrative": 1000, "portfolio": None, "reflection": 500}
    return Report(
        generated_at=datetime(2026, 3, at, tzinfo=timezone.utc), tool=ToolInfo(version="test"), rubric=rubric,
        models={}, checks=[], settings={},
        readiness=Readiness(details_strong=0, details_weak=0, details_missing=0, citation_problems=0,
                            word_minimum_problems=0, privacy_warnings=0, echo_passages=0, file_problems=0,
                            fixes=[], more_fixes=0),
        summary=Summary(details=len(statuses), met=0, weak=0, missing=0, flags={}, files=len(files),
                        files_unreadable=0),
        files=[FileEntry(name=n, part="narrative", role="narrative", kind="text", sha256=sha, size_bytes=1,
                         words=1, passages=1, readable=True) for n, sha in files.items()],
        parts=[PartSummary(part=k, title=k.title(), files=[], words=w, minimum=minimums[k],
                           meets_minimum=None if minimums[k] is None else w >= minimums[k]) for k, w in words.items()],
        eos=[],
        details=[DetailResult(id=i, eo=i.split(".")[0], text=f"detail {i}", derived=True, status=s,  # type: ignore[arg-type]
                              best_score=None, evidence=[]) for i, s in statuses.items()],
        flags=flags,
    )


def _flag(code: str, message: str = "m", **kw) -> Flag:
    return Flag(code=code, severity=kw.pop("severity", "warning"), message=message, hint="h", check="c", **kw)


def test_statuses_flags_words_and_files():
    old = _report(
        statuses={"1.1": "missing", "1.2": "weak", "1.3": "met", "2.1": "met"},
        flags=[_flag("weak_evidence", detail_id="1.2", file="narrative.md"),
               _flag("citation_unparsed", "Row 4: 'the end'", file="sa.csv", location=Location(row=4)),
               _flag("citation_unparsed", "Row 5: 'later'", file="sa.csv", location=Location(row=5)),
               _flag("word_minimum", part="reflection", severity="error")],
        words={"narrative": 1100, "portfolio": 300, "reflection": 420},
        files={"narrative.md": "1" * 64, "sa.csv": "2" * 64, "old-plan.pdf": "3" * 64, "log.pdf": "4" * 64})
    new = _report(
        statuses={"1.1": "met", "1.2": "weak", "1.3": "weak", "2.1": "met"},
        flags=[_flag("weak_evidence", "reworded", detail_id="1.2", file="narrative.md"),
               _flag("citation_unparsed", "Row 5: 'later' (new wording)", file="sa.csv", location=Location(row=5)),
               _flag("weak_evidence", detail_id="1.3", file="narrative.md")],
        words={"narrative": 1180, "portfolio": 300, "reflection": 560},
        files={"narrative.md": "9" * 64, "sa.csv": "2" * 64, "plan-2026.pdf": "3" * 64, "minutes.pdf": "5" * 64},
        at=2)
    d = diff_reports(old, new)
    assert [(m.detail_id, m.old, m.new, m.direction) for m in d.details_moved] == [
        ("1.1", "missing", "met", "up"), ("1.3", "met", "weak", "down")]
    assert d.details_unchanged == 2
    # matched by code + detail + file + row/page: rewording is no change, row 4 cleared
    assert [(f.code, f.detail_id) for f in d.flags_added] == [("weak_evidence", "1.3")]
    assert [(f.code, f.location.row if f.location else None) for f in d.flags_cleared] == [
        ("citation_unparsed", 4), ("word_minimum", None)]
    assert d.flags_unchanged == 2
    words = {w.part: (w.old, w.new, w.delta, w.new_meets_minimum) for w in d.words}
    assert words == {"narrative": (1100, 1180, 80, True), "portfolio": (300, 300, 0, None),
                     "reflection": (420, 560, 140, True)}
    assert [f.name for f in d.files_added] == ["minutes.pdf"]
    assert [f.name for f in d.files_removed] == ["log.pdf"]
    assert [(f.name, f.old_sha256[0], f.new_sha256[0]) for f in d.files_changed] == [("narrative.md", "1", "9")]
    assert [(r.old_name, r.new_name) for r in d.files_renamed] == [("old-plan.pdf", "plan-2026.pdf")]
    assert d.files_unchanged == ["sa.csv"] and d.rubric_changed is False
    md = to_markdown(d)
    assert "| 1.1 | no passage found | passages found |" in md
    assert "| Reflection | 420 | 560 | +140 | 500 |" in md
    assert "- renamed: old-plan.pdf → plan-2026.pdf" in md and "- removed: log.pdf" in md


def test_repeated_flags_are_counted_not_merged():
    privacy = _flag("student_privacy", file="log.pdf", location=Location(page=6))
    old = _report(statuses={}, flags=[privacy], words={}, files={})
    new = _report(statuses={}, flags=[privacy, privacy.model_copy(update={"message": "another"})], words={}, files={})
    d = diff_reports(old, new)
    assert len(d.flags_added) == 1 and d.flags_cleared == [] and d.flags_unchanged == 1
    assert flag_key(privacy) == ("student_privacy", None, "log.pdf", None, 6)


def test_rubric_version_change_is_noted():
    newer = RUBRIC.model_copy(update={"version": "2027.1", "content_hash": "sha256:" + "b" * 64})
    old = _report(statuses={"1.1": "met", "1.2": "met"}, flags=[], words={}, files={})
    new = _report(statuses={"1.1": "met", "1.5": "weak"}, flags=[], words={}, files={}, rubric=newer)
    d = diff_reports(old, new)
    assert d.rubric_changed and d.details_added == ["1.5"] and d.details_removed == ["1.2"]
    assert "version 2026.1 → 2027.1" in to_markdown(d)


def test_reports_of_different_rubrics_are_refused():
    other = RUBRIC.model_copy(update={"id": "mo-il-curriculum"})
    with pytest.raises(ExportError, match=r"\[E021\].*'mo-il-professional-learning', the new one 'mo-il-curriculum'"):
        diff_reports(_report(statuses={}, flags=[], words={}, files={}),
                     _report(statuses={}, flags=[], words={}, files={}, rubric=other))


def test_reading_bad_report_files(tmp_path):
    with pytest.raises(UsageError, match=r"\[E005\]"):
        read_report(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UsageError, match=r"\[E019\]"):
        read_report(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text(json.dumps({"schema_version": "1.1", "rubric": {}}))
    with pytest.raises(UsageError, match=r"\[E020\] .*other.json is not a screening report"):
        read_report(tmp_path / "other.json")


def test_cli_diff_formats_and_exit_codes(tmp_path, capsys):
    old = _report(statuses={"1.1": "weak"}, flags=[], words={"narrative": 900}, files={})
    new = _report(statuses={"1.1": "met"}, flags=[], words={"narrative": 1000}, files={}, at=2)
    (tmp_path / "old.json").write_text(old.model_dump_json())
    (tmp_path / "new.json").write_text(new.model_dump_json())
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["details_moved"] == [{"detail_id": "1.1", "eo": "1", "old": "weak", "new": "met", "direction": "up"}]
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "-o", str(tmp_path / "d.md")]) == 0
    assert "| Narrative | 900 | 1,000 | +100 | 1,000 |" in (tmp_path / "d.md").read_text()
    other = new.model_copy(update={"rubric": RUBRIC.model_copy(update={"id": "mo-il-assessment"})})
    (tmp_path / "other.json").write_text(other.model_dump_json())
    capsys.readouterr()
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "other.json")]) == 2
    assert "[E021]" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text("not json")
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "broken.json")]) == 2
    assert "[E019]" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The example submission and its copy with planted problems, screened for real.


@pytest.fixture(scope="module")
def example_reports(catalogue):
    from screening.pipeline import screen
    from screening.settings import Settings
    from screening.submission import from_folder

    settings = Settings(rubric_dirs=[REPO / "rubrics"], use_cache=False)
    rubric = catalogue.get("mo-il-professional-learning")
    return {name: screen(from_folder(REPO / "examples" / folder), rubric, settings).report
            for name, folder in (("clean", "professional-learning"), ("planted", "professional-learning-planted"))}


@pytest.mark.models
def test_planted_copy_diff_shows_exactly_the_planted_flags(example_reports):
    clean, planted = example_reports["clean"], example_reports["planted"]
    d = diff_reports(clean, planted)
    unmatched = list(d.flags_added)
    for want in load_plants(SRC)["expect"]:
        hits = [f for f in unmatched if f.code == want["code"] and all(
            (f.location.row if f.location else None) == v if k == "row" else getattr(f, k) == v
            for k, v in want.items() if k != "code")]
        assert len(hits) == 1, f"{want}: {len(hits)} matching added flags"
        unmatched.remove(hits[0])
    assert unmatched == [] and d.flags_cleared == []
    assert d.flags_unchanged == len(clean.flags)
    # statuses, words and files agree with the two reports themselves
    before = {x.id: x.status for x in clean.details}
    assert {(m.detail_id, m.old, m.new) for m in d.details_moved} == {
        (x.id, before[x.id], x.status) for x in planted.details if x.status != before[x.id]}
    old_words = {p.part: p.words for p in clean.parts}
    assert {w.part: w.delta for w in d.words} == {p.part: p.words - old_words[p.part] for p in planted.parts}
    reflection = next(w for w in d.words if w.part == "reflection")
    assert reflection.delta < 0 and reflection.old_meets_minimum and reflection.new_meets_minimum is False
    # planted.yaml touches the narrative, the reflection, the self-analysis and the coaching log
    assert {f.name for f in d.files_changed} == {
        "narrative.docx", "reflection.md", "self-analysis.csv", "artifacts/coaching-and-peer-observation-log.pdf"}
    assert set(d.files_unchanged) == {"artifacts/pl-committee-minutes-and-survey.pdf", "artifacts/pl-plan-2025-26.pdf"}
    assert not (d.files_added or d.files_removed or d.files_renamed or d.rubric_changed)
    # the summary a released decision keeps of the machine report (Open Badges extension)
    from screening.exports.decision import AdvisorySummary

    summary = AdvisorySummary.from_report(planted)
    assert sum(summary.flag_counts.values()) == len(planted.flags)
    assert summary.flag_counts["citation_missing_row"] == 1
    assert summary.detail_statuses == {x.id: x.status for x in planted.details}
    # and back: the planted problems are cleared, nothing added
    back = diff_reports(planted, clean)
    assert {flag_key_entry(f) for f in back.flags_cleared} == {flag_key_entry(f) for f in d.flags_added}
    assert back.flags_added == []


def flag_key_entry(f) -> tuple:
    return (f.code, f.detail_id, f.file, f.location.row if f.location else None,
            f.location.page if f.location else None)


def _as_stored(report: Report, version: str) -> dict:
    """``report`` as a report of an earlier schema stored it: without the fields added since."""
    data = json.loads(report.model_dump_json())
    data["schema_version"] = version
    del data["calibration"]
    for d in data["details"]:
        del d["features"]
    if version == "1.0":
        del data["readiness"]
    return data


def test_a_stored_1_1_report_is_read_and_diffed(tmp_path):
    old = _report(statuses={"1.1": "weak"}, flags=[], words={"narrative": 900}, files={})
    new = _report(statuses={"1.1": "met"}, flags=[], words={"narrative": 1000}, files={}, at=2)
    (tmp_path / "old.json").write_text(json.dumps(_as_stored(old, "1.1")))
    read = read_report(tmp_path / "old.json")
    assert read.schema_version == "1.2" and read.calibration.reason == "not recorded"
    assert read.details[0].features == {} and read.details[0].status == "weak"
    assert diff_reports(read, new).details_moved[0].direction == "up"
    (tmp_path / "ancient.json").write_text(json.dumps(_as_stored(old, "1.0")))
    with pytest.raises(UsageError, match=r"\[E020\] .*report schema 1\.1 or 1\.2\): it is a report of schema 1\.0"):
        read_report(tmp_path / "ancient.json")
