"""Plain text and Markdown: decode any common encoding, strip Markdown markup."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str


def decode(data: bytes) -> DecodedText:
    """Decode bytes as text: BOM, then strict UTF-8, then UTF-16 without BOM, then detection.

    Windows-1252 is the last resort, not latin-1, because Word-pasted text uses its curly
    quotes and dashes (0x91–0x97), which latin-1 would turn into control characters.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return DecodedText(data.decode(enc, errors="replace"), enc.replace("-sig", ""))
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    sample = data[:4096]
    if b"\x00" in sample:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        enc = "utf-16-le" if odd > even else "utf-16-be"
        try:
            return DecodedText(data.decode(enc), enc)
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding not in ("utf_8", "ascii"):
        enc = best.encoding
        # Detectors often say latin-1 / iso8859-1 for cp1252 text; cp1252 is a superset of its
        # printable range and right for Word's smart quotes.
        if enc in ("latin_1", "iso8859_1", "iso8859_15"):
            enc = "cp1252"
        try:
            return DecodedText(data.decode(enc), enc.replace("_", "-"))
        except (UnicodeDecodeError, LookupError):
            pass
    return DecodedText(data.decode("cp1252", errors="replace"), "cp1252")


def normalise(text: str) -> str:
    """Normalise for NLP and counting: NFKC (ligatures, full-width forms), unified newlines,
    no control characters, no trailing spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    return text.strip("\n")


# Line-start rules match spaces and tabs only: "\s" there would also eat the blank line before a
# heading, gluing the heading to the paragraph above it.
_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.S), ""),  # comments
    (re.compile(r"^```.*?$", re.M), ""),  # code fences (keep the code text)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.M), ""),  # ATX headings
    (re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$", re.M), ""),  # setext underlines, rules
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^([ \t]*)([-*+]|\d+[.)])[ \t]+", re.M), r"\1"),  # list markers
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2"),  # emphasis
    (re.compile(r"`([^`]*)`"), r"\1"),  # inline code
    (re.compile(r"^[ \t]*\|?([ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$", re.M), ""),  # table rule rows
)


def strip_markdown(text: str) -> str:
    """Markdown to the text a reader sees (so word counts match the rendered document)."""
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text


_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I | re.S)
_TAG = re.compile(r"</?(?:p|div|span|br|table|tr|td|th|li|ul|ol|h[1-6]|a|script|style|meta|link)\b[^>]*>", re.I)


def looks_like_html(text: str) -> bool:
    """An HTML page (saved from a browser or an LMS, whatever its name): a doctype or html/head/
    body tag at the start, or markup so dense that tags outnumber lines."""
    if _HTML_START.search(text[:2048]):
        return True
    tags = len(_TAG.findall(text[:8192]))
    return tags >= 10 and tags > text[:8192].count("\n")


def html_visible_text(html: str) -> str:
    """The text a browser shows: no tags, scripts, styles, comments or head; block elements
    (paragraphs, headings, list items, table rows and cells) on lines of their own."""
    from html.parser import HTMLParser

    blocks = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
              "section", "article", "header", "footer", "blockquote", "pre", "title", "hr"}
    hidden = {"script", "style", "head", "noscript", "template", "svg"}

    class Visible(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []
            self.depth = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in hidden:
                self.depth += 1
            elif tag in blocks:
                self.out.append("\n")
            elif tag in ("td", "th"):
                self.out.append("\t")

        def handle_endtag(self, tag: str) -> None:
            if tag in hidden:
                self.depth = max(0, self.depth - 1)
            elif tag in blocks:
                self.out.append("\n")

        def handle_data(self, data: str) -> None:
            if not self.depth:
                self.out.append(data)

    parser = Visible()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).split("\n")]
    return "\n\n".join(line for line in lines if line)
