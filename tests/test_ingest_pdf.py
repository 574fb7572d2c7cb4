"""PDF extraction: the shared sample files, reading order, rotation, limits and damaged files."""

from __future__ import annotations

import io
import logging
import re
import time
import tracemalloc
from functools import lru_cache
from pathlib import Path

import pytest

from screening import flags
from screening.ingest.pdf import PASSWORD_REASON, PdfExtraction, extract_pdf, normalise_text, page_list
from screening.settings import LimitSettings

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pdf"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared sample PDFs not found at {DATA}")

LIMITS = LimitSettings()

# Expected outcome for every sample file: "text" (with a phrase it must contain) or a problem code.
TEXT = "text"
EXPECTED: dict[str, tuple[str, str]] = {
    "002-trivial-libre-office-writer.pdf": (TEXT, ""),
    "2400dpi.pdf": ("no_text_layer", "page 1"),  # one big image, no text
    "GHOSTSCRIPT-698804-1-fuzzed.pdf": ("file_empty", ""),  # broken xref, repaired: a blank page
    "Seige_of_Vicksburg_Sample_OCR.pdf": (TEXT, "THE SIEGE OF VICKSBURG"),
    "c02-22.pdf": ("no_text_layer", "page 1"),
    "crazyones-encrypted-256.pdf": ("file_unreadable", PASSWORD_REASON),
    "crazyones.pdf": (TEXT, "Here"),
    "empty.pdf": ("file_empty", ""),  # 0 bytes
    "empty_protected.pdf": ("file_empty", ""),  # owner password only: opens, one blank page
    "federal-register-2020-17221.pdf": (TEXT, "Federal Register"),
    "google-doc-document.pdf": (TEXT, "Beautiful is better than ugly."),
    "helloworld-bad.pdf": (TEXT, "Hello, world!"),  # no trailer; pdfminer copes
    "invalid.pdf": ("file_unreadable", "not a real PDF"),
    "issue-297-example.pdf": ("file_empty", ""),  # pdfminer sees no pages; PDFium repairs: blank
    "issue-463-example.pdf": (TEXT, "THE GRASSHOPPER"),
    "issue-71-duplicate-chars-2.pdf": (TEXT, "Circulation - Métabolismes"),
    "issue-848.pdf": (TEXT, "The movie opens with a news report"),
    "issue-987-test.pdf": (TEXT, "Small Text"),
    "la-precinct-bulletin-2014-p1.pdf": (TEXT, "GENERAL ELECTION"),
    "libreoffice-writer-password.pdf": ("file_unreadable", PASSWORD_REASON),
    "malformed-from-issue-932.pdf": (TEXT, "2021"),  # a scan with a few real characters on top
    "nics-background-checks-2015-11-rotated.pdf": (TEXT, "These statistics represent the number of firearm background checks"),
    "password-example.pdf": ("file_unreadable", PASSWORD_REASON),
    "scan-bad.pdf": (TEXT, "pdf.js"),  # an OCR'd scan: its text layer is real
    "scotus-transcript-p1.pdf": (TEXT, "IN THE SUPREME COURT OF THE UNITED STATES"),
    "skew.pdf": ("no_text_layer", "page 1"),
}


@lru_cache(maxsize=None)
def _extract(name: str, **limits: int) -> PdfExtraction:
    return extract_pdf(DATA / name, LimitSettings(**limits) if limits else LIMITS)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _codes(result: PdfExtraction) -> list[str]:
    return [p.code for p in result.problems]


def _sample_files() -> list[str]:
    return sorted(p.name for p in DATA.glob("*.pdf")) if DATA.is_dir() else []


# ---------------------------------------------------------------------------------------------
# Every sample file


@needs_data
@pytest.mark.parametrize("name", _sample_files())
def test_every_sample_has_text_or_its_specific_problem(name: str) -> None:
    result = _extract(name)
    for problem in result.problems:
        assert problem.code in flags.CODES
        message, _ = flags.render(problem.code, {"file": name, **problem.params})
        assert "{" not in message, f"unfilled placeholder in {message!r}"
    text = "\n".join(p.text for p in result.pages)
    if name not in EXPECTED:  # a new sample: it must at least give text or a reason
        assert text.strip() or result.problems
        return
    outcome, detail = EXPECTED[name]
    if outcome == TEXT:
        assert text.strip(), f"{name}: no text; problems {result.problems}"
        assert detail in _flat(text)
        assert not any(c in ("file_unreadable", "file_empty", "no_text_layer") for c in _codes(result))
        assert result.page_count == len(result.pages) >= 1
        assert [p.number for p in result.pages] == list(range(1, len(result.pages) + 1))
    else:
        assert _codes(result) == [outcome], result.problems
        assert not text.strip()
        problem = result.problems[0]
        if outcome == "file_unreadable":
            assert detail in problem.params["reason"]
        if outcome == "no_text_layer":
            assert problem.params == {"page_list": detail}
            assert all(not p.has_text_layer and p.has_images and p.text == "" for p in result.pages)


@needs_data
def test_expected_table_covers_the_sample_folder() -> None:
    # Keeps the table above honest: a file added or removed should be looked at.
    assert set(_sample_files()) == set(EXPECTED)


# ---------------------------------------------------------------------------------------------
# Text content and reading order on real files


@needs_data
def test_crazyones_matches_its_reference_text() -> None:
    reference = (DATA / "crazyones.txt").read_text(encoding="utf-8")
    got = _extract("crazyones.pdf").pages[0].text
    assert _flat(normalise_text(got)) == _flat(normalise_text(reference))
    assert "misfits" in got and "differently" in got  # ﬁ / ﬀ ligatures of the reference undone


@needs_data
def test_federal_register_columns_read_in_order() -> None:
    page2 = _flat(_extract("federal-register-2020-17221.pdf").pages[1].text)
    # Sentences that run over several line breaks inside one column come out contiguous.
    sentences = [
        "Investigation of the accident has been completed by the Indonesian authorities "
        "(Komite Nasional Keselamatan Transportasi (KNKT)) with assistance from the National "
        "Transportation Safety Board (NTSB) and the FAA of the United States, the manufacturer, "
        "and the operator.",
        "On November 7, 2018, the FAA issued Emergency AD 2018–23–51 as an interim corrective action.",
        "The data from the flight data recorders, as summarized in reports 7 of the Ethiopian "
        "Airlines Flight 302 accident and the Lion Air Flight 610 accident, indicated that if a "
        "single erroneously high AOA sensor input is received by the flight control system,",
    ]
    for sentence in sentences:
        assert sentence in page2
    # Columns left to right: each column's first words precede the next column's.
    starts = [page2.index(s[:40]) for s in ("Hatta International Airport",
                                            "altitude disagree alert, 5 and may affect",
                                            "and the Ethiopian Civil Aviation Authority")]
    assert starts == sorted(starts)
    # The running header comes first, not interleaved with the columns.
    assert page2.startswith("Federal Register/Vol. 85, No. 152/Thursday, August 6, 2020/Proposed Rules")


@needs_data
def test_rotated_and_mirrored_text_reads_like_the_upright_page() -> None:
    # issue-848: page 1 upright; pages 2-8 the same text turned by 90/180/270 and mirrored.
    result = _extract("issue-848.pdf")
    upright = result.pages[0].text.split()
    assert len(upright) > 200
    for page in result.pages[1:]:
        assert page.text.split() == upright, f"page {page.number} differs"


@needs_data
def test_page_rotate_attribute_is_honoured() -> None:
    page = _extract("nics-background-checks-2015-11-rotated.pdf").pages[0]
    assert page.rotation == 90
    assert page.text.startswith("State / Territory")
    assert "Alabama\nAlaska\nArizona" in page.text


@needs_data
def test_fake_bold_duplicates_removed() -> None:
    text = _extract("issue-71-duplicate-chars-2.pdf").pages[0].text
    assert "Troubles de l’équilibre acido-basique" in text
    assert "CCiirrcc" not in text and "OOBBJJ" not in text
    assert "définir" in text  # the "fi" ligature maps to "fi " in this font; the stray space is dropped


@needs_data
def test_repaired_page_tree_is_counted() -> None:
    for name in ("issue-297-example.pdf", "GHOSTSCRIPT-698804-1-fuzzed.pdf"):
        result = _extract(name)
        assert result.page_count == 1 and len(result.pages) == 1
        assert result.pages[0].has_text_layer and not result.pages[0].has_images  # blank, not a scan


@needs_data
def test_large_image_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    import pdfminer.pdftypes
    import pypdfium2

    decoded: list[object] = []
    real_decode = pdfminer.pdftypes.PDFStream.decode

    def spy_decode(self: pdfminer.pdftypes.PDFStream) -> None:
        if str(self.attrs.get("Subtype")) == "/'Image'":
            decoded.append(self)
        real_decode(self)

    def no_render(*args: object, **kwargs: object) -> None:
        raise AssertionError("a page was rendered")

    monkeypatch.setattr(pdfminer.pdftypes.PDFStream, "decode", spy_decode)
    monkeypatch.setattr(pypdfium2.PdfPage, "render", no_render)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = extract_pdf(DATA / "2400dpi.pdf", LIMITS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert decoded == []
    assert peak < 5 * 1024 * 1024  # the image decoded would take 11 MB (4000 x 2864 x 8 bit)
    assert elapsed < 5
    assert _codes(result) == ["no_text_layer"]


@needs_data
def test_text_limit_stops_reading() -> None:
    result = _extract("federal-register-2020-17221.pdf", max_text_chars=5000)
    assert sum(len(p.text) for p in result.pages) <= 5000
    assert len(result.pages) < 15 and result.page_count == 15
    (problem,) = result.problems
    assert problem.code == "file_too_large"
    assert problem.params["limit"] == "5,000 characters of text"
    assert f"page {len(result.pages)}" in problem.params["consequence"]


@needs_data
def test_pdf_library_logging_is_silenced(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    level_before = logging.getLogger("pdfminer").level
    for name in ("helloworld-bad.pdf", "malformed-from-issue-932.pdf", "GHOSTSCRIPT-698804-1-fuzzed.pdf"):
        extract_pdf(DATA / name, LIMITS)
    assert [r for r in caplog.records if r.name.startswith(("pdfminer", "pdfplumber"))] == []
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert logging.getLogger("pdfminer").level == level_before


# ---------------------------------------------------------------------------------------------
# Synthetic PDFs


def _fpdf():
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=10)
    return pdf


def _sentences(name: str, n: int) -> str:
    return " ".join(
        f"{name} sentence number {i} explains how the teacher adapted the lesson for the class." for i in range(1, n + 1)
    )


HEADING = "A full-width heading that runs above all of the columns here"


def _columns_pdf(path: Path, names: list[str]) -> None:
    pdf = _fpdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    # Wider than two columns and a gutter, so it crosses every gutter: no x-cut goes through it.
    assert 420 < pdf.get_string_width(HEADING) < 495
    pdf.set_xy(50, 50)
    pdf.multi_cell(495, 20, HEADING)
    pdf.set_font("Helvetica", size=10)
    gutter = 18
    width = (495 - gutter * (len(names) - 1)) / len(names)
    for i, name in enumerate(names):
        pdf.set_xy(50 + i * (width + gutter), 100)
        pdf.multi_cell(width, 12, _sentences(name, 6))
    pdf.output(str(path))


def _order(text: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"(\w+) sentence number (\d+) explains", _flat(text))]


@pytest.mark.parametrize("names", [["Alpha", "Bravo"], ["Alpha", "Bravo", "Charlie"]], ids=["two", "three"])
def test_synthetic_columns_come_out_in_column_order(tmp_path: Path, names: list[str]) -> None:
    path = tmp_path / "columns.pdf"
    _columns_pdf(path, names)
    result = extract_pdf(path, LIMITS)
    assert result.problems == ()
    text = result.pages[0].text
    assert text.startswith(HEADING + "\n\n")
    assert _order(text) == [(name, i) for name in names for i in range(1, 7)]
    # Each column's text is one paragraph, lines joined by single newlines.
    assert "the class. Alpha sentence number 2" in _flat(text)


def test_synthetic_dehyphenation_and_ligatures(tmp_path: Path) -> None:
    pdf = _fpdf()
    pdf.add_page()
    pdf.text(50, 100, "The plan describes the imple-")
    pdf.text(50, 112, "mentation of a reading group and")
    pdf.text(50, 124, "its evaluation by the Anglo-")
    pdf.text(50, 136, "Saxon method.")
    path = tmp_path / "hyphen.pdf"
    pdf.output(str(path))
    text = extract_pdf(path, LIMITS).pages[0].text
    assert "the implementation of a reading group" in _flat(text)
    assert "Anglo-\nSaxon" in text  # next line starts uppercase: the hyphen stays
    assert normalise_text("e\ufb03cient \ufb01nal  o\ufb00er") == "efficient final offer"


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (40, 40), 128).save(buf, format="PNG")
    return buf.getvalue()


def test_scanned_pages_reported_with_page_numbers(tmp_path: Path) -> None:
    pdf = _fpdf()
    image = io.BytesIO(_png())
    layout = ["text", "scan", "scan", "scan", "text", "blank", "scan"]
    for kind in layout:
        pdf.add_page()
        if kind == "text":
            pdf.text(50, 100, f"Typed page with words on it, page {pdf.page_no()}.")
        elif kind == "scan":
            image.seek(0)
            pdf.image(image, x=0, y=0, w=595, h=842)
    path = tmp_path / "scans.pdf"
    pdf.output(str(path))
    result = extract_pdf(path, LIMITS)
    assert [p.code for p in result.problems] == ["no_text_layer"]
    problem = result.problems[0]
    assert problem.params == {"page_list": "pages 2–4, 7"}
    assert problem.pages == (2, 3, 4, 7)
    blank = result.pages[5]
    assert blank.number == 6 and blank.has_text_layer and not blank.has_images and blank.text == ""
    assert result.pages[0].text == "Typed page with words on it, page 1."


def test_page_limit_reports_file_too_large(tmp_path: Path) -> None:
    pdf = _fpdf()
    for n in range(1, 6):
        pdf.add_page()
        pdf.text(50, 100, f"Content of page {n}.")
    path = tmp_path / "long.pdf"
    pdf.output(str(path))
    result = extract_pdf(path, LimitSettings(max_pdf_pages=2))
    assert [p.text for p in result.pages] == ["Content of page 1.", "Content of page 2."]
    assert result.page_count == 5
    assert [(p.code, p.params) for p in result.problems] == [
        ("file_too_large", {"limit": "2 pages", "consequence": "only pages 1–2 of 5 were screened"})
    ]


def test_rotated_synthetic_text(tmp_path: Path) -> None:
    pdf = _fpdf()
    lines = ["First line of the rotated block.", "Second line follows it.", "Third line ends it."]
    for angle in (0, 90, 180, 270):
        pdf.add_page()
        with pdf.rotation(angle, x=297, y=421):
            for i, line in enumerate(lines):
                pdf.text(200, 400 + 14 * i, line)
    path = tmp_path / "rotated.pdf"
    pdf.output(str(path))
    result = extract_pdf(path, LIMITS)
    assert [p.text for p in result.pages] == ["\n".join(lines)] * 4


# ---------------------------------------------------------------------------------------------
# Damaged and odd files


def test_truncated_pdf_is_unreadable_with_a_plain_reason(tmp_path: Path) -> None:
    pdf = _fpdf()
    pdf.add_page()
    pdf.text(50, 100, "Some words.")
    data = bytes(pdf.output())
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 3])
    result = extract_pdf(path, LIMITS)
    (problem,) = result.problems
    assert problem.code == "file_unreadable"
    assert problem.params["reason"].startswith("the file is cut short")


def test_broken_xref_is_repaired(tmp_path: Path) -> None:
    pdf = _fpdf()
    pdf.add_page()
    pdf.text(50, 100, "Words that survive a broken cross-reference table.")
    data = bytes(pdf.output())
    start = data.rindex(b"startxref")
    path = tmp_path / "badxref.pdf"
    path.write_bytes(data[:start] + b"startxref\n999999\n%%EOF\n")  # points nowhere
    result = extract_pdf(path, LIMITS)
    assert result.problems == ()
    assert result.pages[0].text == "Words that survive a broken cross-reference table."


def test_not_a_pdf_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"this is plain text pretending to be a PDF\n" * 3)
    (problem,) = extract_pdf(junk, LIMITS).problems
    assert problem.code == "file_unreadable" and "not a PDF" in problem.params["reason"]
    (problem,) = extract_pdf(tmp_path / "absent.pdf", LIMITS).problems
    assert problem.code == "file_unreadable"
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert [p.code for p in extract_pdf(empty, LIMITS).problems] == ["file_empty"]


def test_page_list_wording() -> None:
    assert page_list([1]) == "page 1"
    assert page_list([7, 1, 2, 3]) == "pages 1–3, 7"
    assert page_list([2, 4]) == "pages 2, 4"


def _readable_pdf_pages() -> list[tuple[Path, int]]:
    import pdfplumber

    files = sorted(DATA.glob("*.pdf")) if DATA.is_dir() else []
    files += sorted((Path(__file__).resolve().parents[1] / "examples").glob("*/artifacts/*.pdf"))
    out = []
    for f in files:
        try:
            with pdfplumber.open(f) as pdf:
                out.extend((f, i) for i in range(len(pdf.pages)))
        except Exception:  # password, empty, not a PDF: other tests cover what happens to those
            continue
    return out


@pytest.mark.heavy
def test_lean_char_walk_matches_pdfplumber_chars() -> None:
    """``chars_and_images`` skips pdfplumber's full attribute dicts for speed; every key the
    layout code reads must come out exactly as ``page.chars`` has it, in the same order."""
    import pdfplumber

    from screening.ingest.pdf import chars_and_images

    pages = _readable_pdf_pages()
    assert len(pages) >= 3  # the example's PDFs at least
    for path, index in pages:
        with pdfplumber.open(path) as pdf:
            page = pdf.pages[index]
            lean, images = chars_and_images(page)
            full = page.chars
            assert images == bool(page.images), (path.name, index)
            assert len(lean) == len(full), (path.name, index)
            for a, b in zip(lean, full):
                assert a == {k: b[k] for k in a}, (path.name, index)
