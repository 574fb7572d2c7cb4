"""Raw grids of cell text from each form a self-analysis comes in.

One job: turn a file into rows of strings, without interpreting them. Each reader returns one
:class:`Grid` per table it finds (a sheet, a DOCX table, a PDF table, a JSON list) and raises
:class:`GridError` when the file cannot be read. The file type is decided from the content
(:func:`screening.ingest.sniff.sniff`), never from the extension.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import FileKind
from ..ingest.sniff import sniff
from ..ingest.text import decode
from .headers import find_header

MAX_BYTES = 20 * 1024 * 1024  # a self-analysis is a small table; anything bigger is not one
MAX_ROWS = 1000
MAX_PDF_PAGES = 40
MAX_COLUMNS = 30


class GridError(Exception):
    """The file cannot be read as a table: ``code`` is ``unreadable`` or ``no_table``."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Grid:
    """Rows of cell text. ``numbers`` are the row numbers a candidate sees (spreadsheet rows);
    None means "count the table's rows" (DOCX and PDF tables). ``keyed`` marks JSON/YAML records
    whose first row is the keys, not a row the candidate wrote."""

    rows: list[list[str]]
    numbers: list[int] | None = None
    keyed: bool = False
    continuable: bool = False  # a following grid without a header may continue it (PDF pages)
    kind: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def clean(value: object) -> str:
    """Cell text with runs of spaces made one space. Line breaks are kept (one per break): in
    an artifact or location cell they separate items, which only the reader can tell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(value, ".15g")
    if isinstance(value, list):
        return "; ".join(clean(v) for v in value if clean(v))
    text = re.sub(r"[^\S\n]+", " ", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r" ?\n\s*", "\n", text).strip()


def read_grids(path: Path) -> list[Grid]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise GridError("unreadable", f"the file could not be opened ({exc.strerror or exc})") from exc
    if size > MAX_BYTES:
        raise GridError("unreadable", f"it is larger than {MAX_BYTES // (1024 * 1024)} MB, too big for a table")
    found = sniff(path)
    if found.kind == FileKind.EMPTY:
        raise GridError("no_table", "the file is empty")
    if found.kind in (FileKind.SPREADSHEET, FileKind.DOCX):
        _check_archive(path)
    if found.kind == FileKind.SPREADSHEET:
        return _xlsx(path)
    if found.kind == FileKind.DOCX:
        return _docx(path)
    if found.kind == FileKind.PDF:
        return _pdf(path)
    if found.kind in (FileKind.TEXT, FileKind.MARKDOWN):
        return _text(path.read_bytes())
    raise GridError(
        "unreadable", f"it is {found.description}; save the table as CSV, XLSX, DOCX, PDF, JSON or YAML"
    )


def _check_archive(path: Path) -> None:
    """An XLSX or DOCX that would unpack beyond the limits is refused before it is opened."""
    import zipfile

    from ..ingest.archive import ArchiveTooLarge, check_zip
    from ..settings import LimitSettings

    try:
        with zipfile.ZipFile(path) as zf:
            check_zip(zf, LimitSettings().archive_limits())
    except ArchiveTooLarge as exc:
        raise GridError("unreadable", f"{exc.found}, over the limit of {exc.limit}; it was not opened") from None
    except (zipfile.BadZipFile, OSError):
        pass  # damaged: the reader below says how


# ---------------------------------------------------------------------------------------------
# Spreadsheets


def _time_text(value: dt.time | dt.timedelta, number_format: str) -> str:
    """A time cell as Excel shows it. Excel stores "12:30" typed into a cell as 12:30:00 (h:mm),
    so the displayed text, not the stored value, is what the candidate wrote."""
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        h, rem = divmod(total, 3600)
    else:
        h, rem = value.hour, value.minute * 60 + value.second
    m, s = divmod(rem, 60)
    fmt = (number_format or "").lower()
    if "h" not in fmt:  # mm:ss
        return f"{h * 60 + m}:{s:02d}"
    if fmt.count(":") >= 2 or (s and "s" not in fmt):
        return f"{h}:{m:02d}:{s:02d}"
    return f"{h}:{m:02d}"


def _cell_text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if isinstance(value, (dt.time, dt.timedelta)):
        return _time_text(value, getattr(cell, "number_format", ""))
    if isinstance(value, dt.datetime):
        # A date in a location cell is usually Excel's reading of "4-6"; shown, never undone.
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(value)


def _xlsx(path: Path) -> list[Grid]:
    import openpyxl  # only needed for spreadsheets

    # A file object, not the path: openpyxl refuses a path whose extension is not .xlsx, and
    # the type was decided by content.
    with path.open("rb") as fh:
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # damaged or encrypted workbooks raise many different errors
            raise GridError("unreadable", f"the workbook could not be opened ({type(exc).__name__})") from exc
        grids: list[Grid] = []
        try:
            for ws in wb.worksheets:
                rows: list[list[str]] = []
                numbers: list[int] = []
                first = ws.min_row or 1
                for i, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS)):
                    if i >= MAX_ROWS + 10:
                        break
                    rows.append([_cell_text(c) for c in row])
                    numbers.append(first + i)
                grids.append(Grid(rows, numbers, kind="xlsx", extra={"sheet": ws.title}))
        finally:
            wb.close()
    return grids


# ---------------------------------------------------------------------------------------------
# DOCX


def _docx(path: Path) -> list[Grid]:
    from docx import Document

    try:
        doc = Document(str(path))
    except Exception as exc:
        raise GridError("unreadable", f"the Word document could not be opened ({type(exc).__name__})") from exc
    grids: list[Grid] = []
    for table in doc.tables:
        rows: list[list[str]] = []
        for row in table.rows[: MAX_ROWS + 10]:
            cells: list[str] = []
            seen: list[object] = []
            for cell in row.cells[:MAX_COLUMNS]:
                # A horizontally merged cell is returned once per grid column: keep one.
                if any(cell._tc is s for s in seen):
                    continue
                seen.append(cell._tc)
                cells.append(clean("\n".join(p.text for p in cell.paragraphs)))
            rows.append(cells)
        grids.append(Grid(rows, kind="docx"))
    if not grids:
        raise GridError("no_table", "the Word document has no table")
    return grids


# ---------------------------------------------------------------------------------------------
# PDF


@contextmanager
def _quiet_pdf_loggers() -> Iterator[None]:
    # pdfminer logs a warning for every slightly odd object; a table read needs none of them.
    loggers = [logging.getLogger(n) for n in ("pdfminer", "pdfplumber")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


_FILE_END = re.compile(r"\S*\.(?:pdf|docx?|pptx?|xlsx?|csv|txt|mp4|mov|m4a|mp3|wav|jpe?g|png)\b", re.IGNORECASE)


def _pdf_cell(text: str | None) -> str:
    """A PDF cell's text with the table's wrapping undone. After a hyphen the word goes on
    ("job-\nembedded", "pp. 2-\n4"): forms are not hyphenated, so the hyphen is kept. A file name
    too long for its column is broken mid-word ("observ\nation-log.pdf"): a line of one token
    followed by the rest of a file name is joined without a space."""
    lines = unicodedata.normalize("NFKC", text or "").replace("\u00ad\n", "").split("\n")
    out = prev = ""
    for i, line in enumerate(lines):
        line = line.strip()
        broken_name = " " not in prev and not _FILE_END.fullmatch(prev) and _FILE_END.match(line)
        if i and (out.endswith(("-", "\u2010", "\u2013")) or broken_name):
            out += line
        else:
            out = f"{out} {line}" if out else line
        prev = line
    return clean(out)


def _pdf(path: Path) -> list[Grid]:
    import pdfplumber

    grids: list[Grid] = []
    try:
        with _quiet_pdf_loggers(), pdfplumber.open(path) as pdf:
            for number, page in enumerate(pdf.pages[:MAX_PDF_PAGES], start=1):
                for table in page.extract_tables():
                    rows = [[_pdf_cell(c) for c in r[:MAX_COLUMNS]] for r in table]
                    grids.append(Grid(rows, continuable=True, kind="pdf", extra={"page": number}))
    except Exception as exc:
        reason = "it is password-protected" if "password" in repr(exc).lower() else f"the PDF could not be read ({type(exc).__name__})"
        raise GridError("unreadable", reason) from exc
    if not grids:
        raise GridError("no_table", "no table was found in the PDF (a scanned page has no table text)")
    return grids


# ---------------------------------------------------------------------------------------------
# Text: JSON, YAML, a Markdown table or delimited text (CSV, semicolons, tabs)


def _text(data: bytes) -> list[Grid]:
    text = decode(data).text.lstrip("\ufeff")
    if not text.strip():
        raise GridError("no_table", "the file is empty")
    records = _records(text)
    if records is not None:
        return [_keyed_grid(records)]
    markdown = _markdown_table(text)
    if markdown is not None:
        return [markdown]
    return _delimited(text)


# YAML records start with "- key:" or "key:" at the start of a line; a CSV header has commas.
_YAMLISH = re.compile(r"^(?:-\s+)?[\w\"' -]+:(?:\s|$)", re.M)


def _records(text: str) -> list[dict[str, Any]] | None:
    """A list of objects, or {rows: [...]} (any single list of objects), from JSON or YAML."""
    stripped = text.lstrip()
    data: Any = None
    if stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    if data is None and _YAMLISH.search(text[:2000]):
        from ruamel.yaml import YAML

        try:
            data = YAML(typ="safe", pure=True).load(text)  # YAML 1.2: "12:30" stays a string
        except Exception:  # not YAML after all (a CSV with a colon): read as delimited text
            return None
    if isinstance(data, dict):
        lists = [v for v in data.values() if _is_records(v)]
        keyed = [data[k] for k in ("rows", "citations", "evidence", "self_analysis") if _is_records(data.get(k))]
        data = keyed[0] if keyed else (lists[0] if len(lists) == 1 else None)
    return data if _is_records(data) else None


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _keyed_grid(records: list[dict[str, Any]]) -> Grid:
    keys: list[str] = []
    for rec in records:
        keys.extend(str(k) for k in rec if str(k) not in keys)
    rows = [keys] + [[clean(rec.get(k)) for k in keys] for rec in records[:MAX_ROWS]]
    numbers = list(range(0, len(rows)))  # the keys are "row 0"; record n is row n
    return Grid(rows, numbers, keyed=True, kind="records")


_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _markdown_table(text: str) -> Grid | None:
    lines = [ln for ln in text.splitlines() if ln.strip().startswith("|")]
    if len(lines) < 2 or not any(_MD_RULE.match(ln) for ln in lines):
        return None
    rows = [[clean(c) for c in ln.strip().strip("|").split("|")] for ln in lines if not _MD_RULE.match(ln)]
    return Grid(rows[: MAX_ROWS + 10], kind="markdown")


def _delimited(text: str) -> list[Grid]:
    """Delimited text: csv.Sniffer's guess first, then each common delimiter; the first whose
    rows hold a recognisable header wins (Sniffer is often wrong on prose with commas)."""
    sample = "\n".join(text.splitlines()[:20])
    guesses: list[str] = []
    try:
        guesses.append(csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter)
    except csv.Error:
        pass
    guesses += [d for d in (",", ";", "\t", "|") if d not in guesses]
    grids: list[Grid] = []
    for delim in guesses:
        rows = []
        try:
            for i, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delim)):
                if i >= MAX_ROWS + 10:
                    break
                rows.append([clean(c) for c in rec[:MAX_COLUMNS]])
        except csv.Error:
            continue
        # Record n is the row a spreadsheet shows as row n (a quoted line break stays in its cell).
        grid = Grid(rows, list(range(1, len(rows) + 1)), kind="csv", extra={"delimiter": delim})
        if find_header(rows) is not None:
            return [grid]
        grids.append(grid)
    return grids[:1]
