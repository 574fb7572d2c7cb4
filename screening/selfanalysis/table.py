"""From raw grids to one logical table: find the header, join split tables, number the rows.

A table split across DOCX tables (each with the same header) or PDF pages (the header repeated,
or not) is one table to the candidate, so it is read as one. A row that fills in neither the
target nor the artifact but carries text is the rest of the row above (a PDF row broken across a
page, a wrapped cell): its text is appended to that row.
"""

from __future__ import annotations

import re

from dataclasses import dataclass

from .grids import MAX_ROWS, Grid
from .headers import HeaderMap, find_header, map_headers


@dataclass(frozen=True)
class TableRow:
    number: int
    cells: dict[str, str]  # role -> cell text ("" when empty)


@dataclass(frozen=True)
class Table:
    header: HeaderMap
    rows: tuple[TableRow, ...]
    truncated: bool = False


def _cells(raw: list[str], header: HeaderMap) -> dict[str, str]:
    return {role: (raw[i] if i < len(raw) else "") for role, i in header.index.items()}


def _same_header(a: HeaderMap, b: HeaderMap | None) -> bool:
    return b is not None and a.index == b.index


def _repeated_header(header: HeaderMap, raw: list[str]) -> bool:
    """Whether a row repeats the header (a table broken over pages): its cells map to the same
    roles and read as the header does, or hold no figure. A data row can map too ("EO 1" |
    "Staff_Culture_Evidence.pdf" | "pages 1-3" | its explanation: test57 plearn-158's first row,
    dropped until 2026-12-06), but a detail id, a file name or a page number holds a digit."""
    if not _same_header(header, map_headers(raw)):
        return False
    same_words = all(" ".join(raw[i].split()).lower() == header.headers[role].lower()
                     for role, i in header.index.items() if i < len(raw))
    return same_words or not any(re.search(r"\d", cell) for cell in raw)


def _continues(grid: Grid, header: HeaderMap, width: int) -> bool:
    """A headerless PDF table on a later page with the same number of columns."""
    return grid.continuable and bool(grid.rows) and len(grid.rows[0]) == width and map_headers(grid.rows[0]) is None


def assemble(grids: list[Grid]) -> Table | None:
    """The first grid with a recognisable header, with the grids that continue it; None if no
    grid has a header."""
    for gi, grid in enumerate(grids):
        found = find_header(grid.rows)
        if found is None:
            continue
        pos, header = found
        width = len(grid.rows[pos])
        # (explicit row number or None, raw cells)
        pending: list[tuple[int | None, list[str]]] = []
        start_number = pos + 1  # tables without numbers: the header is table row pos+1
        numbers = grid.numbers
        pending += [(numbers[i] if numbers else None, r) for i, r in enumerate(grid.rows) if i > pos]
        for later in grids[gi + 1 :]:
            if later.rows and _same_header(header, map_headers(later.rows[0])):
                pending += [(None, r) for r in later.rows[1:]]
            elif _continues(later, header, width):
                pending += [(None, r) for r in later.rows]
            else:
                break
        return _build(header, pending, start_number)
    return None


def _build(header: HeaderMap, pending: list[tuple[int | None, list[str]]], header_number: int) -> Table:
    rows: list[TableRow] = []
    counter = header_number
    anchor_roles = [r for r in ("detail", "artifact") if r in header.index]
    for explicit, raw in pending:
        cells = _cells(raw, header)
        if not any(cells.values()):
            continue  # blank row (still counted when the sheet numbers its rows)
        if _repeated_header(header, raw):
            continue  # a header repeated on a new page
        if rows and anchor_roles and not any(cells[r] for r in anchor_roles):
            prev = rows[-1]
            merged = {r: " ".join(t for t in (prev.cells[r], cells[r]) if t) for r in prev.cells}
            rows[-1] = TableRow(prev.number, merged)
            continue
        counter += 1
        rows.append(TableRow(explicit if explicit is not None else counter, cells))
        if len(rows) >= MAX_ROWS:
            return Table(header, tuple(rows), truncated=True)
    return Table(header, tuple(rows))
