"""Evidence self-analysis: the location grammar, headers, targets, artifact names and every input
form (CSV, XLSX, DOCX, PDF, JSON, YAML) giving the same citations for the same content."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from screening.selfanalysis import (
    Location,
    ProblemCode,
    SelfAnalysis,
    artifact_mentions,
    match_artifact,
    parse_locations,
    read_self_analysis,
    split_artifact_names,
)
from screening.selfanalysis.grids import Grid, _pdf_cell
from screening.selfanalysis.headers import map_headers
from screening.selfanalysis.table import assemble
from screening.selfanalysis.targets import TargetResolver

from .conftest import REPO

EXAMPLE = REPO / "examples" / "professional-learning" / "self-analysis.csv"
ARTIFACTS = sorted(p.name for p in (REPO / "examples" / "professional-learning" / "artifacts").iterdir())
HEADER = ["EO detail", "Artifact", "Location", "Explanation"]


def _example_rows() -> list[list[str]]:
    with EXAMPLE.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


# A few rows beyond the example's: several targets, several artifacts, times, a wording target.
EXTRA_ROWS = [
    ["EO 2", "pl-plan-2025-26.pdf; pl-committee-minutes-and-survey.pdf", "p. 3 and 5, 12:30-14:05", "Both documents show it."],
    ["2.1, 2.3", "kickoff-video.mp4", "at 1:02:10", "The kickoff video shows teachers presenting survey results."],
    [
        "The plan includes a process for monitoring implementation during the year",
        "pl-plan-2025-26.pdf",
        "slides 2-4; entire document",
        "Monitoring is described throughout.",
    ],
]


def _rows() -> list[list[str]]:
    return _example_rows() + EXTRA_ROWS


def _codes(sa: SelfAnalysis) -> list[str]:
    return [p.code for p in sa.problems]


def _content(sa: SelfAnalysis) -> list[tuple]:
    """A citation without its row number (JSON/YAML number list items, tables number rows)."""
    return [(c.detail_ids, c.target_raw, c.artifact_raw, c.locations, c.unparsed_locations, c.explanation) for c in sa.citations]


# ---------------------------------------------------------------------------------------------
# Location grammar


def _simple(locs: list[Location]) -> list[tuple]:
    return [(loc.kind, loc.start, loc.end) for loc in locs]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("p. 4", [("page", 4, None)]),
        ("p.4", [("page", 4, None)]),
        ("p4", [("page", 4, None)]),
        ("page 4", [("page", 4, None)]),
        ("Page #4", [("page", 4, None)]),
        ("pg 4", [("page", 4, None)]),
        ("pages 4-6", [("page", 4, 6)]),
        ("pages 4 to 6", [("page", 4, 6)]),
        ("pp. 4\u20136", [("page", 4, 6)]),
        ("pp. 4, 7", [("page", 4, None), ("page", 7, None)]),
        ("p. 3 and 5", [("page", 3, None), ("page", 5, None)]),
        ("pages 4-6, 9", [("page", 4, 6), ("page", 9, None)]),
        ("slide 3", [("slide", 3, None)]),
        ("slides 2-4", [("slide", 2, 4)]),
        ("at 12:30", [("time", 750.0, None)]),
        ("12:30", [("time", 750.0, None)]),
        ("12:30-14:05", [("time", 750.0, 845.0)]),
        ("12:30 \u2013 14:05", [("time", 750.0, 845.0)]),
        ("1:02:10", [("time", 3730.0, None)]),
        ("0:45 to 1:30", [("time", 45.0, 90.0)]),
        ("minute 3", [("time", 180.0, None)]),
        ("minutes 3-5", [("time", 180.0, 300.0)]),
        ("3 min 20 s", [("time", 200.0, None)]),
        ("3m10s", [("time", 190.0, None)]),
        ("45 seconds", [("time", 45.0, None)]),
        ("3:05 (video)", [("time", 185.0, None)]),
        ("page 2, 03:10-04:00", [("page", 2, None), ("time", 190.0, 240.0)]),
        ("Page 3; slide 2; 1:00:00-1:05:30", [("page", 3, None), ("slide", 2, None), ("time", 3600.0, 3930.0)]),
        ("entire document", [("whole", None, None)]),
        ("all", [("whole", None, None)]),
        ("whole video", [("whole", None, None)]),
        ("see p. 4", [("page", 4, None)]),
        ("rows 2-8", [("row", 2, 8)]),  # a spreadsheet's rows (a coaching tracker, test79)
        ("p. 2, row 3", [("page", 2, None), ("row", 3, None)]),
    ],
)
def test_location_grammar(text, expected):
    locations, unparsed = parse_locations(text)
    assert _simple(locations) == expected
    assert unparsed == []


def test_location_keeps_raw_phrase_and_types():
    locations, _ = parse_locations("pp. 4, 7 and at 12:30")
    assert [loc.raw for loc in locations] == ["pp. 4, 7", "pp. 4, 7", "at 12:30"]
    assert isinstance(locations[0].start, int) and isinstance(locations[2].start, float)


@pytest.mark.parametrize(
    "text, unparsed",
    [
        ("somewhere in the middle", ["somewhere in the middle"]),
        ("page four", ["page four"]),  # number words are not guessed
        ("pp. 6-4", ["pp. 6-4"]),  # a range that ends before it starts
        ("p. 0", ["p. 0"]),
        ("12:75", ["12:75"]),  # 75 seconds is not a time stamp
        ("4", ["4"]),  # a bare number could be a page, a slide or a minute
        ("TBD", ["TBD"]),
        ("2025-10-01", ["2025-10-01"]),
        ("all staff meeting", ["all staff meeting"]),
        ("rows", ["rows"]),  # rows with no number
        ("arrows 3", ["arrows", "3"]),
    ],
)
def test_garbage_is_left_unparsed_verbatim(text, unparsed):
    assert parse_locations(text) == ([], unparsed)


def test_parsed_and_unparsed_parts_of_one_cell():
    locations, unparsed = parse_locations("p. 4 in the appendix; chart on the back")
    assert _simple(locations) == [("page", 4, None)]
    assert unparsed == ["in the appendix", "chart on the back"]
    locations, unparsed = parse_locations("pp. 4, 9-7")
    assert _simple(locations) == [("page", 4, None)] and unparsed == ["9-7"]


def test_bare_numbers_need_the_column_to_say_what_they_are():
    assert _simple(parse_locations("4, 6-7", default_kind="page")[0]) == [("page", 4, None), ("page", 6, 7)]
    assert _simple(parse_locations("2", default_kind="slide")[0]) == [("slide", 2, None)]
    assert parse_locations("2025-10-01", default_kind="page") == ([], ["2025-10-01"])


def test_artifact_name_inside_a_location_cell():
    found, rest = artifact_mentions("plan.pdf p. 3")
    assert found == ["plan.pdf"]
    assert _simple(parse_locations(rest)[0]) == [("page", 3, None)]
    # The row's own artifact name, without its extension, and digits in it not read as pages.
    found, rest = artifact_mentions("PL Plan 2025 p. 3", ["PL Plan 2025.pdf"])
    assert found == ["PL Plan 2025"]
    assert parse_locations(rest) == ([Location("page", 3, None, "p. 3")], [])
    assert artifact_mentions("p. 3", ["plan.pdf"]) == ([], "p. 3")


# ---------------------------------------------------------------------------------------------
# Headers


@pytest.mark.parametrize(
    "header",
    [
        ["EO detail", "Artifact", "Location", "Explanation"],
        ["Outcome", "Evidence", "Where", "How it shows proficiency"],
        ["Essential outcome", "File", "Page", "Rationale"],
        ["EO", "Document", "Time stamp", "Notes"],
        ["Detail", "Artifact(s)", "Evidence location (page / time stamp)", "Explanation of how the evidence demonstrates proficiency"],
        ["EO DETAIL #", "ARTIFACT:", "LOCATION:", "EXPLANATION:"],
        ["Detail", "Artefact", "Evidance Location", "Explaination"],  # misspellings: difflib
    ],
)
def test_header_variants_map_to_roles(header):
    hmap = map_headers(header)
    assert hmap is not None
    assert hmap.index == {"detail": 0, "artifact": 1, "location": 2, "explanation": 3}
    assert hmap.headers == dict(zip(("detail", "artifact", "location", "explanation"), header))


def test_columns_in_any_order_and_extra_columns():
    hmap = map_headers(["#", "Explanation", "Page", "Artifact", "EO detail", "Reviewer"])
    assert hmap is not None
    assert hmap.index == {"detail": 4, "artifact": 3, "location": 2, "explanation": 1}


def test_a_fourth_column_in_the_candidates_own_words_is_the_missing_role():
    # independent corpus test37: "How this shows the detail" read as no explanation column
    hmap = map_headers(["EO detail", "Artifact", "Location", "How this shows the detail"])
    assert hmap is not None and hmap.index["explanation"] == 3
    hmap = map_headers(["EO detail", "Artifact", "Location", "Connection to the outcome"])
    assert hmap is not None and hmap.index["explanation"] == 3
    # a row-number column is not one, and two unknown columns leave the role unfilled
    assert "explanation" not in map_headers(["#", "EO detail", "Artifact", "Page"]).index
    assert "explanation" not in map_headers(["EO detail", "Artifact", "Page", "Connection", "Reviewer initials"]).index
    assert "location" not in map_headers(["EO detail", "Artifact", "Explanation", "Reviewer"]).index


def test_data_row_is_not_a_header():
    assert map_headers(["1.1", "plan.pdf", "p. 3", "The plan shows the committee's work."]) is None


# ---------------------------------------------------------------------------------------------
# Targets


@pytest.mark.parametrize(
    "target, ids",
    [
        ("2.1", ("2.1",)),
        ("Detail 2.1", ("2.1",)),
        ("EO 2.1", ("2.1",)),
        ("1.4.", ("1.4",)),
        ("EO 2", ("2.1", "2.2", "2.3")),
        ("2", ("2.1", "2.2", "2.3")),
        ("Outcome 2", ("2.1", "2.2", "2.3")),
        ("2.0", ("2.1", "2.2", "2.3")),  # a spreadsheet's 2
        ("2.1, 2.3", ("2.1", "2.3")),
        ("2.3 and 2.1", ("2.1", "2.3")),
        ("2.1-2.3", ("2.1", "2.2", "2.3")),
        ("2.1 \u2013 3.1", ("2.1", "2.2", "2.3", "3.1")),
        ("2.1 Teachers take part in identifying needs", ("2.1",)),
    ],
)
def test_targets_by_id_eo_and_range(pl_rubric, target, ids):
    res = TargetResolver(pl_rubric).resolve(target)
    assert res.detail_ids == ids
    assert not res.by_wording and res.unknown == ()


@pytest.mark.parametrize(
    "target, detail",
    [
        ("The principal provides the time, resources and schedule to implement the PL program", "2.3"),
        ("Teachers help identify the learning needs through surveys and data reviews", "2.1"),
        ("Plan monitoring process during the year", "4.2"),
        ("Learning is differentiated to each teacher's growth goals", "3.3"),
    ],
)
def test_targets_by_wording(pl_rubric, target, detail):
    res = TargetResolver(pl_rubric).resolve(target)
    assert res.detail_ids == (detail,)
    assert res.by_wording and 0.5 <= res.score <= 1.0


def test_unknown_targets(pl_rubric):
    resolver = TargetResolver(pl_rubric)
    assert resolver.resolve("5.1").unknown == ("5.1",)
    mixed = resolver.resolve("2.1, 9.9")
    assert mixed.detail_ids == ("2.1",) and mixed.unknown == ("9.9",)
    banana = resolver.resolve("bananas and oranges")
    assert banana.detail_ids == () and banana.score < 0.5


# ---------------------------------------------------------------------------------------------
# Artifact names

AVAILABLE = ["pl-plan-2025-26.pdf", "pl-committee-minutes-and-survey.pdf", "coaching-and-peer-observation-log.pdf", "sub/Video Lesson.mp4"]


@pytest.mark.parametrize(
    "name, best, score",
    [
        ("pl-plan-2025-26.pdf", "pl-plan-2025-26.pdf", 1.0),
        ("PL-Plan-2025-26.PDF", "pl-plan-2025-26.pdf", 0.98),
        ("pl-plan-2025-26", "pl-plan-2025-26.pdf", 0.95),
        ("PL Plan 2025_26", "pl-plan-2025-26.pdf", 0.9),
        ("artifacts/pl-plan-2025-26.pdf", "pl-plan-2025-26.pdf", 1.0),
        ("video lesson", "sub/Video Lesson.mp4", 0.95),
        ("Committee minutes", "pl-committee-minutes-and-survey.pdf", 0.85),
    ],
)
def test_artifact_matching(name, best, score):
    assert match_artifact(name, AVAILABLE) == (best, score, None)


def test_artifact_fuzzy_match_and_suggestions():
    best, score, suggestion = match_artifact("coachng-and-peer-obsrvation-log.pdf", AVAILABLE)
    assert best == "coaching-and-peer-observation-log.pdf" and 0.6 < score < 0.8 and suggestion is None
    # Another year is another file: only a suggestion.
    assert match_artifact("pl-plan-2025-27.pdf", AVAILABLE)[::2] == (None, "pl-plan-2025-26.pdf")
    # Words found in two files: ambiguous, the first is suggested.
    assert match_artifact("pl", AVAILABLE)[::2] == (None, "pl-plan-2025-26.pdf")
    # Nothing close: no suggestion rather than a misleading one.
    assert match_artifact("budget.xlsx", AVAILABLE)[::2] == (None, None)
    assert match_artifact("plan.pdf", []) == (None, 0.0, None)


def test_split_artifact_names():
    assert split_artifact_names("plan.pdf; minutes.pdf") == ["plan.pdf", "minutes.pdf"]
    assert split_artifact_names("plan.pdf, minutes.pdf and log.pdf") == ["plan.pdf", "minutes.pdf", "log.pdf"]
    assert split_artifact_names("plan.pdf minutes.pdf") == ["plan.pdf", "minutes.pdf"]
    assert split_artifact_names("Minutes, September to December") == ["Minutes, September to December"]
    assert split_artifact_names("PL plan.pdf\nVideo Lesson") == ["PL plan.pdf", "Video Lesson"]


# ---------------------------------------------------------------------------------------------
# The example submission


def test_example_self_analysis(pl_rubric):
    sa = read_self_analysis(EXAMPLE, pl_rubric)
    assert sa.problems == ()
    assert sa.columns == dict(zip(("detail", "artifact", "location", "explanation"), HEADER))
    assert len(sa.citations) == 13
    detail_ids = [d.id for _, d in pl_rubric.details()]
    assert [c.detail_ids for c in sa.citations] == [(d,) for d in detail_ids]
    assert [c.row for c in sa.citations] == list(range(2, 15))
    for c in sa.citations:
        assert c.locations and c.unparsed_locations == ()
        assert all(loc.kind == "page" and loc.start >= 1 for loc in c.locations)
        assert match_artifact(c.artifact_raw, ARTIFACTS)[0] == c.artifact_raw
        assert len(c.explanation.split()) > 15
    by_id = {c.detail_ids[0]: c for c in sa.citations}
    assert _simple(list(by_id["1.1"].locations)) == [("page", 2, 4)]
    assert _simple(list(by_id["2.2"].locations)) == [("page", 1, None), ("page", 3, None)]


# ---------------------------------------------------------------------------------------------
# Input forms: the same content read from each gives the same citations


def _write_csv(path: Path, rows, delimiter=",", encoding="utf-8", header=HEADER) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _write_xlsx(path: Path, rows, title_rows=(), first_sheet=None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if first_sheet is not None:
        ws.title = "Instructions"
        for r in first_sheet:
            ws.append(r)
        ws = wb.create_sheet("Evidence")
    for r in title_rows:
        ws.append(r)
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _write_docx(path: Path, rows, split_at=None, cover=True) -> Path:
    from docx import Document

    doc = Document()
    if cover:  # a table without the header first: a candidate-information box
        info = doc.add_table(rows=2, cols=2)
        info.cell(0, 0).text, info.cell(0, 1).text = "Name", "A. Principal"
        info.cell(1, 0).text, info.cell(1, 1).text = "Date", "2026-05-01"
    doc.add_paragraph("Evidence self-analysis")
    parts = [rows] if split_at is None else [rows[:split_at], rows[split_at:]]
    for part in parts:
        table = doc.add_table(rows=1, cols=4)
        for cell, text in zip(table.rows[0].cells, HEADER):
            cell.text = text
        for r in part:
            cells = table.add_row().cells
            for cell, text in zip(cells, r):
                cell.text = text
        doc.add_paragraph("(continued)")
    doc.save(str(path))
    return path


def _write_pdf(path: Path, rows, repeat_header=True) -> Path:
    from fpdf import FPDF
    from fpdf.enums import TableHeadingsDisplay

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    display = TableHeadingsDisplay.ON_TOP_OF_EVERY_PAGE if repeat_header else TableHeadingsDisplay.NONE
    with pdf.table(col_widths=(32, 45, 28, 85), repeat_headings=display) as table:
        for r in [HEADER, *rows]:
            row = table.row()
            for text in r:
                row.cell(text)
    pdf.output(str(path))
    return path


def _records(rows) -> list[dict[str, str]]:
    keys = ["eo_detail", "artifact", "location", "explanation"]
    return [dict(zip(keys, r)) for r in rows]


@pytest.fixture(scope="module")
def reference(pl_rubric, tmp_path_factory) -> SelfAnalysis:
    path = _write_csv(tmp_path_factory.mktemp("ref") / "self-analysis.csv", _rows())
    sa = read_self_analysis(path, pl_rubric)
    assert len(sa.citations) == 16
    return sa


def test_reference_content(reference):
    extra = reference.citations[13:]
    assert extra[0].detail_ids == ("2.1", "2.2", "2.3")
    assert _simple(list(extra[0].locations)) == [("page", 3, None), ("page", 5, None), ("time", 750.0, 845.0)]
    assert extra[1].detail_ids == ("2.1", "2.3")
    assert _simple(list(extra[1].locations)) == [("time", 3730.0, None)]
    assert extra[2].detail_ids == ("4.2",)
    assert _simple(list(extra[2].locations)) == [("slide", 2, 4), ("whole", None, None)]
    assert _codes(reference) == [ProblemCode.TARGET_BY_WORDING]
    assert reference.problems[0].row == 17 and reference.problems[0].params["detail_id"] == "4.2"


FORMS = {
    "csv-semicolon": lambda p, rows: _write_csv(p, rows, delimiter=";"),
    "csv-tab": lambda p, rows: _write_csv(p, rows, delimiter="\t"),
    "csv-utf16": lambda p, rows: _write_csv(p, rows, encoding="utf-16"),
    "xlsx": _write_xlsx,
    "docx": lambda p, rows: _write_docx(p, rows),
    "docx-split": lambda p, rows: _write_docx(p, rows, split_at=7),
    "pdf-repeated-header": lambda p, rows: _write_pdf(p, rows),
    "pdf-continued-without-header": lambda p, rows: _write_pdf(p, rows, repeat_header=False),
    "markdown": lambda p, rows: p.write_text(
        "# Self-analysis\n\n| " + " | ".join(HEADER) + " |\n|---|---|---|---|\n"
        + "".join("| " + " | ".join(r) + " |\n" for r in rows)
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_tabular_forms_give_the_same_citations(pl_rubric, reference, tmp_path, form):
    # No extension: the type must come from the content.
    path = tmp_path / "self-analysis"
    FORMS[form](path, _rows())
    sa = read_self_analysis(path, pl_rubric)
    assert sa.columns == reference.columns
    assert _content(sa) == _content(reference)
    assert [c.row for c in sa.citations] == [c.row for c in reference.citations]
    assert sa.problems == reference.problems


def test_pdf_table_spans_two_pages(tmp_path):
    import pdfplumber

    path = _write_pdf(tmp_path / "sa.pdf", _rows(), repeat_header=False)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 2
        assert all(page.extract_tables() for page in pdf.pages[:2])


@pytest.mark.parametrize(
    "form",
    ["json-list", "json-rows", "yaml-list", "yaml-rows"],
)
def test_record_forms_give_the_same_citations(pl_rubric, reference, tmp_path, form):
    import yaml

    records = _records(_rows())
    data = records if form.endswith("list") else {"rubric": "mo-il-professional-learning", "rows": records}
    text = json.dumps(data, indent=2) if form.startswith("json") else yaml.safe_dump(data, sort_keys=False)
    path = tmp_path / "self-analysis.txt"
    path.write_text(text, encoding="utf-8")
    sa = read_self_analysis(path, pl_rubric)
    assert sa.columns == {"detail": "eo_detail", "artifact": "artifact", "location": "location", "explanation": "explanation"}
    assert _content(sa) == _content(reference)
    assert [c.row for c in sa.citations] == list(range(1, 17))  # list positions
    assert _codes(sa) == _codes(reference)


def test_yaml_numbers_and_lists(pl_rubric, tmp_path):
    path = tmp_path / "sa.yaml"
    path.write_text(
        "- detail: 2.1\n  file: plan.pdf\n  page: 4\n  notes: The plan.\n"
        "- detail: [2.2, 2.3]\n  file: [plan.pdf, minutes.pdf]\n  page: [p. 1, 12:30]\n  notes: Both.\n"
    )
    sa = read_self_analysis(path, pl_rubric)
    first, second = sa.citations
    assert first.detail_ids == ("2.1",) and _simple(list(first.locations)) == [("page", 4, None)]  # "page" column
    assert second.detail_ids == ("2.2", "2.3") and second.artifact_raw == "plan.pdf; minutes.pdf"
    assert _simple(list(second.locations)) == [("page", 1, None), ("time", 750.0, None)]


def test_cp1252_csv_with_word_punctuation(pl_rubric, tmp_path):
    rows = [["1.1", "Minutes – Sept.pdf", "pp. 2–4", "Staff’s “norms” were revisited."]]
    path = _write_csv(tmp_path / "sa.csv", rows, delimiter=";", encoding="cp1252")
    (c,) = read_self_analysis(path, pl_rubric).citations
    assert c.artifact_raw == "Minutes – Sept.pdf"
    assert c.explanation == "Staff’s “norms” were revisited."
    assert _simple(list(c.locations)) == [("page", 2, 4)]


def test_xlsx_row_numbers_times_and_sheets(pl_rubric, tmp_path):
    from openpyxl import load_workbook

    path = _write_xlsx(
        tmp_path / "sa.xlsx",
        [["1.1", "plan.pdf", "p. 3", "x"], [2.2, "video.mp4", dt.time(12, 30), "y"], [3, "log.pdf", 4, "z"]],
        title_rows=[["Evidence self-analysis"], []],
        first_sheet=[["Fill in the next sheet."]],
    )
    wb = load_workbook(path)
    wb["Evidence"]["C5"].number_format = "h:mm"  # what Excel does with "12:30" typed in a cell
    wb.save(path)
    sa = read_self_analysis(path, pl_rubric)
    assert [c.row for c in sa.citations] == [4, 5, 6]  # sheet rows under a title and a blank row
    assert sa.citations[1].detail_ids == ("2.2",)
    assert _simple(list(sa.citations[1].locations)) == [("time", 750.0, None)]
    assert sa.citations[2].detail_ids == ("3.1", "3.2", "3.3")
    assert sa.citations[2].unparsed_locations == ("4",)  # a bare 4 under "Location" is not guessed


def test_a_data_row_that_maps_like_a_header_is_read_and_a_repeated_header_is_not(pl_rubric, tmp_path):
    # From the held-out test57 (plearn-158): its first row cites a whole EO from a file whose name
    # says "Evidence", so each cell maps to a role as a header's would; it was dropped as a header
    # repeated on a new page, and EO 1 got four citation_missing_row errors.
    rows = [
        ["EO 1", "Staff_Culture_Evidence.pdf", "pages 1-3", "p. 1: norms rewritten by all 33 teachers; p. 2: book study."],
        ["2.1", "PL_Design.pdf", "p. 1", "May needs survey (31 of 33) and the department vote on two foci."],
        HEADER,  # the header again, as on a table broken over pages
        ["2.2", "PL_Design.pdf", "p. 2", "PL committee of five teachers designed the calendar."],
    ]
    sa = read_self_analysis(_write_xlsx(tmp_path / "sa.xlsx", rows), pl_rubric)
    assert [c.target_raw for c in sa.citations] == ["EO 1", "2.1", "2.2"]
    assert not [p for p in sa.problems if p.code == "detail_not_cited" and p.params["detail_id"].startswith("1.")]


def test_xlsx_saved_as_csv_is_read_by_content(pl_rubric, tmp_path):
    xlsx = _write_xlsx(tmp_path / "a.xlsx", [["1.1", "plan.pdf", "p. 3", "x"]])
    wrong = tmp_path / "self-analysis.csv"
    wrong.write_bytes(xlsx.read_bytes())
    assert [c.detail_ids for c in read_self_analysis(wrong, pl_rubric).citations] == [("1.1",)]


def test_row_broken_across_a_page_is_joined():
    grids = [
        Grid([HEADER, ["1.1", "plan.pdf", "p. 3", "The first half"]], continuable=True),
        Grid([["", "", "", "and the second half."], ["1.2", "log.pdf", "p. 1", "Next."]], continuable=True),
    ]
    table = assemble(grids)
    assert table is not None
    assert [(r.number, r.cells["explanation"]) for r in table.rows] == [
        (2, "The first half and the second half."),
        (3, "Next."),
    ]


def test_pdf_cell_wrapping_is_undone():
    assert _pdf_cell("coaching-and-peer-observ\nation-log.pdf") == "coaching-and-peer-observation-log.pdf"
    assert _pdf_cell("six-\nweek coaching\ncycles") == "six-week coaching cycles"
    assert _pdf_cell("plan.pdf\nminutes.pdf") == "plan.pdf minutes.pdf"


# ---------------------------------------------------------------------------------------------
# Problems


def test_row_problems_name_their_rows(pl_rubric, tmp_path):
    rows = [
        ["1.1", "plan.pdf", "p. 3", "ok"],
        ["5.1", "plan.pdf", "p. 3", "no such detail"],
        ["bananas and oranges", "plan.pdf", "p. 3", "no such wording"],
        ["", "plan.pdf", "p. 3", "no target"],
        ["1.2", "", "p. 3", "no artifact"],
        ["1.3", "plan.pdf", "", "no location"],
        ["1.4", "plan.pdf", "somewhere near the end", ""],
        ["2.1", "", "minutes.pdf p. 2", "name in the location cell"],
    ]
    sa = read_self_analysis(_write_csv(tmp_path / "sa.csv", rows), pl_rubric)
    got = [(p.code, p.row) for p in sa.problems if p.row is not None]
    assert got == [
        ("unknown_target", 3),
        ("unknown_target", 4),
        ("no_target", 5),
        ("no_artifact", 6),
        ("no_location", 7),
        ("unparsed_location", 8),
        ("no_explanation", 8),
        ("artifact_in_location", 9),
    ]
    params = {(p.code, p.row): p.params for p in sa.problems}
    assert params[("unknown_target", 3)] == {"target": "5.1", "closest": ""}
    assert params[("unparsed_location", 8)]["text"] == "somewhere near the end"
    assert params[("artifact_in_location", 9)] == {"artifact": "minutes.pdf", "location": "minutes.pdf p. 2"}
    last = sa.citations[-1]
    assert last.artifact_raw == "minutes.pdf" and _simple(list(last.locations)) == [("page", 2, None)]
    uncited = [p.params["detail_id"] for p in sa.problems if p.code == ProblemCode.DETAIL_NOT_CITED]
    assert uncited == ["2.2", "2.3", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3"]


def test_no_recognisable_header(pl_rubric, tmp_path):
    path = tmp_path / "sa.csv"
    path.write_text("Name,Date\nA. Principal,2026-05-01\n")
    sa = read_self_analysis(path, pl_rubric)
    assert sa.citations == () and sa.columns == {}
    (problem,) = sa.problems
    assert problem.code == "no_header" and problem.params["seen"] == "Name | Date"


def test_missing_column(pl_rubric, tmp_path):
    path = _write_csv(tmp_path / "sa.csv", [["1.1", "plan.pdf", "x"]], header=["EO detail", "Artifact", "Explanation"])
    sa = read_self_analysis(path, pl_rubric)
    assert [(p.code, p.params.get("role")) for p in sa.problems][:1] == [("missing_column", "location")]
    assert sa.citations[0].locations == ()


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "no_table"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unreadable"),
        (b"%PDF-1.4\n garbage that is no PDF", "unreadable"),
        (b"PK\x03\x04 not really a zip", "unreadable"),
        (b"EO detail,Artifact,Location,Explanation\n", "no_table"),
    ],
)
def test_bad_files_never_raise(pl_rubric, tmp_path, content, code):
    path = tmp_path / "self-analysis.csv"
    path.write_bytes(content)
    sa = read_self_analysis(path, pl_rubric)
    assert sa.citations == ()
    assert _codes(sa)[-1] == code
    assert sa.problems[-1].params.get("reason")


def test_missing_file_and_docx_without_table(pl_rubric, tmp_path):
    from docx import Document

    assert _codes(read_self_analysis(tmp_path / "nope.csv", pl_rubric)) == ["unreadable"]
    doc = Document()
    doc.add_paragraph("1.1 plan.pdf p. 3")
    doc.save(str(tmp_path / "sa.docx"))
    assert _codes(read_self_analysis(tmp_path / "sa.docx", pl_rubric)) == ["no_table"]


def test_docx_cell_paragraphs_are_list_items(pl_rubric, tmp_path):
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=2, cols=4)
    for cell, text in zip(table.rows[0].cells, ["Outcome", "Evidence", "Where", "How it shows proficiency"]):
        cell.text = text
    values = ["2.1\n2.3", "plan.pdf\nminutes.pdf", "p. 3\n12:30", "The plan\nand the minutes."]
    for cell, text in zip(table.rows[1].cells, values):
        cell.text = text  # python-docx makes each line a paragraph
    doc.save(str(tmp_path / "sa.docx"))
    sa = read_self_analysis(tmp_path / "sa.docx", pl_rubric)
    assert sa.columns == {"detail": "Outcome", "artifact": "Evidence", "location": "Where", "explanation": "How it shows proficiency"}
    (c,) = sa.citations
    assert c.detail_ids == ("2.1", "2.3") and c.artifact_raw == "plan.pdf; minutes.pdf"
    assert split_artifact_names(c.artifact_raw) == ["plan.pdf", "minutes.pdf"]
    assert _simple(list(c.locations)) == [("page", 3, None), ("time", 750.0, None)]
    assert c.explanation == "The plan and the minutes."
