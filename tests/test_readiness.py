"""The readiness summary: counts and fixes, in the order most worth making."""

from __future__ import annotations

import re

from screening.report.model import DetailResult, Flag, Location, PartSummary
from screening.report.readiness import readiness


def _flag(code: str, severity: str = "warning", **kw) -> Flag:
    return Flag(code=code, severity=severity, message=kw.pop("message", code), hint="", check="t", **kw)


def _detail(i: str, status: str) -> DetailResult:
    return DetailResult(id=i, eo=i[0], text="", derived=True, status=status, best_score=None, evidence=[])


PARTS = [
    PartSummary(part="narrative", title="Responsive narrative", files=["n.docx"], words=1200, minimum=1000, meets_minimum=True),
    PartSummary(part="reflection", title="Reflection and application", files=["r.md"], words=380, minimum=500,
                meets_minimum=False),
]


def test_counts_and_priority_order():
    flags = [
        _flag("weak_evidence", detail_id="1.3"),
        _flag("citation_wrong_location", detail_id="2.1", location=Location(row=5)),
        _flag("citation_page_out_of_range", location=Location(row=7)),
        _flag("citation_missing_row", detail_id="1.4"),
        _flag("explanation_too_short", location=Location(row=2)),
        _flag("word_minimum", "error"),
        _flag("missing_evidence", "error", detail_id="4.2"),
        _flag("rubric_echo", file="narrative.docx", location=Location(char_start=0, char_end=10)),
        _flag("student_privacy", file="artifacts/roster.pdf", location=Location(page=2)),
        _flag("no_text_layer", "error", file="artifacts/scan.pdf"),
    ]
    details = [_detail("1.3", "weak"), _detail("4.2", "missing"), _detail("2.1", "met"), _detail("2.2", "met")]
    r = readiness(details, PARTS, flags, max_fixes=20)
    assert (r.details_strong, r.details_weak, r.details_missing) == (2, 1, 1)
    assert r.citation_problems == 4 and r.word_minimum_problems == 1 and r.privacy_warnings == 1
    assert r.echo_passages == 1 and r.file_problems == 1
    assert [fx.codes for fx in r.fixes] == [
        ["student_privacy"], ["no_text_layer"], ["missing_evidence"], ["word_minimum"],
        ["citation_missing_row", "citation_page_out_of_range"], ["citation_wrong_location"], ["rubric_echo"],
        ["weak_evidence"], ["explanation_too_short"],
    ]
    assert [fx.priority for fx in r.fixes] == list(range(1, 10))
    texts = [fx.text for fx in r.fixes]
    assert texts[0].startswith("Redact students' personal data") and "roster.pdf p. 2" in texts[0]
    assert "scan.pdf" in texts[1]
    assert "4.2" in texts[2]
    assert "reflection and application by at least 120 words (380 of 500)" in texts[3]
    assert texts[4].endswith("(1 page that does not exist, 1 detail with no row): row 7.")
    assert "2.1" in texts[5] and "row 5" in texts[5]
    assert "1.3" in texts[7] and "row 2" in texts[8]


def test_fix_list_is_capped_and_says_how_many_more():
    flags = [_flag("missing_evidence", detail_id="1.1"), _flag("weak_evidence", detail_id="1.2"),
             _flag("rubric_echo", file="n.txt"), _flag("explanation_too_short", location=Location(row=1))]
    r = readiness([], PARTS, flags, max_fixes=2)
    assert len(r.fixes) == 2 and r.more_fixes == 2
    assert r.fixes[0].codes == ["missing_evidence"]


def test_nothing_to_fix():
    r = readiness([_detail("1.1", "met")], PARTS[:1], [], max_fixes=5)
    assert r.fixes == [] and r.more_fixes == 0 and r.details_strong == 1


def test_wording_is_advisory():
    flags = [_flag(c, detail_id="1.1", file="a.pdf", location=Location(row=1, page=1)) for c in (
        "student_privacy", "file_unreadable", "part_missing", "missing_evidence", "word_minimum",
        "citation_missing_artifact", "citation_wrong_location", "rubric_echo", "weak_evidence", "explanation_too_short")]
    r = readiness([], PARTS, flags, max_fixes=20)
    words = " ".join(fx.text.lower() for fx in r.fixes)
    for verdict in ("pass", "passes", "fail", "fails", "ready to submit", "not ready", "award", "denied", "proficient"):
        assert not re.search(rf"\b{verdict}\b", words), verdict
    assert "1 file not in the submission" in words and "1 paragraph that restates" in words


def test_guidance_is_not_a_fix():
    # Notes on derived details of an EO evidenced as a whole (their weak or missing evidence, and a
    # general row for such a detail) are guidance, not fixes to make.
    flags = [_flag("weak_evidence", "info", detail_id="1.2"), _flag("missing_evidence", "info", detail_id="1.3"),
             _flag("explanation_too_short", "info", detail_id="1.2", location=Location(row=3)),
             _flag("explanation_too_short", detail_id="2.1", location=Location(row=5))]
    r = readiness([], PARTS, flags, max_fixes=20)
    assert [fx.codes for fx in r.fixes] == [["explanation_too_short"]]
    assert r.fixes[0].flags == 1 and "row 5" in r.fixes[0].text and "row 3" not in r.fixes[0].text
