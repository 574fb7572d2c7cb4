#!/usr/bin/env python3
"""Build the independent MC-submission evaluation corpus from the text sources in src/.

Run from the repository root (or anywhere):

    .venv/bin/python bench/independent/build.py
    .venv/bin/python bench/independent/build.py --batch dev2     # a later batch: src-dev2/ -> dev2/

Needs fpdf2, python-docx, openpyxl, PyYAML and Pillow in the Python environment, and the
espeak-ng and sox programs (Debian: espeak-ng sox libsox-fmt-all) for the recordings.

The build is deterministic: fixed document dates, fixed zip timestamps, fixed Ogg stream
serials, and a fixed random seed for the dev/test split. It deletes and rewrites dev/ and
test/ every time. It imports nothing from the screening tool.
"""
from __future__ import annotations

import csv
import io
import math
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import yaml
from docx import Document
from docx.shared import Pt
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
RUBRICS = HERE.parent.parent / "rubrics"
FIXED_DT = datetime(2026, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
ZIP_DT = (2026, 3, 2, 9, 0, 0)
SPLIT_SEED = 20260302  # fixed seed for the dev/test split (see README.md)
SAMPLE_RATE = 16000

# --------------------------------------------------------------------------------------------
# helpers


def load_yaml(p: Path):
    with open(p, encoding="utf-8") as f:
        return yaml.safe_load(f)


def latin1(text: str) -> str:
    """fpdf2 core fonts are Latin-1 only: map typographic characters to plain ones."""
    table = {
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
        "\u2014": " - ", "\u2026": "...", "\u2022": "-", "\u2192": "->", "\u2264": "<=",
        "\u2265": ">=", "\u00a0": " ", "\u2713": "X",
    }
    for a, b in table.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def mmss(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def normalize_zip(path: Path) -> None:
    """Rewrite an OOXML/zip file with fixed member timestamps and fixed core.xml dates."""
    with zipfile.ZipFile(path) as zin:
        members = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members:
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              r"\g<1>2026-03-02T09:00:00Z\g<3>", text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=ZIP_DT)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------------------------
# placeholders: {seg:FILE:3} / {seg:FILE:2-4} -> "00:12-00:31"; {dur:FILE} -> "01:05"

class Timings:
    def __init__(self):
        self.segs: dict[str, list[tuple[float, float]]] = {}
        self.durs: dict[str, float] = {}

    def resolve(self, text: str) -> str:
        def seg(m):
            name, rng = m.group(1), m.group(2)
            a, _, b = rng.partition("-")
            a = int(a)
            b = int(b) if b else a
            s = self.segs[name]
            start, end = s[a - 1][0], s[b - 1][1]
            return f"{mmss(math.floor(start))}-{mmss(math.ceil(end))}"

        def dur(m):
            return mmss(round(self.durs[m.group(1)]))

        text = re.sub(r"\{seg:([^:}]+):([0-9-]+)\}", seg, text)
        text = re.sub(r"\{dur:([^}]+)\}", dur, text)
        return text


# --------------------------------------------------------------------------------------------
# PDF


class Doc(FPDF):
    def __init__(self, spec):
        self.spec = spec
        self.slides = spec.get("kind") == "slides"
        super().__init__(orientation="L" if self.slides else "P", unit="mm", format="Letter")
        self.set_creation_date(FIXED_DT)
        self.set_author(latin1(spec.get("author", "")))
        self.set_title(latin1(spec.get("title", "")))
        self.set_creator("Microsoft Word" if not self.slides else "Google Slides")
        self.set_producer("")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, 18)
        self.alias_nb_pages()
        self.footer_text = spec.get("footer")
        self.scan_pages: set[int] = set()

    def footer(self):
        if self.page_no() in self.scan_pages:
            return
        self.set_y(-13)
        self.set_font("Helvetica", "I", 8)
        self.set_text_color(110, 110, 110)
        if self.slides:
            self.cell(0, 6, f"{self.page_no()}", align="R")
        elif self.footer_text:
            self.cell(0, 6, latin1(f"{self.footer_text}  |  Page {self.page_no()} of {{nb}}"), align="C")
        self.set_text_color(0, 0, 0)


def scan_image(lines: list[str], tmp: Path, name: str) -> Path:
    """An image of a scanned page: text drawn on a slightly grey, slightly rotated sheet."""
    w, h = 1275, 1650  # 150 dpi letter
    img = Image.new("L", (w, h), 236)
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=30)
        small = ImageFont.load_default(size=24)
    except TypeError:  # very old Pillow
        font = small = ImageFont.load_default()
    y = 110
    for line in lines:
        f = font if line.startswith("#") else small
        text = line.lstrip("# ")
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            x = 110
            colw = (w - 220) // max(1, len(cells))
            for c in cells:
                d.rectangle([x, y - 8, x + colw, y + 40], outline=40)
                d.text((x + 10, y), c, fill=25, font=small)
                x += colw
            y += 48
            continue
        d.text((110, y), text, fill=25, font=f)
        y += 52 if f is font else 44
    img = img.rotate(0.7, fillcolor=236)
    p = tmp / f"{name}.png"
    img.save(p, optimize=False)
    return p


def render_blocks(pdf: Doc, blocks: list, tmp: Path):
    for b in blocks:
        (k, v), = b.items() if len(b) == 1 else [(list(b)[0], b[list(b)[0]])]
        if k == "h1":
            pdf.set_font("Helvetica", "B", 26 if pdf.slides else 15)
            pdf.multi_cell(0, 11 if pdf.slides else 7, latin1(v), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4 if pdf.slides else 2)
        elif k == "h2":
            pdf.set_font("Helvetica", "B", 18 if pdf.slides else 11.5)
            pdf.ln(1)
            pdf.multi_cell(0, 8 if pdf.slides else 6, latin1(v), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif k == "p":
            pdf.set_font("Helvetica", "", 16 if pdf.slides else 10)
            pdf.multi_cell(0, 8 if pdf.slides else 5, latin1(v), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif k == "small":
            pdf.set_font("Helvetica", "I", 12 if pdf.slides else 8.5)
            pdf.multi_cell(0, 6 if pdf.slides else 4.2, latin1(v), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif k == "bullets":
            pdf.set_font("Helvetica", "", 17 if pdf.slides else 10)
            for item in v:
                pdf.set_x(pdf.l_margin + (4 if pdf.slides else 2))
                pdf.multi_cell(0, 9 if pdf.slides else 5, latin1("-  " + item), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1 if pdf.slides else 0.6)
            pdf.ln(2)
        elif k == "table":
            rows = v["rows"]
            cols = v["cols"]
            widths = v.get("widths")
            if any(len(r) != len(cols) for r in rows) or (widths and len(widths) != len(cols)):
                raise SystemExit(f"{pdf.spec.get('title')}: table {cols} has rows or widths of the wrong length")
            pdf.set_font("Helvetica", "", 12 if pdf.slides else float(v.get("size", 8.5)))
            kw = dict(text_align="LEFT", first_row_as_headings=True, line_height=(6 if pdf.slides else 4.4))
            if widths:
                kw["col_widths"] = tuple(widths)
            with pdf.table(**kw) as t:
                r = t.row()
                for c in cols:
                    r.cell(latin1(str(c)))
                for row in rows:
                    r = t.row()
                    for c in row:
                        r.cell(latin1("" if c is None else str(c)))
            pdf.ln(3)
        elif k == "sig":
            pdf.ln(3)
            pdf.set_font("Helvetica", "", 10)
            for line in v:
                pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif k == "space":
            pdf.ln(float(v))
        else:
            raise ValueError(f"unknown block {k}")


def build_pdf(spec: dict, tmp: Path, encrypt: str | None = None) -> bytes:
    pdf = Doc(spec)
    for i, page in enumerate(spec["pages"], 1):
        if isinstance(page, dict) and "scan" in page:
            pdf.add_page()
            pdf.scan_pages.add(pdf.page_no())
            img = scan_image(page["scan"], tmp, f"scan{i}")
            pdf.image(str(img), x=0, y=0, w=pdf.w, h=pdf.h)
            continue
        pdf.add_page()
        render_blocks(pdf, page, tmp)
        if pdf.page_no() != i:
            raise SystemExit(f"{spec.get('title')}: page {i} overflowed onto page {pdf.page_no()}")
    if encrypt:
        pdf.set_encryption(owner_password=encrypt + "-owner", user_password=encrypt,
                           encryption_method=EncryptionMethod.RC4)
    return bytes(pdf.output())


# --------------------------------------------------------------------------------------------
# audio


def wav_seconds(p: Path) -> float:
    with wave.open(str(p)) as w:
        return w.getnframes() / w.getframerate()


_CRC = []
for _i in range(256):
    _r = _i << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    _CRC.append(_r & 0xFFFFFFFF)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def fix_ogg_serial(data: bytes, serial: int = 0x4D4F494C) -> bytes:
    """sox picks a random Ogg stream serial; set a fixed one and recompute page CRCs."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError("not an Ogg page")
        nseg = data[pos + 26]
        lacing = data[pos + 27:pos + 27 + nseg]
        size = 27 + nseg + sum(lacing)
        page = bytearray(data[pos:pos + size])
        page[14:18] = struct.pack("<I", serial)
        page[22:26] = b"\0\0\0\0"
        page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
        out += page
        pos += size
    return bytes(out)


def build_audio(spec: dict, name: str, tmp: Path, timings: Timings) -> bytes:
    parts: list[Path] = []
    segs: list[tuple[float, float]] = []
    t = 0.0
    work = tmp / f"audio-{name}"
    work.mkdir()

    def silence(sec: float):
        nonlocal t
        p = work / f"{len(parts):03d}.wav"
        subprocess.run(["sox", "-R", "-D", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(p),
                        "trim", "0", f"{sec:.3f}"], check=True)
        parts.append(p)
        t += wav_seconds(p)

    if "silence" in spec:  # a recording with (almost) nothing on it
        p = work / "quiet.wav"
        subprocess.run(["sox", "-R", "-D", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(p),
                        "synth", str(spec["silence"]), "brownnoise", "vol", "0.004"], check=True)
        parts.append(p)
        t = wav_seconds(p)
    else:
        silence(spec.get("lead_in", 0.8))
        for seg in spec["segments"]:
            if "pause" in seg:
                silence(float(seg["pause"]))
                continue
            raw = work / f"{len(parts):03d}-raw.wav"
            cmd = ["espeak-ng", "-v", seg.get("voice", "en-us"), "-s", str(seg.get("speed", 155)),
                   "-p", str(seg.get("pitch", 50)), "-w", str(raw), seg["text"].strip()]
            subprocess.run(cmd, check=True)
            p = work / f"{len(parts):03d}.wav"
            subprocess.run(["sox", "-R", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(p), "vol", "0.85"],
                           check=True)
            parts.append(p)
            start = t
            t += wav_seconds(p)
            segs.append((start, t))
            silence(float(seg.get("gap", 0.7)))
    full = work / "full.wav"
    if len(parts) == 1:
        shutil.copy(parts[0], full)
    else:
        subprocess.run(["sox", "-R", "-D", *map(str, parts), str(full)], check=True)
    timings.segs[name] = segs
    timings.durs[name] = wav_seconds(full)
    fmt = spec.get("format", Path(name).suffix.lstrip("."))
    enc = work / f"out.{fmt}"
    if fmt == "mp3":
        subprocess.run(["sox", "-R", "-D", str(full), "-C", "32", str(enc)], check=True)
        data = enc.read_bytes()
    elif fmt == "ogg":
        subprocess.run(["sox", "-R", "-D", str(full), "-C", "3", str(enc)], check=True)
        data = fix_ogg_serial(enc.read_bytes())
    else:
        raise ValueError(fmt)
    return data


# --------------------------------------------------------------------------------------------
# narrative / reflection / self-analysis


def md_to_docx(md: str, out: Path, author: str, title: str):
    doc = Document()
    doc.core_properties.author = author
    doc.core_properties.last_modified_by = author
    doc.core_properties.title = title
    doc.core_properties.created = FIXED_DT.replace(tzinfo=None)
    doc.core_properties.modified = FIXED_DT.replace(tzinfo=None)
    doc.core_properties.revision = 3
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    para: list[str] = []

    def flush():
        if para:
            doc.add_paragraph(" ".join(para))
            para.clear()

    for line in md.splitlines():
        s = line.rstrip()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            level = len(s) - len(s.lstrip("#"))
            doc.add_heading(s.lstrip("# ").strip(), level=min(level, 3))
        elif s.startswith("- "):
            flush()
            doc.add_paragraph(s[2:].strip(), style="List Bullet")
        else:
            para.append(s.strip())
    flush()
    doc.save(out)
    normalize_zip(out)


SA_COLS = ["EO detail", "Artifact", "Location", "Explanation"]


def build_self_analysis(spec: dict, out_dir: Path, timings: Timings, author: str) -> str:
    fmt = spec["format"]
    cols = spec.get("columns", SA_COLS)
    rows = [[timings.resolve(str(c)) if c is not None else "" for c in r] for r in spec.get("rows", [])]
    if fmt == "csv":
        name = "self-analysis.csv"
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)
        (out_dir / name).write_text(buf.getvalue(), encoding="utf-8")
    elif fmt == "xlsx":
        name = "self-analysis.xlsx"
        wb = Workbook()
        ws = wb.active
        ws.title = spec.get("sheet", "Self-analysis")
        ws.append(cols)
        for c in ws[1]:
            c.font = Font(bold=True)
        for r in rows:
            ws.append(r)
        for letter, width in zip("ABCDEFG", spec.get("widths", [12, 34, 16, 90])):
            ws.column_dimensions[letter].width = width
        for row in ws.iter_rows(min_row=2):
            for c in row:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        wb.properties.creator = author
        wb.properties.created = FIXED_DT.replace(tzinfo=None)
        wb.properties.modified = FIXED_DT.replace(tzinfo=None)
        wb.save(out_dir / name)
        normalize_zip(out_dir / name)
    elif fmt in ("docx", "docx-prose"):
        name = "self-analysis.docx"
        doc = Document()
        doc.core_properties.author = author
        doc.core_properties.created = FIXED_DT.replace(tzinfo=None)
        doc.core_properties.modified = FIXED_DT.replace(tzinfo=None)
        if spec.get("title"):
            doc.add_heading(spec["title"], level=1)
        for p in spec.get("intro", []):
            doc.add_paragraph(timings.resolve(p))
        if fmt == "docx":
            table = doc.add_table(rows=1, cols=len(cols))
            table.style = "Table Grid"
            for c, text in zip(table.rows[0].cells, cols):
                c.text = text
                for r in c.paragraphs[0].runs:
                    r.bold = True
            for row in rows:
                cells = table.add_row().cells
                for c, text in zip(cells, row):
                    c.text = text
        else:  # prose only: what a candidate writes when they ignore the table template
            for p in spec.get("prose", []):
                s = timings.resolve(p)
                if s.startswith("#"):
                    doc.add_heading(s.lstrip("# "), level=2)
                else:
                    doc.add_paragraph(s)
        doc.save(out_dir / name)
        normalize_zip(out_dir / name)
    else:
        raise ValueError(fmt)
    return name


# --------------------------------------------------------------------------------------------
# one submission


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.-]*", text))


def pdf_pages(spec: dict) -> int:
    return len(spec["pages"])


def build_submission(sid: str, out_root: Path, tmp: Path, src_root: Path = SRC) -> dict:
    src = src_root / sid
    meta = load_yaml(src / "meta.yaml")
    out = out_root / sid
    out.mkdir(parents=True)
    (out / "submission.yaml").write_text(f"rubric: {meta['rubric']}\n", encoding="utf-8")
    author = meta["author"]
    timings = Timings()
    report = {"id": sid, "rubric": meta["rubric"], "words": {}, "pages": {}, "problems": []}

    # artifacts first (recordings give the time stamps used in the texts)
    art_dir = out / "artifacts"
    art_dir.mkdir()
    for a in meta.get("artifacts", []):
        name = a["name"]
        kind = a["kind"]
        target = art_dir / name
        if kind in ("pdf", "encrypted", "truncated"):
            spec = load_yaml(src / a["src"])
            spec.setdefault("author", author)
            data = build_pdf(spec, tmp, encrypt=a.get("password") if kind == "encrypted" else None)
            if kind == "truncated":
                data = data[: int(len(data) * float(a.get("keep", 0.4)))]
            target.write_bytes(data)
            report["pages"][name] = pdf_pages(spec)
        elif kind == "audio":
            spec = load_yaml(src / a["src"])
            target.write_bytes(build_audio(spec, name, tmp, timings))
            report["pages"][name] = f"{timings.durs[name]:.1f}s"
        elif kind == "docx":  # a Word document (possibly misnamed)
            md = timings.resolve((src / a["src"]).read_text(encoding="utf-8"))
            md_to_docx(md, target, author, a.get("title", ""))
        elif kind == "empty":
            target.write_bytes(b"")
        elif kind == "zip":  # photos zipped up and renamed
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for j, label in enumerate(a["photos"]):
                    img = Image.new("RGB", (640, 480), (200 - 20 * j, 190, 170 + 10 * j))
                    ImageDraw.Draw(img).text((30, 220), label, fill=(20, 20, 20))
                    b = io.BytesIO()
                    img.save(b, format="JPEG", quality=70)
                    info = zipfile.ZipInfo(f"IMG_{4410 + j}.jpg", date_time=ZIP_DT)
                    z.writestr(info, b.getvalue())
            target.write_bytes(buf.getvalue())
        else:
            raise ValueError(kind)

    for part in ("narrative", "reflection"):
        p = meta.get(part)
        if not p:
            continue
        md = timings.resolve((src / p["src"]).read_text(encoding="utf-8"))
        report["words"][part] = word_count(re.sub(r"^#.*$", "", md, flags=re.M))
        if p["format"] == "md":
            (out / f"{part}.md").write_text(md, encoding="utf-8")
        else:
            md_to_docx(md, out / f"{part}.docx", author, p.get("title", part.title()))

    if meta.get("self_analysis"):
        sa = load_yaml(src / meta["self_analysis"])
        build_self_analysis(sa, out, timings, author)
        report["sa_rows"] = [[timings.resolve(str(c)) for c in r] for r in sa.get("rows", [])]

    for e in meta.get("extra", []):  # stray files at the top level
        (out / e["name"]).write_text((src / e["src"]).read_text(encoding="utf-8"), encoding="utf-8")

    truth = timings.resolve((src / "truth.yaml").read_text(encoding="utf-8"))
    (out_root / f"{sid}.truth.yaml").write_text(truth, encoding="utf-8")
    report["truth"] = yaml.safe_load(truth)
    report["timings"] = timings
    return report


# --------------------------------------------------------------------------------------------
# self-checks (the author's own consistency checks; not the screener)


def parse_loc(loc: str):
    loc = loc.strip()
    m = re.fullmatch(r"(?:p\.|pp\.|page|pages|slide|slides)\s*(\d+)(?:\s*[-–]\s*(\d+))?", loc, re.I)
    if m:
        return ("page", int(m.group(1)), int(m.group(2) or m.group(1)))
    m = re.fullmatch(r"(\d+):(\d\d)(?:\s*-\s*(\d+):(\d\d))?", loc)
    if m:
        a = int(m.group(1)) * 60 + int(m.group(2))
        b = int(m.group(3)) * 60 + int(m.group(4)) if m.group(3) else a
        return ("time", a, b)
    return None


def check(report: dict, rubric: dict) -> list[str]:
    msgs = []
    truth = report["truth"]
    planted = {p["kind"] for p in truth.get("planted") or []}
    short_parts = {Path(p["file"]).stem for p in truth.get("planted") or [] if p["kind"] == "word_minimum"}
    mins = {p["kind"]: p.get("word_minimum") for p in rubric["parts"]}
    for part, n in report["words"].items():
        if part in short_parts:
            if n >= (mins[part] or 0) * 0.9:
                msgs.append(f"{part} should be clearly short but has {n} words")
        elif n < (mins[part] or 0) * 1.08:
            msgs.append(f"{part} has only {n} words")
    details = [d["id"] for eo in rubric["essential_outcomes"] for d in eo["details"]]
    eos = [eo["id"] for eo in rubric["essential_outcomes"]]
    covered = set()
    for i, row in enumerate(report.get("sa_rows", []), 2):
        target, art, loc = row[0].strip(), row[1].strip(), row[2].strip()
        if target in details:
            covered.add(target)
        elif re.fullmatch(r"EO \d+", target) and target[3:] in eos:
            covered.update(d for d in details if d.split(".")[0] == target[3:])
        elif "citation_unknown_target" not in planted:
            msgs.append(f"row {i}: unknown target {target}")
        for a in [x.strip() for x in art.split(";")]:
            if a not in report["pages"] and not (Path(a).suffix in (".docx",)):
                if "citation_missing_artifact" not in planted:
                    msgs.append(f"row {i}: artifact {a} not built")
                continue
            n = report["pages"].get(a)
            for l in [x.strip() for x in loc.split(";")]:
                pl = parse_loc(l)
                if pl is None:
                    if "citation_unparsed" not in planted:
                        msgs.append(f"row {i}: unparsed location {l!r}")
                    continue
                if pl[0] == "page" and isinstance(n, int) and pl[2] > n and "citation_page_out_of_range" not in planted:
                    msgs.append(f"row {i}: {l} beyond {n} pages of {a}")
                if pl[0] == "time" and isinstance(n, str) and pl[2] > float(n[:-1]) + 0.5 and "citation_time_out_of_range" not in planted:
                    msgs.append(f"row {i}: {l} beyond {n} of {a}")
    nrows = len(report.get("sa_rows", []))
    for p in truth.get("planted") or []:
        place = str(p.get("place") or "")
        m = re.fullmatch(r"row (\d+)", place)
        if m and not 2 <= int(m.group(1)) <= nrows + 1:
            msgs.append(f"truth {p['kind']}: {place} not in the self-analysis ({nrows} rows)")
        m = re.fullmatch(r"p\. (\d+)", place)
        f = Path(str(p.get("file") or "")).name
        if m and isinstance(report["pages"].get(f), int) and int(m.group(1)) > report["pages"][f]:
            msgs.append(f"truth {p['kind']}: {place} beyond {f}")
    if report.get("sa_rows") and "citation_missing_row" not in planted and "self_analysis_unreadable" not in planted:
        for d in details:
            if d not in covered:
                msgs.append(f"detail {d} has no row")
    return msgs


# --------------------------------------------------------------------------------------------
# split and main


def split(ids: list[str], clean: dict[str, bool], kinds: dict[str, set[str]]) -> tuple[dict[str, str], int]:
    """The dev/test split, decided once by a fixed rule.

    Stratified by MC and by clean/planted: within each MC, half of the clean and half of the
    planted submissions go to dev, the rest to test, drawn with random.Random(seed). The seed
    starts at SPLIT_SEED; if the draw leaves any planted kind that occurs in two or more
    submissions in only one half, the next seed is tried. The first seed that passes is used.
    """
    common = {k for k in set().union(*kinds.values()) if sum(k in v for v in kinds.values()) >= 2}
    for seed in range(SPLIT_SEED, SPLIT_SEED + 10000):
        rng = random.Random(seed)
        where = {}
        for mc in sorted({i.rsplit("-", 1)[0] for i in ids}):
            for is_clean in (True, False):
                group = sorted(i for i in ids if i.startswith(mc + "-") and clean[i] == is_clean)
                rng.shuffle(group)
                half = len(group) // 2
                for i in group[:half]:
                    where[i] = "dev"
                for i in group[half:]:
                    where[i] = "test"
        halves = {h: set().union(*(kinds[i] for i in ids if where[i] == h)) for h in ("dev", "test")}
        if all(k in halves["dev"] and k in halves["test"] for k in common):
            return where, seed
    raise SystemExit("no seed gives a split that spreads every common planted kind")


def _build_all(src_root: Path, where: dict[str, str]) -> int:
    """Build each submission of ``src_root`` into the half ``where`` names (folders emptied
    first), run the author's self-checks and print them; the number of self-check messages."""
    for half in set(where.values()):
        shutil.rmtree(HERE / half, ignore_errors=True)
        (HERE / half).mkdir()
    rubrics = {load_yaml(p)["id"]: load_yaml(p) for p in RUBRICS.glob("*.yaml")}
    problems = 0
    with tempfile.TemporaryDirectory() as td:
        for sid, half in sorted(where.items()):
            sub_tmp = Path(td) / sid
            sub_tmp.mkdir()
            rep = build_submission(sid, HERE / half, sub_tmp, src_root)
            msgs = check(rep, rubrics[rep["rubric"]])
            kinds = sorted({p["kind"] for p in rep["truth"].get("planted") or []})
            print(f"{sid:10s} {half:5s} words={rep['words']} planted={kinds}")
            for m in msgs:
                print(f"    CHECK: {m}")
            problems += len(msgs)
    return problems


def _ids(src_root: Path) -> list[str]:
    return sorted(p.name for p in src_root.iterdir() if (p / "meta.yaml").exists())


def build_batch(name: str) -> int:
    """Build a later batch: src-<name>/ is written by its own author and goes whole to <name>/.

    A later batch is not split: it was assigned to one half (dev2: may be tuned on; test2: only
    reported) before it was written, so its author's submissions are never mixed with tuning.
    """
    src_root = HERE / f"src-{name}"
    ids = _ids(src_root)
    problems = _build_all(src_root, {sid: name for sid in ids})
    print(f"built {len(ids)} submissions of batch {name}; {problems} self-check messages")
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--batch":
        return build_batch(sys.argv[2])
    ids = _ids(SRC)
    truths = {i: load_yaml(SRC / i / "truth.yaml") for i in ids}
    clean = {i: bool(truths[i]["clean"]) for i in ids}
    kinds = {i: {p["kind"] for p in truths[i].get("planted") or []} for i in ids}
    where, seed = split(ids, clean, kinds)
    print(f"split seed: {seed}")
    problems = _build_all(SRC, where)
    print(f"built {len(ids)} submissions; {problems} self-check messages")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
