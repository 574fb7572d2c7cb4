"""PDF text extraction: pdfplumber page by page, PDFium to repair what pdfminer cannot parse.

Never raises for a bad file: encryption, damage, scans without a text layer and limits all
become :class:`IngestProblem` entries a user can read. Images are never decoded (only their
presence is noted), so a 2400-dpi scan costs no more than a text page.

Order of attempts:

1. pdfplumber on the file as it is;
2. if pdfminer cannot open it (or finds no pages), PDFium opens it (PDFium rebuilds broken
   cross-reference tables), saves a repaired copy in memory, and pdfplumber reads that;
3. if pdfplumber still fails, PDFium's own text extraction (plain, no column analysis);
4. any single page pdfplumber fails on is read by PDFium instead.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..documents import IngestProblem, Page
from ..locations import page_list
from ..settings import LimitSettings
from . import layout

PASSWORD_REASON = "it is password-protected; remove the password and upload it again"

# Loggers of the PDF libraries: pdfminer warns about every slightly odd object.
_NOISY_LOGGERS = ("pdfminer", "pdfplumber", "pypdfium2")


@dataclass(frozen=True)
class PdfExtraction:
    pages: tuple[Page, ...]  # one Page per page read; number = 1-based page number
    page_count: int | None  # total pages in the file, if known
    problems: tuple[IngestProblem, ...]


class _Unreadable(Exception):
    """Internal: the file cannot be read at all; carries the problem to report."""

    def __init__(self, problem: IngestProblem) -> None:
        super().__init__(problem.code)
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Text normalisation

_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's stand-in for a glyph with no Unicode mapping
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HYPHENS = "-\u00ad\u2010"
_LINE_END_HYPHEN = re.compile(rf"([^\W\d_])[{_HYPHENS}]\n(?=([^\W\d_]))")


def _dehyphenate(match: re.Match[str]) -> str:
    # Join "imple-\nmentation" but keep "Covid-\n19" and "Anglo-\nSaxon" (next line not lowercase).
    return match.group(1) if match.group(2).islower() else match.group(0)


def normalise_text(text: str) -> str:
    """Clean extracted text for NLP: NFKC (ligatures, full-width forms, odd spaces), no control
    or zero-width characters, words split at line ends joined, runs of spaces collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = _CID.sub("", text).translate(_INVISIBLE)
    text = "".join(ch if ch == "\n" or unicodedata.category(ch)[0] != "C" or ch == "\u00ad" else " " for ch in text)
    # A combining mark after a space or line start has no letter to sit on: a symbol font
    # mapped to the wrong code point (an arrow read as U+0308). Drop it.
    text = re.sub(r"(?:(?<=\s)|^)[\u0300-\u036f]+", "", text, flags=re.M)
    text = re.sub(r"[^\S\n]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = _LINE_END_HYPHEN.sub(_dehyphenate, text)
    text = text.replace("\u00ad", "")  # soft hyphens left mid-line are invisible in the PDF
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# ---------------------------------------------------------------------------------------------
# Small helpers


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the PDF libraries' log records and warnings for the duration of an extraction."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, saved):
            lg.setLevel(level)


def _cause_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        cur = cur.__cause__ or cur.__context__


def _short_cause(exc: BaseException) -> str:
    """A one-line cause for a message: the innermost library error's text, or its type."""
    for e in _cause_chain(exc):
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        if text:
            m = re.search(r"\(PDFium: ([^)]*)\)", text)  # "Failed to load document (PDFium: X)."
            text = m.group(1) if m else text
            return text.rstrip(".")[:100]
    return type(exc).__name__


def _needs_password(exc: BaseException) -> bool:
    for e in _cause_chain(exc):
        if type(e).__name__ == "PDFPasswordIncorrect":
            return True
        if getattr(e, "err_code", None) == 4:  # pypdfium2: FPDF_ERR_PASSWORD
            return True
    return False


def _unreadable(reason: str) -> IngestProblem:
    return IngestProblem("file_unreadable", {"reason": reason})


def _damage_reason(data: bytes, plumber_err: BaseException | None, pdfium_err: BaseException | None) -> str:
    """Say as plainly as possible why neither reader could open the file."""
    size = len(data)
    head = data[:1024]
    if b"%PDF-" not in head:
        return f"the file is not a PDF: its {size:,} bytes do not start with a PDF header"
    if b" obj" not in data and b"\nobj" not in data:
        return f"the file is not a real PDF: it has a PDF header but no document content, and ends after {size:,} bytes"
    causes = []
    if plumber_err is not None:
        causes.append(f"pdfminer: {_short_cause(plumber_err)}")
    if pdfium_err is not None:
        causes.append(f"PDFium: {_short_cause(pdfium_err)}")
    detail = f" ({'; '.join(causes)})" if causes else ""
    if b"%%EOF" not in data[-2048:]:
        return f"the file is cut short (it ends after {size:,} bytes without the PDF end marker), so it was probably not completely saved or uploaded{detail}"
    return f"the PDF structure is damaged and could not be repaired{detail}"


# ---------------------------------------------------------------------------------------------
# Readers: pdfplumber pages, with PDFium per-page fallback


def _page_from_text(number: int, text: str, has_images: bool, rotation: int) -> Page:
    if text.strip():
        return Page(number, text, has_text_layer=True, has_images=has_images, rotation=rotation)
    # No text: a scan (images present) has no text layer; a truly blank page is just empty.
    return Page(number, "", has_text_layer=not has_images, has_images=has_images, rotation=rotation)


def dedupe_chars(chars: Sequence[dict[str, Any]], tolerance: float = 1.0) -> list[dict[str, Any]]:
    """Drop the doubled glyphs of "fake bold" (the same character drawn again a fraction of a
    point away), keeping the first.

    Same rule as pdfplumber's ``Page.dedupe_chars`` (same text, font and size within
    ``tolerance`` in x0 and top), but linear: pdfplumber's version sorts inside a loop and took
    over a second per page of a dense three-column document.
    """
    kept: list[dict[str, Any]] = []
    grid: dict[tuple[Any, ...], list[tuple[float, float]]] = {}
    for ch in chars:
        x0, top = float(ch["x0"]), float(ch["top"])
        ident = (ch.get("text"), ch.get("fontname"), round(float(ch.get("size", 0)), 2))
        cx, cy = int(x0 // tolerance), int(top // tolerance)
        duplicate = any(
            abs(px - x0) <= tolerance and abs(py - top) <= tolerance
            for gx in (cx - 1, cx, cx + 1)
            for gy in (cy - 1, cy, cy + 1)
            for px, py in grid.get((*ident, gx, gy), ())
        )
        if not duplicate:
            kept.append(ch)
            grid.setdefault((*ident, cx, cy), []).append((x0, top))
    return kept


def chars_and_images(page: Any) -> tuple[list[dict[str, Any]], bool]:
    """``page.chars`` (only the keys the layout code reads) and whether ``page.images`` is
    non-empty, from one walk over pdfplumber's pdfminer layout.

    pdfplumber's own ``page.chars`` builds every object's full attribute dict, resolving colours
    and graphic state that are never read here: more than half of the time of reading a
    text-heavy PDF. The values below are computed as pdfplumber's ``Page.process_object``
    computes them (a test compares both on real PDFs), and objects are walked in the same order.
    """
    from pdfplumber.page import fix_fontname_bytes
    from pdfminer.layout import LTContainer

    mb_x0, mb_top = page.mediabox[:2]
    height = page.height
    norm = page.pdf.unicode_norm
    chars: list[dict[str, Any]] = []
    images = False
    stack = [iter(page.layout._objs)]
    while stack:
        obj = next(stack[-1], None)
        if obj is None:
            stack.pop()
            continue
        if isinstance(obj, LTContainer):
            stack.append(iter(obj._objs))
            continue
        name = obj.__class__.__name__
        if name == "LTImage":
            images = True
        elif name == "LTChar":
            text = obj.get_text()
            fontname = obj.fontname
            x0, x1 = obj.x0, obj.x1
            if mb_x0 != 0:
                x0, x1 = x0 + mb_x0, x1 + mb_x0
            chars.append({
                "text": unicodedata.normalize(norm, text) if norm is not None else text,
                "fontname": fix_fontname_bytes(fontname) if isinstance(fontname, bytes) else fontname,
                "size": obj.size, "matrix": obj.matrix, "x0": x0, "x1": x1, "y0": obj.y0, "y1": obj.y1,
                "top": (height - obj.y1) + mb_top, "bottom": (height - obj.y0) + mb_top,
            })
    return chars, images


def _plumber_page(page: Any, number: int) -> Page:
    chars, images = chars_and_images(page)
    text = normalise_text(layout.page_text(dedupe_chars(chars)))
    # images: image objects in the content stream; their data is never decoded.
    return _page_from_text(number, text, images, int(page.rotation or 0) % 360)


def _pdfium_page(doc: Any, index: int) -> Page:
    import pypdfium2.raw as pdfium_c

    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            raw = textpage.get_text_bounded()
        finally:
            textpage.close()
        has_images = next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None) is not None
        rotation = int(page.get_rotation() or 0) % 360
    finally:
        page.close()
    return _page_from_text(index + 1, normalise_text(raw), has_images, rotation)


class _Source:
    """An opened PDF: pdfplumber if it could parse it, PDFium always as the fallback."""

    def __init__(self, data: bytes, plumber: Any | None, pdfium_doc: Any | None) -> None:
        self._data = data
        self.plumber = plumber
        self._pdfium = pdfium_doc
        self._pdfium_tried = pdfium_doc is not None

    @property
    def page_count(self) -> int:
        if self.plumber is not None:
            return len(self.plumber.pages)
        return len(self._pdfium) if self._pdfium is not None else 0

    def pdfium(self) -> Any | None:
        if not self._pdfium_tried:
            self._pdfium_tried = True
            with suppress(Exception):
                import pypdfium2 as pdfium

                self._pdfium = pdfium.PdfDocument(self._data)
        return self._pdfium

    def read_page(self, index: int) -> Page:
        """Read one page; raises only if neither reader can."""
        if self.plumber is not None:
            page = self.plumber.pages[index]
            try:
                return _plumber_page(page, index + 1)
            except Exception:
                doc = self.pdfium()
                if doc is None or index >= len(doc):
                    raise
            finally:
                with suppress(Exception):
                    page.close()  # releases pdfplumber's per-page caches
        doc = self.pdfium()
        if doc is None:
            raise RuntimeError("no reader could open the page")
        return _pdfium_page(doc, index)

    def close(self) -> None:
        for thing in (self.plumber, self._pdfium):
            with suppress(Exception):
                if thing is not None:
                    thing.close()


def _open_plumber(stream: io.BytesIO) -> Any:
    import pdfplumber

    pdf = pdfplumber.open(stream)
    if len(pdf.pages) == 0:
        # pdfminer walked the page tree and found nothing (a broken /Pages node); let PDFium try.
        pdf.close()
        raise ValueError("no pages found in the page tree")
    return pdf


def _open(data: bytes) -> _Source:
    """Open the PDF, repairing it with PDFium if pdfminer cannot; raise _Unreadable if hopeless."""
    plumber_err: BaseException | None = None
    try:
        return _Source(data, _open_plumber(io.BytesIO(data)), None)
    except Exception as exc:
        if _needs_password(exc):
            raise _Unreadable(_unreadable(PASSWORD_REASON)) from exc
        plumber_err = exc

    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:
        if _needs_password(exc):
            raise _Unreadable(_unreadable(PASSWORD_REASON)) from exc
        raise _Unreadable(_unreadable(_damage_reason(data, plumber_err, exc))) from exc
    if len(doc) == 0:
        doc.close()
        raise _Unreadable(_unreadable(_damage_reason(data, plumber_err, None)))
    # PDFium rebuilt the structure while loading; a saved copy has a clean xref pdfminer reads.
    try:
        repaired = io.BytesIO()
        doc.save(repaired)
        return _Source(data, _open_plumber(io.BytesIO(repaired.getvalue())), doc)
    except Exception:
        return _Source(data, None, doc)  # PDFium's own text extraction, page by page


# ---------------------------------------------------------------------------------------------
# Public entry point


def extract_pdf(path: Path, limits: LimitSettings) -> PdfExtraction:
    """Extract the text of a PDF page by page. Never raises for a bad file."""
    try:
        with _quiet():
            return _extract(Path(path), limits)
    except _Unreadable as stop:
        return PdfExtraction((), None, (stop.problem,))
    except Exception as exc:  # last line of defence: a bad file must never stop the screening
        reason = f"the PDF reader failed on it ({type(exc).__name__}: {_short_cause(exc)})"
        return PdfExtraction((), None, (_unreadable(reason),))


def _extract(path: Path, limits: LimitSettings) -> PdfExtraction:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Unreadable(_unreadable(f"the file could not be opened ({exc.strerror or exc})")) from exc
    if not data:
        return PdfExtraction((), 0, (IngestProblem("file_empty"),))
    source = _open(data)
    try:
        return _read_pages(source, limits)
    finally:
        source.close()


def _read_pages(source: _Source, limits: LimitSettings) -> PdfExtraction:
    total = source.page_count
    to_read = min(total, limits.max_pdf_pages)
    pages: list[Page] = []
    problems: list[IngestProblem] = []
    failed: list[int] = []
    chars = 0
    for index in range(to_read):
        try:
            page = source.read_page(index)
        except Exception:
            failed.append(index + 1)
            continue
        room = limits.max_text_chars - chars
        if len(page.text) > room:
            pages.append(Page(page.number, page.text[:room], page.has_text_layer, page.has_images, page.rotation))
            problems.append(_text_limit_problem(limits, index + 1, total))
            break
        chars += len(page.text)
        pages.append(page)
    else:
        if total > to_read:
            problems.append(
                IngestProblem(
                    "file_too_large",
                    {"limit": f"{to_read} pages", "consequence": f"only pages 1–{to_read} of {total} were screened"},
                )
            )
    if failed:
        problems.append(
            IngestProblem(
                "file_unreadable",
                {"reason": f"the content of {page_list(failed)} is damaged (the other pages were read)"},
                pages=tuple(failed),
            )
        )
    scans = [p.number for p in pages if not p.has_text_layer and p.number is not None]
    if scans:
        problems.append(IngestProblem("no_text_layer", {"page_list": page_list(scans)}, pages=tuple(scans)))
    if pages and not failed and not scans and not any(p.text.strip() for p in pages):
        problems.append(IngestProblem("file_empty"))  # only blank pages: nothing was drawn as text
    return PdfExtraction(tuple(pages), total, tuple(problems))


def _text_limit_problem(limits: LimitSettings, page: int, total: int) -> IngestProblem:
    rest = f"; pages {page + 1}–{total} were not read" if page < total else ""
    return IngestProblem(
        "file_too_large",
        {
            "limit": f"{limits.max_text_chars:,} characters of text",
            "consequence": f"reading stopped part-way through page {page}{rest}",
        },
        pages=(page,),
    )
