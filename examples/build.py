#!/usr/bin/env python3
"""Render an example submission from its sources into the files a candidate would upload.

Sources (``examples/src/<name>/``):

- ``narrative.md`` and ``reflection.md``: a ``# Title`` line, then paragraphs separated by blank
  lines. Each paragraph is preceded by a marker line ``<!-- eo: N -->`` naming the essential
  outcome(s) it mainly addresses (``<!-- eo: 1, 4 -->``) or ``<!-- eo: none -->``.
- ``artifacts/<name>.yaml``: ``title``, ``header`` (the running header line) and ``pages``, each
  page ``{eos: [...], blocks: [...]}``. A block is ``{heading: str}``, ``{paragraph: str}`` or
  ``{table: [[header cells], [cells], ...], widths: [...], font_size: 8.5}``; any block may carry
  its own ``eos``. Every source page becomes exactly one PDF page (the build fails if a page
  overflows).
- ``self-analysis.csv``: ``EO detail,Artifact,Location,Explanation``.
- ``answer-key.yaml``: for each EO detail, where its evidence is (``file`` and a ``contains``
  substring). The build works out the PDF page of each entry and writes ``<out>.answer-key.yaml`` beside the folder.

``build(src, out, exclude_eos={"3"})`` renders a variant without the evidence for EO 3: it drops
paragraphs, pages and blocks whose ``eos`` lie only in the excluded set, self-analysis rows and
answer-key details of excluded EOs, and an artifact left with no pages. Output is deterministic
(fixed dates in PDF and DOCX metadata, fixed ZIP timestamps), so a rebuild gives identical files.

Run ``python examples/build.py`` to rebuild ``examples/professional-learning``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

RUBRIC_ID = "mo-il-professional-learning"
FIXED_DATE = datetime(2026, 3, 6, 9, 0, 0, tzinfo=timezone.utc)
ZIP_DATE = (2026, 3, 6, 9, 0, 0)
AUTHOR = "Dana Whitcomb"
EXAMPLES = Path(__file__).resolve().parent
SELF_ANALYSIS_COLUMNS = ["EO detail", "Artifact", "Location", "Explanation"]

_MARKER = re.compile(r"^<!--\s*eo:\s*(?P<eos>[^>]*?)\s*-->$")
_GENERATED = ("submission.yaml", "narrative.docx", "reflection.md", "self-analysis.csv")


class BuildError(Exception):
    """The sources are inconsistent (missing marker, overflowing page, answer key not found...)."""


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    eos: frozenset[str]  # empty: addresses no EO in particular (introduction, closing)
    text: str


def _parse_eos(raw: str) -> frozenset[str]:
    raw = raw.strip()
    if raw.lower() == "none":
        return frozenset()
    eos = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if not eos:
        raise BuildError(f"empty EO marker: {raw!r}")
    return eos


def _excluded(eos: frozenset[str] | list[str] | None, exclude: frozenset[str]) -> bool:
    """True when the item is tagged and every one of its EOs is excluded."""
    tags = frozenset(str(e) for e in (eos or ()))
    return bool(tags) and bool(exclude) and tags <= exclude


def _check_ascii(text: str, where: str) -> None:
    try:
        text.encode("ascii")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise BuildError(f"{where}: non-ASCII character {bad!r}; use ASCII quotes and dashes") from None


def parse_marked_markdown(path: Path) -> tuple[str, list[Paragraph]]:
    """Read a ``# Title`` + marked paragraphs file (narrative.md, reflection.md)."""
    text = path.read_text(encoding="utf-8")
    _check_ascii(text, str(path))
    title: str | None = None
    paragraphs: list[Paragraph] = []
    pending: frozenset[str] | None = None
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        while lines:
            if lines[0].startswith("# ") and title is None and not paragraphs:
                title = lines.pop(0)[2:].strip()
                continue
            match = _MARKER.match(lines[0])
            if match:
                pending = _parse_eos(match.group("eos"))
                lines.pop(0)
                continue
            if pending is None:
                raise BuildError(f"{path}: paragraph without a preceding <!-- eo: N --> marker: {lines[0][:60]!r}")
            paragraphs.append(Paragraph(pending, " ".join(lines)))
            pending = None
            lines = []
    if title is None:
        raise BuildError(f"{path}: the first line must be a '# Title'")
    return title, paragraphs


def load_artifact(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("title", "header", "pages"):
        if key not in data:
            raise BuildError(f"{path}: missing '{key}'")
    _check_ascii(json.dumps(data, ensure_ascii=False), str(path))
    for number, page in enumerate(data["pages"], start=1):
        if not page.get("eos"):
            raise BuildError(f"{path}: page {number} has no 'eos'")
    return data


def filter_artifact(data: dict[str, Any], exclude: frozenset[str]) -> list[list[dict[str, Any]]]:
    """The pages (as lists of blocks) left after dropping excluded pages and blocks."""
    pages = []
    for page in data["pages"]:
        if _excluded(page["eos"], exclude):
            continue
        blocks = [b for b in page["blocks"] if not _excluded(b.get("eos"), exclude)]
        pages.append(blocks)
    return pages


def block_text(block: dict[str, Any]) -> str:
    if "heading" in block:
        return block["heading"]
    if "paragraph" in block:
        return block["paragraph"]
    if "table" in block:
        return "\n".join(" ".join(row) for row in block["table"])
    raise BuildError(f"unknown block type: {sorted(block)}")


def _norm(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _normalised_zip(data: bytes) -> bytes:
    """Rewrite a ZIP (DOCX) with fixed timestamps and attributes so rebuilds are byte-identical."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def render_docx(title: str, paragraphs: list[Paragraph], path: Path) -> None:
    doc = Document()
    props = doc.core_properties
    props.title = title
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_printed = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    props.comments = ""
    props.subject = ""
    props.keywords = ""
    props.category = ""
    doc.add_heading(title, level=1)
    for paragraph in paragraphs:
        doc.add_paragraph(paragraph.text)
    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(_normalised_zip(buffer.getvalue()))


class _ArtifactPDF(FPDF):
    def __init__(self, header_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.header_text = header_text
        self.set_margins(left=20, top=14, right=20)
        self.set_auto_page_break(auto=True, margin=20)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(70, 70, 70)
        self.cell(0, 6, self.header_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(150, 150, 150)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_text_color(0, 0, 0)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(70, 70, 70)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def render_pdf(data: dict[str, Any], pages: list[list[dict[str, Any]]], path: Path) -> None:
    pdf = _ArtifactPDF(data["header"])
    pdf.set_title(data["title"])
    pdf.set_author("Cedar Bend Middle School")
    pdf.set_creator("examples/build.py")
    pdf.set_creation_date(FIXED_DATE)
    for number, blocks in enumerate(pages, start=1):
        pdf.add_page()
        for index, block in enumerate(blocks):
            if "heading" in block:
                if index:
                    pdf.ln(1)
                pdf.set_font("Helvetica", "B", 13 if index == 0 else 11)
                pdf.multi_cell(0, 6, block["heading"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(1)
            elif "paragraph" in block:
                pdf.set_font("Helvetica", "", 10)
                pdf.multi_cell(0, 5, block["paragraph"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(2.5)
            elif "table" in block:
                size = float(block.get("font_size", 9))
                pdf.set_font("Helvetica", "", size)
                widths = block.get("widths")
                with pdf.table(
                    col_widths=tuple(widths) if widths else None,
                    text_align="LEFT",
                    line_height=size * 0.47,
                    first_row_as_headings=True,
                    headings_style=FontFace(emphasis="BOLD", fill_color=(228, 228, 228)),
                    padding=1.2,
                ) as table:
                    for row in block["table"]:
                        table.row([str(cell) for cell in row])
                pdf.ln(3)
            else:
                raise BuildError(f"{path.name}: unknown block type {sorted(block)}")
        if pdf.page_no() != number:
            raise BuildError(
                f"{path.name}: source page {number} overflowed onto PDF page {pdf.page_no()}; shorten it"
            )
    pdf.output(str(path))


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


def _clean(out_dir: Path) -> None:
    """Remove files a previous build wrote (only those), so dropped artifacts do not linger."""
    for name in _GENERATED:
        (out_dir / name).unlink(missing_ok=True)
    artifacts = out_dir / "artifacts"
    if artifacts.is_dir():
        for pdf in artifacts.glob("*.pdf"):
            pdf.unlink()


def _write_markdown(title: str, paragraphs: list[Paragraph], path: Path) -> None:
    body = "\n\n".join(p.text for p in paragraphs)
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


def _write_self_analysis(src: Path, out: Path, exclude: frozenset[str], plants: dict[str, Any]) -> None:
    with src.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != SELF_ANALYSIS_COLUMNS:
            raise BuildError(f"{src}: columns must be {SELF_ANALYSIS_COLUMNS}, found {reader.fieldnames}")
        rows = [row for row in reader if row["EO detail"].split(".")[0] not in exclude]
    changes = plants.get("self_analysis", {})
    drop = {str(d) for d in changes.get("drop", [])}
    rows = [row for row in rows if row["EO detail"] not in drop]
    for detail, values in changes.get("set", {}).items():
        [row] = [r for r in rows if r["EO detail"] == str(detail)] or [None]
        if row is None or set(values) - set(SELF_ANALYSIS_COLUMNS):
            raise BuildError(f"planted self_analysis.set: no row {detail} or unknown column in {values}")
        row.update(values)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SELF_ANALYSIS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _answer_key(
    src: Path,
    texts: dict[str, list[str]],
    exclude: frozenset[str],
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Locate every answer-key entry in the rendered text; PDF entries get their page number.

    ``texts`` maps an output file name to its text per page (one element for unpaged files).
    """
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    details = []
    for detail, entries in data["details"].items():
        detail = str(detail)
        if detail.split(".")[0] in exclude:
            continue
        located = []
        for entry in entries:
            name, needle = entry["file"], _norm(entry["contains"])
            _check_ascii(needle, f"{src}: {detail}")
            if len(needle.split()) >= 10:
                raise BuildError(f"{src}: {detail}: keep 'contains' under 10 words: {needle!r}")
            if name not in texts:
                raise BuildError(f"{src}: {detail}: {name} is not part of this build")
            pages = [n for n, text in enumerate(texts[name], start=1) if needle in _norm(text)]
            if len(pages) != 1:
                where = "nowhere" if not pages else f"on pages {pages}"
                raise BuildError(f"{src}: {detail}: {needle!r} found {where} in {name}; it must occur once")
            if name.endswith(".pdf"):
                located.append({"file": name, "page": pages[0], "contains": needle})
            else:
                located.append({"file": name, "contains": needle})
        details.append((detail, located))
    return details


def _write_answer_key(details: list[tuple[str, list[dict[str, Any]]]], path: Path) -> None:
    lines = [
        "# Where the evidence for each EO detail really is (written by examples/build.py from",
        "# src/<name>/answer-key.yaml). Pages are 1-based PDF pages; 'contains' is a verbatim",
        "# substring of the extracted text (compare with whitespace normalised).",
        f"rubric: {RUBRIC_ID}",
        "details:",
    ]
    for detail, entries in details:
        lines.append(f"  {json.dumps(detail)}:")
        for entry in entries:
            parts = [f"file: {entry['file']}"]
            if "page" in entry:
                parts.append(f"page: {entry['page']}")
            parts.append(f"contains: {json.dumps(entry['contains'])}")
            lines.append("    - {" + ", ".join(parts) + "}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_plants(src_dir: Path) -> dict[str, Any]:
    """``planted.yaml`` of a source folder: the problems to plant and the flags they should raise."""
    data = yaml.safe_load((Path(src_dir) / "planted.yaml").read_text(encoding="utf-8"))
    unknown = set(data) - {"self_analysis", "narrative_append", "reflection_drop", "artifact_append_pages", "expect"}
    if unknown:
        raise BuildError(f"planted.yaml: unknown keys {sorted(unknown)}")
    return data


def answer_key_path(out_dir: Path) -> Path:
    """Where the answer key of the submission rendered in ``out_dir`` is written."""
    return Path(out_dir).with_name(Path(out_dir).name + ".answer-key.yaml")


def build(src_dir: Path, out_dir: Path, exclude_eos: frozenset[str] = frozenset(),
          plants: dict[str, Any] | None = None) -> None:
    """Render the submission in ``src_dir`` into ``out_dir``, leaving out ``exclude_eos``.

    ``plants`` (the contents of ``planted.yaml``) plants problems: self-analysis rows dropped or
    changed, paragraphs appended to the narrative, reflection paragraphs dropped, pages appended to
    an artifact (``artifact_append_pages: {stem: [{blocks: [...]}]}``). A planted build
    writes no answer key (its evidence is no longer where the key says).
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    plants = plants or {}
    exclude = frozenset(str(e) for e in exclude_eos)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean(out_dir)
    (out_dir / "artifacts").mkdir(exist_ok=True)
    texts: dict[str, list[str]] = {}

    (out_dir / "submission.yaml").write_text(
        "# Fictional example submission (Professional Learning MC); rebuild with examples/build.py.\n"
        f"rubric: {RUBRIC_ID}\n",
        encoding="utf-8",
    )

    title, paragraphs = parse_marked_markdown(src_dir / "narrative.md")
    kept = [p for p in paragraphs if not _excluded(p.eos, exclude)]
    kept += [Paragraph(frozenset(), _norm(text)) for text in plants.get("narrative_append", [])]
    render_docx(title, kept, out_dir / "narrative.docx")
    texts["narrative.docx"] = ["\n".join([title] + [p.text for p in kept])]

    title, paragraphs = parse_marked_markdown(src_dir / "reflection.md")
    kept = [p for p in paragraphs if not _excluded(p.eos, exclude)]
    dropped = {int(i) for i in plants.get("reflection_drop", [])}
    kept = [p for i, p in enumerate(kept, start=1) if i not in dropped]
    _write_markdown(title, kept, out_dir / "reflection.md")
    texts["reflection.md"] = ["\n".join([title] + [p.text for p in kept])]

    _write_self_analysis(src_dir / "self-analysis.csv", out_dir / "self-analysis.csv", exclude, plants)

    for source in sorted((src_dir / "artifacts").glob("*.yaml")):
        data = load_artifact(source)
        pages = filter_artifact(data, exclude)
        pages += [page["blocks"] for page in plants.get("artifact_append_pages", {}).get(source.stem, [])]
        if not pages:
            continue
        name = f"artifacts/{source.stem}.pdf"
        render_pdf(data, pages, out_dir / name)
        texts[name] = ["\n".join(block_text(b) for b in blocks) for blocks in pages]

    if plants:
        answer_key_path(out_dir).unlink(missing_ok=True)
        return
    details = _answer_key(src_dir / "answer-key.yaml", texts, exclude)
    # Beside the folder, not in it: an answer key is not part of what a candidate submits.
    _write_answer_key(details, answer_key_path(out_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=EXAMPLES / "src" / "professional-learning")
    parser.add_argument("--out", type=Path, default=EXAMPLES / "professional-learning")
    parser.add_argument(
        "--exclude-eo", action="append", default=[], metavar="N", help="leave out EO N's evidence (repeatable)"
    )
    parser.add_argument(
        "--planted", action="store_true",
        help="plant the problems of SRC/planted.yaml (default output: examples/professional-learning-planted)",
    )
    args = parser.parse_args(argv)
    plants = None
    if args.planted:
        plants = load_plants(args.src)
        if args.out == EXAMPLES / "professional-learning":
            args.out = EXAMPLES / "professional-learning-planted"
    build(args.src, args.out, frozenset(args.exclude_eo), plants)
    print(f"built {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
