"""Ingest of text, Markdown and DOCX; type by content; limits; isolation."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from screening.documents import FileKind
from screening.ingest import ingest_file
from screening.ingest.sniff import sniff
from screening.settings import LimitSettings

from .conftest import shared_data

TEXT = "The principal’s “learning walks” — every Tuesday — gave teachers café-style feedback."


def _codes(doc):
    return [p.code for p in doc.problems]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]
)
def test_text_in_common_encodings(tmp_path, encoding):
    path = tmp_path / "narrative.txt"
    path.write_bytes(TEXT.encode(encoding))
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.TEXT
    assert doc.text == TEXT
    assert doc.problems == ()


def test_markdown_markup_is_stripped(tmp_path):
    path = tmp_path / "reflection.md"
    path.write_text("# Reflection\n\n**Trust** grew when we [shared data](http://x.org).\n\n- one item\n<!-- note -->\n")
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.MARKDOWN
    assert "#" not in doc.text and "**" not in doc.text and "http" not in doc.text and "note" not in doc.text
    assert "Trust grew when we shared data." in doc.text
    assert "one item" in doc.text


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("First paragraph about trust.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Goal", "Timeline"
    table.cell(1, 0).text, table.cell(1, 1).text = "Coaching cycles", "October"
    d.add_paragraph("Last paragraph about evaluation.")
    path = tmp_path / "narrative.docx"
    d.save(path)
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.DOCX
    text = doc.text
    assert text.index("First paragraph") < text.index("Coaching cycles | October") < text.index("Last paragraph")
    assert doc.pages[0].number is None


def test_type_is_decided_by_content_and_mismatch_noted(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("A Word document saved with the wrong extension.")
    path = tmp_path / "narrative.pdf"
    d.save(path)
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.DOCX
    assert "wrong extension" in doc.text
    [problem] = doc.problems
    assert problem.code == "file_type_mismatch" and problem.params["extension"] == ".pdf"


@pytest.mark.parametrize(
    "data,kind,words",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, FileKind.IMAGE, "PNG"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 40, FileKind.VIDEO, "MP4"),
        (b"ID3\x03\x00" + b"\x00" * 40, FileKind.AUDIO, "MP3"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, FileKind.OTHER_OFFICE, "legacy"),
        (bytes(range(256)) * 4, FileKind.UNKNOWN, "unrecognised"),
    ],
)
def test_unsupported_types_say_what_they_are(tmp_path, data, kind, words):
    path = tmp_path / "artifact.docx"
    path.write_bytes(data)
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == kind
    [problem] = doc.problems
    assert problem.code == "file_unsupported" and words in problem.params["detected"]


def test_programs_are_unsupported_not_text(tmp_path):
    # A real executable named like a PDF: its bytes hold strings that look like words, names and
    # numbers, and once it was screened as 4,000 words with "student data" in it.
    import shutil
    import sys

    path = tmp_path / "plan.pdf"
    shutil.copyfile(sys.executable, path)
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.UNKNOWN
    [problem] = [p for p in doc.problems if p.code == "file_unsupported"]
    assert "executable program" in problem.params["detected"]
    assert doc.text == ""
    text = tmp_path / "notes.txt"
    text.write_text("MZ notes: the Math Zone team met on Tuesday.", encoding="utf-8")
    assert ingest_file(text, LimitSettings(isolate_ingest=False)).kind == FileKind.TEXT


def test_an_html_page_is_read_as_its_visible_text(tmp_path):
    page = (
        "<!DOCTYPE html><html><head><title>PLC notes</title><style>p {color: red}</style>"
        "<script>var tracking = 'do not count these words at all';</script></head><body>"
        "<h1>Grade 4 PLC</h1><p>We compared the fractions quiz results on Tuesday.</p>"
        "<table><tr><td>Ms. Ortiz</td><td>reteach group</td></tr></table></body></html>"
    )
    path = tmp_path / "minutes.txt"
    path.write_text(page, encoding="utf-8")
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert doc.kind == FileKind.TEXT
    assert "tracking" not in doc.text and "color" not in doc.text and "<" not in doc.text
    assert "We compared the fractions quiz results on Tuesday." in doc.text
    assert "Grade 4 PLC" in doc.text and "Ms. Ortiz" in doc.text
    assert sniff(path).description == "an HTML page"


def test_xlsx_is_recognised_inside_zip(tmp_path):
    path = tmp_path / "self-analysis.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff(path).kind == FileKind.SPREADSHEET


def test_real_audio_file_is_unsupported_not_crashing():
    doc = ingest_file(shared_data("audio", "jfk.flac"), LimitSettings(isolate_ingest=False))
    assert _codes(doc) == ["file_unsupported"] and "FLAC" in doc.problems[0].params["detected"]


def test_empty_and_blank_files(tmp_path):
    empty = tmp_path / "reflection.txt"
    empty.write_bytes(b"")
    assert _codes(ingest_file(empty, LimitSettings(isolate_ingest=False))) == ["file_empty"]
    blank = tmp_path / "narrative.txt"
    blank.write_text("   \n\n \t\n")
    assert _codes(ingest_file(blank, LimitSettings(isolate_ingest=False))) == ["file_empty"]


def test_oversized_file_is_not_read(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    doc = ingest_file(path, LimitSettings(max_file_bytes=1000, isolate_ingest=False))
    assert _codes(doc) == ["file_too_large"] and doc.pages == ()
    assert "not read" in doc.problems[0].params["consequence"]


def test_text_over_char_limit_is_truncated_and_said(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("word " * 1000)
    doc = ingest_file(path, LimitSettings(max_text_chars=1000, isolate_ingest=False))
    assert _codes(doc) == ["file_too_large"] and len(doc.text) == 1000


def test_damaged_docx_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "narrative.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<not really xml")
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert _codes(doc) == ["file_unreadable"] and "damaged" in doc.problems[0].params["reason"]


def test_isolated_extraction_gives_the_same_document(tmp_path):
    path = tmp_path / "narrative.txt"
    path.write_text(TEXT, encoding="utf-8")
    isolated = ingest_file(path, LimitSettings(isolate_ingest=True))
    inline = ingest_file(path, LimitSettings(isolate_ingest=False))
    assert isolated == inline


def test_sha256_and_size_recorded(tmp_path):
    import hashlib

    path = tmp_path / "narrative.txt"
    path.write_text(TEXT, encoding="utf-8")
    doc = ingest_file(path, LimitSettings(isolate_ingest=False), display_name="sub/narrative.txt")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.size_bytes == path.stat().st_size and doc.name == "sub/narrative.txt"


@pytest.fixture(scope="module")
def huge_text(tmp_path_factory):
    path = tmp_path_factory.mktemp("huge") / "narrative.txt"
    path.write_text("word and more words\n" * 3_000_000)  # 60 MB
    return path


def test_memory_limit_is_enforced_in_the_worker(huge_text):
    doc = ingest_file(huge_text, LimitSettings(ingest_memory_mb=128))
    assert _codes(doc) == ["file_unreadable"]
    assert "128 MB" in doc.problems[0].params["reason"] and "limits.ingest_memory_mb" in doc.problems[0].params["reason"]


def test_time_limit_is_enforced_in_the_worker(huge_text):
    doc = ingest_file(huge_text, LimitSettings(ingest_timeout_s=0.01, max_text_chars=100_000_000))
    assert _codes(doc) == ["file_unreadable"]
    assert "limits.ingest_timeout_s" in doc.problems[0].params["reason"]
    # and the next file is read normally by a fresh worker
    small = huge_text.with_name("reflection.txt")
    small.write_text("A short reflection about coaching cycles.")
    assert ingest_file(small, LimitSettings()).text == "A short reflection about coaching cycles."


def test_thousands_of_pages_stay_within_the_page_limit(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for i in range(3000):
        pdf.add_page()
        pdf.cell(0, 10, f"Page {i + 1}: coaching cycle notes for the week.")
    path = tmp_path / "portfolio.pdf"
    pdf.output(str(path))
    doc = ingest_file(path, LimitSettings())  # defaults: 600 pages, isolated worker
    assert doc.page_count == 3000 and len(doc.pages) == 600
    [problem] = doc.problems
    assert problem.code == "file_too_large"
    assert problem.params["consequence"] == "only pages 1–600 of 3000 were screened"


def test_extraction_cache_reuses_by_content(tmp_path, monkeypatch):
    import screening.ingest.extract as extract

    path = tmp_path / "narrative.txt"
    path.write_text(TEXT, encoding="utf-8")
    limits = LimitSettings(isolate_ingest=False)
    first = ingest_file(path, limits, cache_dir=tmp_path / "cache")
    calls = []

    def fake_extract(*args):
        calls.append(args)
        return extract._Extracted((extract.Page(None, "fresh"),), None, ())

    monkeypatch.setattr(extract, "_extract", fake_extract)
    again = ingest_file(path, limits, display_name="other.txt", cache_dir=tmp_path / "cache")
    assert calls == [] and again.text == first.text and again.name == "other.txt"
    path.write_text(TEXT + " Edited.", encoding="utf-8")  # new content: extracted afresh
    assert ingest_file(path, limits, cache_dir=tmp_path / "cache").text == "fresh"
    assert len(calls) == 1


def _bomb_docx(path: Path, zeros_mb: int = 24) -> Path:
    """A real Word document with one more part: ``zeros_mb`` MB of zeros that pack to a few KB."""
    from bench.hostile import bomb_docx

    path.write_bytes(bomb_docx(zeros_mb))
    return path


def test_a_decompression_bomb_docx_is_too_large_and_never_unpacked(tmp_path):
    path = _bomb_docx(tmp_path / "narrative.docx")
    assert path.stat().st_size < 200_000  # small on disk ...
    doc = ingest_file(path, LimitSettings(isolate_ingest=False))
    problems = {p.code: p for p in doc.problems}
    assert set(problems) == {"file_too_large"} and not doc.readable
    assert "times larger than it is" in problems["file_too_large"].params["consequence"]
    # ... and over an absolute limit too, whatever its ratio.
    small = LimitSettings(isolate_ingest=False, max_archive_bytes=1_048_576, max_archive_ratio=1e9)
    doc = ingest_file(path, small)
    assert [p.code for p in doc.problems] == ["file_too_large"]
    assert "1 MB unpacked" in doc.problems[0].params["limit"]
