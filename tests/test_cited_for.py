"""A flag about an artifact names the EO its citing rows name (screening/checks/cited_for.py)."""

from __future__ import annotations

from types import SimpleNamespace

from screening.checks import RaisedFlag
from screening.checks.cited_for import with_cited_eos
from screening.selfanalysis import Citation, Location, SelfAnalysis
from screening.settings import Settings


def _row(row: int, detail: str, artifact: str, kind: str, start: float | None, end: float | None = None) -> Citation:
    return Citation(row=row, detail_ids=(detail,), target_raw=detail, artifact_raw=artifact,
                    locations=(Location(kind, start, end, "as written"),), unparsed_locations=(),
                    explanation="What the page shows, with names and dates.")


def _ctx(rubric, rows: list[Citation]):
    files = [(SimpleNamespace(name=n, role="artifact"), None) for n in ("artifacts/minutes.pdf", "artifacts/debrief.ogg")]
    analysis = SelfAnalysis(citations=tuple(rows), columns={}, problems=())
    return SimpleNamespace(rubric=rubric, settings=Settings(), files=files,
                           self_analyses=((SimpleNamespace(name="self-analysis.csv"), analysis),))


def _privacy(page: int) -> RaisedFlag:
    return RaisedFlag("student_privacy", "x", {}, file="artifacts/minutes.pdf", location={"page": page, "label": f"p. {page}"})


def test_a_flagged_page_takes_the_eo_and_detail_of_the_row_citing_it(pl_rubric):
    ctx = _ctx(pl_rubric, [_row(2, "2.1", "minutes.pdf", "page", 1), _row(3, "2.3", "minutes.pdf", "page", 3),
                           _row(4, "3.1", "debrief.ogg", "time", 20, 60)])
    [flag] = with_cited_eos([_privacy(3)], ctx)
    assert (flag.eo, flag.detail_id) == ("2", "2.3")
    assert "EO 2 (row 3)" in flag.note


def test_a_page_no_row_cites_takes_the_eo_every_row_citing_the_file_names_without_a_detail(pl_rubric):
    ctx = _ctx(pl_rubric, [_row(2, "2.1", "minutes.pdf", "page", 1), _row(3, "2.2", "minutes.pdf", "page", 2)])
    [flag] = with_cited_eos([_privacy(4)], ctx)
    assert (flag.eo, flag.detail_id) == ("2", None)
    assert "minutes.pdf as evidence for EO 2 (rows 2, 3)" in flag.note


def test_rows_of_two_eos_leave_the_flag_without_an_eo(pl_rubric):
    ctx = _ctx(pl_rubric, [_row(2, "1.3", "minutes.pdf", "page", 3), _row(3, "2.3", "minutes.pdf", "page", 2, 4)])
    [flag] = with_cited_eos([_privacy(3)], ctx)
    assert (flag.eo, flag.detail_id, flag.note) == (None, None, None)


def test_a_stretch_of_a_recording_takes_the_eo_of_the_row_citing_an_overlapping_time(pl_rubric):
    ctx = _ctx(pl_rubric, [_row(2, "1.1", "debrief.ogg", "time", 0, 15), _row(3, "3.2", "debrief.ogg", "time", 40, 70)])
    language = RaisedFlag("language", "x", {}, file="artifacts/debrief.ogg",
                          location={"start_s": 45.0, "end_s": 62.0, "label": "00:45–01:02"})
    [flag] = with_cited_eos([language], ctx)
    assert (flag.eo, flag.detail_id) == ("3", "3.2")


def test_row_flags_flags_with_an_eo_and_uncited_files_are_left_as_they_are(pl_rubric):
    ctx = _ctx(pl_rubric, [_row(2, "2.1", "minutes.pdf", "page", 1)])
    row_flag = RaisedFlag("citation_page_out_of_range", "x", {}, file="artifacts/minutes.pdf", location={"row": 2, "page": 1})
    with_eo = RaisedFlag("student_privacy", "x", {}, eo="4", file="artifacts/minutes.pdf", location={"page": 1})
    uncited = RaisedFlag("no_text_layer", "x", {}, file="artifacts/scan.pdf", location={"page": 1})
    assert with_cited_eos([row_flag, with_eo, uncited], ctx) == [row_flag, with_eo, uncited]

