"""Decide a file's type from its content, never from its name.

Magic numbers identify binary formats; a ZIP is opened to tell DOCX from other Office files;
anything else that decodes as text is text (Markdown when its name says so and the content
agrees). The extension is only used to say when it disagrees with the content.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..documents import FileKind
from .text import looks_like_html

_HEAD = 8192

# (offset, magic, kind, human name)
_MAGIC: tuple[tuple[int, bytes, FileKind, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", FileKind.IMAGE, "a PNG image"),
    (0, b"\xff\xd8\xff", FileKind.IMAGE, "a JPEG image"),
    (0, b"GIF87a", FileKind.IMAGE, "a GIF image"),
    (0, b"GIF89a", FileKind.IMAGE, "a GIF image"),
    (0, b"II*\x00", FileKind.IMAGE, "a TIFF image"),
    (0, b"MM\x00*", FileKind.IMAGE, "a TIFF image"),
    (0, b"\x1aE\xdf\xa3", FileKind.VIDEO, "a WebM/Matroska video"),
    (0, b"ID3", FileKind.AUDIO, "an MP3 audio file"),
    (0, b"\xff\xfb", FileKind.AUDIO, "an MP3 audio file"),
    (0, b"\xff\xf3", FileKind.AUDIO, "an MP3 audio file"),
    (0, b"fLaC", FileKind.AUDIO, "a FLAC audio file"),
    (0, b"OggS", FileKind.AUDIO, "an Ogg audio file"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", FileKind.OTHER_OFFICE, "a legacy Microsoft Office file (.doc/.xls/.ppt)"),
    (0, b"{\\rtf", FileKind.OTHER_OFFICE, "an RTF document"),
    (0, b"\x1f\x8b", FileKind.ARCHIVE, "a gzip archive"),
    (0, b"Rar!", FileKind.ARCHIVE, "a RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", FileKind.ARCHIVE, "a 7-Zip archive"),
    (0, b"BZh", FileKind.ARCHIVE, "a bzip2 archive"),
    (0, b"\xfd7zXZ\x00", FileKind.ARCHIVE, "an xz archive"),
    (0, b"\x28\xb5\x2f\xfd", FileKind.ARCHIVE, "a Zstandard archive"),
    (257, b"ustar", FileKind.ARCHIVE, "a tar archive"),
    # Programs: refused by name, never read as text (their bytes hold strings that look like
    # names and numbers).
    (0, b"\x7fELF", FileKind.UNKNOWN, "an executable program (ELF)"),
    (0, b"\xfe\xed\xfa\xce", FileKind.UNKNOWN, "an executable program (Mach-O)"),
    (0, b"\xfe\xed\xfa\xcf", FileKind.UNKNOWN, "an executable program (Mach-O)"),
    (0, b"\xce\xfa\xed\xfe", FileKind.UNKNOWN, "an executable program (Mach-O)"),
    (0, b"\xcf\xfa\xed\xfe", FileKind.UNKNOWN, "an executable program (Mach-O)"),
    (0, b"\xca\xfe\xba\xbe", FileKind.UNKNOWN, "an executable program or Java class file"),
    (0, b"\x00asm", FileKind.UNKNOWN, "a WebAssembly program"),
    (0, b"SQLite format 3\x00", FileKind.UNKNOWN, "an SQLite database"),
)

_EXPECTED_KIND_BY_EXT: dict[str, FileKind] = {
    ".pdf": FileKind.PDF,
    ".docx": FileKind.DOCX,
    ".txt": FileKind.TEXT,
    ".text": FileKind.TEXT,
    ".md": FileKind.MARKDOWN,
    ".markdown": FileKind.MARKDOWN,
}


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind
    description: str  # "a PDF document", "an MP4 video", ...


def _riff(head: bytes) -> Sniffed | None:
    if head[:4] != b"RIFF":
        return None
    form = head[8:12]
    if form == b"WAVE":
        return Sniffed(FileKind.AUDIO, "a WAV audio file")
    if form == b"AVI ":
        return Sniffed(FileKind.VIDEO, "an AVI video")
    if form == b"WEBP":
        return Sniffed(FileKind.IMAGE, "a WebP image")
    return Sniffed(FileKind.UNKNOWN, "a RIFF container")


def _iso_media(head: bytes) -> Sniffed | None:
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in (b"M4A ", b"M4B "):
        return Sniffed(FileKind.AUDIO, "an M4A audio file")
    if brand in (b"heic", b"heix", b"mif1", b"avif"):
        return Sniffed(FileKind.IMAGE, "an HEIC/AVIF image")
    if brand == b"qt  ":
        return Sniffed(FileKind.VIDEO, "a QuickTime (MOV) video")
    return Sniffed(FileKind.VIDEO, "an MP4 video")


def _zip(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return Sniffed(FileKind.ARCHIVE, "a damaged ZIP archive")
    if "word/document.xml" in names:
        return Sniffed(FileKind.DOCX, "a Word document (DOCX)")
    if any(n.startswith("xl/") for n in names):
        return Sniffed(FileKind.SPREADSHEET, "an Excel workbook (XLSX)")
    if any(n.startswith("ppt/") for n in names):
        return Sniffed(FileKind.PRESENTATION, "a PowerPoint presentation (PPTX)")
    if "content.xml" in names and "mimetype" in names:
        return Sniffed(FileKind.OTHER_OFFICE, "an OpenDocument file")
    return Sniffed(FileKind.ARCHIVE, "a ZIP archive")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True  # byte-order marks: UTF-8/16 text
    if b"\x00" in head:
        # UTF-16 without BOM has every other byte zero in ASCII-heavy text; binary data has zeros
        # too, so the text must also decode to mostly printable characters.
        zeros_even = head[0::2].count(0)
        zeros_odd = head[1::2].count(0)
        half = max(1, len(head) // 2)
        if zeros_odd > 0.4 * half:
            encoding = "utf-16-le"
        elif zeros_even > 0.4 * half:
            encoding = "utf-16-be"
        else:
            return False
        chars = head[: len(head) // 2 * 2].decode(encoding, errors="replace")
        printable = sum(ch.isprintable() or ch in "\t\n\r\f" for ch in chars)
        return printable >= 0.95 * max(1, len(chars))
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return control <= max(1, len(head) // 100)


def sniff(path: Path) -> Sniffed:
    """Identify the file's type from its bytes."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head:
        return Sniffed(FileKind.EMPTY, "an empty file")
    # PDF readers accept the header anywhere in the first KiB (junk before it is common).
    if b"%PDF-" in head[:1024]:
        return Sniffed(FileKind.PDF, "a PDF document")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip(path)
    for sniffed in (_riff(head), _iso_media(head)):
        if sniffed is not None:
            return sniffed
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed(FileKind.AUDIO, "an AIFF audio file")
    for offset, magic, kind, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(kind, name)
    text = _looks_like_text(head)
    if head[:2] == b"MZ" and not text:  # "MZ" alone can begin a text
        return Sniffed(FileKind.UNKNOWN, "an executable program (Windows)")
    if text:
        if looks_like_html(head.decode("utf-8", errors="replace")):
            return Sniffed(FileKind.TEXT, "an HTML page")  # read as its visible text (ingest/text.py)
        if path.suffix.lower() in (".md", ".markdown"):
            return Sniffed(FileKind.MARKDOWN, "Markdown text")
        return Sniffed(FileKind.TEXT, "plain text")
    return Sniffed(FileKind.UNKNOWN, "binary data of an unrecognised type")


def extension_mismatch(path: Path, kind: FileKind) -> bool:
    """True when the file's extension names a readable type other than its content's."""
    expected = _EXPECTED_KIND_BY_EXT.get(path.suffix.lower())
    if expected is None:
        return False
    text_kinds = {FileKind.TEXT, FileKind.MARKDOWN}
    if expected in text_kinds and kind in text_kinds:
        return False
    return expected != kind
