"""DOCX: body paragraphs and tables in document order.

Word documents have no fixed pages, so a DOCX yields one page-less ``Page``; locations in it are
character spans. Paragraphs are separated by blank lines so passages never straddle two of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from docx import Document as open_docx
from docx.table import Table
from docx.text.paragraph import Paragraph

if TYPE_CHECKING:
    from .archive import ArchiveLimits


def _blocks(doc: object) -> Iterator[Paragraph | Table]:
    body = doc.element.body  # type: ignore[attr-defined]
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, doc)  # type: ignore[arg-type]
        elif tag == "tbl":
            yield Table(child, doc)  # type: ignore[arg-type]


def _table_lines(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            yield " | ".join(cells)


def open_checked(path: Path, limits: "ArchiveLimits") -> None:
    """Raise ArchiveTooLarge before anything unpacks a document that would expand beyond limits."""
    import zipfile

    from .archive import check_zip

    with zipfile.ZipFile(path) as zf:
        check_zip(zf, limits)


def docx_text(path: Path) -> str:
    """All body text of a DOCX, paragraphs separated by blank lines."""
    doc = open_docx(str(path))
    parts: list[str] = []
    for block in _blocks(doc):
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if text:
                parts.append(text)
        else:
            parts.extend(_table_lines(block))
    return "\n\n".join(parts)
