"""Files as assessors download them: identifying metadata removed, the candidate's name redacted.

- text and Markdown: the text scrubbed like the report (name, email, file names).
- PDF: the document information dictionary, XMP metadata, embedded files and annotation authors
  removed (pikepdf). If the pages' text still names the candidate, the PDF is rebuilt from page
  images with those places blacked out, so no text layer is left to hold the name.
- Office Open XML (DOCX, XLSX, PPTX): core and app properties emptied (author, last modified by,
  title, subject, keywords, company, manager), custom properties dropped, comment and revision
  authors replaced, and the text of every paragraph scrubbed.
- Images: re-encoded from their pixels, which drops EXIF and text chunks.
- Audio and video: re-muxed (PyAV, no re-encoding) with only the audio and video streams, so
  container and stream tags (title, artist, comment, creation time, location), chapters,
  subtitles, attachments and cover pictures are left behind.
- Anything else cannot be cleaned here: refused, never sent as is.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from lxml import etree

from screening.ingest.archive import ArchiveLimits, ArchiveTooLarge, check_zip
from screening.settings import LimitSettings

from .anonymise import Scrubber


class CannotClean(Exception):
    """The file's type has no cleaner: it must not reach an assessor."""


def clean(kind: str, data: bytes, scrub: Scrubber, limits: ArchiveLimits | None = None) -> bytes:
    """``limits``: how far a DOCX/XLSX/PPTX may unpack (default: the settings' limits). A file that
    cannot be cleaned, damaged ones included, raises CannotClean: it is never sent as it is."""
    try:
        return _clean(kind, data, scrub, limits)
    except CannotClean:
        raise
    except MemoryError:
        raise CannotClean(f"a {kind} file that needs more memory to clean than allowed") from None
    except Exception as exc:  # noqa: BLE001 - pikepdf, pdfium, zipfile, PIL and PyAV each raise their own
        raise CannotClean(f"a damaged {kind} file ({type(exc).__name__})") from None


def clean_file(path: str, kind: str, scrub: Scrubber, limits: ArchiveLimits | None) -> bytes | str:
    """``clean`` on a file, for the resource-limited worker (screening/ingest/worker.py): the
    cleaned bytes, or why the file cannot be cleaned."""
    try:
        return clean(kind, Path(path).read_bytes(), scrub, limits)
    except CannotClean as exc:
        return str(exc)


def _clean(kind: str, data: bytes, scrub: Scrubber, limits: ArchiveLimits | None) -> bytes:
    if kind in ("text", "markdown"):
        return _text(data, scrub)
    if kind == "pdf":
        return _pdf(data, scrub)
    if data[:2] == b"PK" and _is_ooxml(data):
        return _ooxml(data, scrub, limits or LimitSettings().archive_limits())
    if kind in ("docx", "spreadsheet", "presentation"):
        raise CannotClean(f"a damaged {kind} file (not a readable Office package)")
    if kind == "image":
        return _image(data)
    if kind in ("audio", "video"):
        return _media(data, kind)
    raise CannotClean(f"type {kind}")


def _text(data: bytes, scrub: Scrubber) -> bytes:
    try:
        return scrub.text(data.decode("utf-8")).encode("utf-8")
    except UnicodeDecodeError:
        return scrub.text(data.decode("latin-1")).encode("latin-1", errors="replace")


# --- PDF ------------------------------------------------------------------------------------------

def _pdf(data: bytes, scrub: Scrubber) -> bytes:
    cleaned = _strip_pdf(data)
    # The page-image rebuild gets its own metadata (the writer's dates): stripped again.
    return _strip_pdf(_redact_pages(cleaned, scrub)) if _pdf_names_candidate(cleaned, scrub) else cleaned


def _strip_pdf(data: bytes) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for key in ("/Metadata", "/PieceInfo", "/AcroForm"):
            if key in pdf.Root:
                del pdf.Root[key]
        if "/Names" in pdf.Root and "/EmbeddedFiles" in pdf.Root.Names:
            del pdf.Root.Names["/EmbeddedFiles"]
        for page in pdf.pages:
            for key in ("/Metadata", "/PieceInfo"):
                if key in page.obj:
                    del page.obj[key]
            for annot in page.obj.get("/Annots", []):
                for key in ("/T", "/Contents", "/RC", "/Popup"):
                    if key in annot:
                        del annot[key]
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False, deterministic_id=True)
    return out.getvalue()


def _pdf_texts(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def _pdf_names_candidate(data: bytes, scrub: Scrubber) -> bool:
    return any(scrub.text(t) != t for t in _pdf_texts(data))


def _redact_pages(data: bytes, scrub: Scrubber, scale: float = 2.0) -> bytes:
    """Every page as an image with the candidate's name blacked out; no text layer remains."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    doc = pdfium.PdfDocument(data)
    images = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            image = page.render(scale=scale).to_pil().convert("RGB")
            draw = ImageDraw.Draw(image)
            height = page.get_height()
            for start, end in scrub.spans(text):
                for index in range(start, min(end, textpage.count_chars())):
                    left, bottom, right, top = textpage.get_charbox(index)
                    draw.rectangle([left * scale - 2, (height - top) * scale - 2,
                                    right * scale + 2, (height - bottom) * scale + 2], fill="black")
            images.append(image)
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=72 * scale)
    return out.getvalue()


# --- Office Open XML --------------------------------------------------------------------------------

_CORE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
         b'xmlns:dc="http://purl.org/dc/elements/1.1/"/>')
_CUSTOM = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>')
# app.xml elements that name people or organisations.
_APP_DROP = {"Company", "Manager", "HyperlinkBase"}
_PERSON_ATTRS = {"author", "initials", "userId", "providerId"}


def _is_ooxml(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "[Content_Types].xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def _ooxml(data: bytes, scrub: Scrubber, limits: ArchiveLimits) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        try:
            check_zip(src, limits)  # before a byte is unpacked: entries never yield more than declared
        except ArchiveTooLarge as exc:
            raise CannotClean(f"an Office document too large to clean: {exc}") from None
        for info in src.infolist():
            body = src.read(info.filename)
            name = info.filename
            if name == "docProps/core.xml":
                body = _CORE
            elif name == "docProps/custom.xml":
                body = _CUSTOM
            elif name.endswith(".xml") or name.endswith(".rels"):
                body = _xml(body, scrub, drop=_APP_DROP if name == "docProps/app.xml" else set())
            # A fixed date: the archive's own timestamps say nothing about when or where it was made.
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo alone would store it uncompressed
            dst.writestr(entry, body)
    return out.getvalue()


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _xml(body: bytes, scrub: Scrubber, drop: set[str]) -> bytes:
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return body
    for el in list(root.iter()):
        if _local(el.tag) in drop:
            el.getparent().remove(el)
            continue
        for attr in list(el.attrib):
            if _local(attr) in _PERSON_ATTRS:
                el.set(attr, "Reviewer")
            else:
                el.set(attr, scrub.text(el.get(attr)))
    # A paragraph's text is split over runs; a name can span runs, so scrub the joined text.
    done: set[etree._Element] = set()
    for p in root.iter():
        if _local(p.tag) != "p":
            continue
        runs = [t for t in p.iter() if _local(t.tag) == "t"]
        done.update(runs)
        joined = "".join(t.text or "" for t in runs)
        cleaned = scrub.text(joined)
        if runs and cleaned != joined:
            runs[0].text = cleaned
            runs[0].set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            for t in runs[1:]:
                t.text = ""
    for el in root.iter():
        if el not in done and isinstance(el.tag, str):
            if el.text:
                el.text = scrub.text(el.text)
        if el.tail:
            el.tail = scrub.text(el.tail)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- images ---------------------------------------------------------------------------------------

def _image(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        fmt = im.format or "PNG"
        pixels = im.copy()
    pixels.info = {}
    out = io.BytesIO()
    pixels.save(out, format=fmt)
    return out.getvalue()


# Containers a recording can be written back to, by the demuxer's names for it.
_MUXERS = {"mov": "mp4", "mp4": "mp4", "matroska": "matroska", "webm": "webm", "mp3": "mp3", "wav": "wav",
           "ogg": "ogg", "flac": "flac", "aiff": "aiff"}


def _media(data: bytes, kind: str) -> bytes:
    import av
    from av.stream import Disposition

    try:
        with av.open(io.BytesIO(data)) as src:
            muxer = next((_MUXERS[n] for n in src.format.name.split(",") if n in _MUXERS), None)
            if muxer is None:
                raise CannotClean(f"{kind} ({src.format.name})")
            keep = [s for s in src.streams
                    if s.type in ("audio", "video") and not (s.disposition & Disposition.attached_pic)]
            # A real file: moving MP4's index to the front (faststart, so a browser can start
            # playing at the cited time at once) re-reads the output by name.
            with tempfile.TemporaryDirectory(prefix="clean-") as tmp:
                target = Path(tmp) / f"out.{muxer}"
                with av.open(str(target), "w", format=muxer,
                             options={"movflags": "faststart"} if muxer == "mp4" else {}) as out:
                    streams = {s.index: out.add_stream_from_template(s) for s in keep}
                    for packet in src.demux(keep):
                        if packet.dts is None:  # the demuxer's end-of-stream marker
                            continue
                        packet.stream = streams[packet.stream.index]
                        out.mux(packet)
                return target.read_bytes()
    except av.FFmpegError as exc:
        raise CannotClean(f"{kind} (unreadable: {exc})") from None


__all__ = ["CannotClean", "clean"]
