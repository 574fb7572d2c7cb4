"""The location grammar: what candidates write to point at evidence, as structured locations.

A cell may hold several locations ("page 2, 03:10-04:00"). Everything that matches the grammar
becomes a :class:`Location`; every other word that is not filler ("see", "in the video") is
returned verbatim as unparsed. Nothing is guessed: "page four", "6-4" (a range ending before it
starts) or a bare "4" (unless the caller says which kind a bare number is) stay unparsed, for an
assessor to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .model import Location

_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212~"
# "4-6", "4 – 6", "4 to 6", "4 through 6"
_RNG = rf"(?:\s*[{_DASH}]+\s*|\s+(?:to|through|thru|until|till)\s+)"
# "4, 7", "3 and 5", "4 & 7", "4/5"
_SEP = r"(?:\s*[,&+/;]\s*(?:and\s+)?|\s+and\s+)"
# A page or slide number: never the hour/minute part of a time ("03" in "03:10").
_NUM = r"\d{1,4}(?![\d:])(?!\.\d)"
_ITEM = rf"{_NUM}(?:{_RNG}{_NUM})?"
_LIST = rf"{_ITEM}(?:{_SEP}{_ITEM})*"
_TIME = r"(?<![\d:.])\d{1,3}:\d{2}(?::\d{2})?(?![\d:])"
_NOUNS = (
    r"document|doc|file|video|recording|artifact|artefact|presentation|slide\s*deck|deck|slides"
    r"|pages|pdf|audio|clip|log|plan|minutes|thing|item|portfolio"
)
_END = r"(?=\s*(?:$|[,;.)(\]]))"
_NO_LETTER = r"(?<![a-z])"
# between "page", "slide" or "row" and its numbers: "p. 4", "page no. 4", "slide #3"
_NUMBERED = r"\.?\s*(?:(?:no|nos|numbers?)\.?\s*|\#\s*)?"

_GRAMMAR = re.compile(
    rf"""
    (?P<whole>{_NO_LETTER}(?:
        (?:the\s+)?(?:entire|whole|full|complete)\s+(?:{_NOUNS})
      | (?:see\s+)?all\s+(?:of\s+)?(?:the\s+)?(?:{_NOUNS}|it)
      | throughout(?:\s+(?:the\s+)?(?:{_NOUNS}))?
      | (?:all|entire|whole|everything){_END}
    )(?![a-z]))
  | (?P<page>{_NO_LETTER}(?:pages?|pgs?|pp|p){_NUMBERED}(?P<page_list>{_LIST}))
  | (?P<slide>{_NO_LETTER}(?:slides?|sl){_NUMBERED}(?P<slide_list>{_LIST}))
  | (?P<row>{_NO_LETTER}rows?{_NUMBERED}(?P<row_list>{_LIST}))
  | (?P<time>(?:{_NO_LETTER}(?:at|@|time\s*stamps?|timestamps?|ts|time)\.?\s*)?
        (?P<t1>{_TIME})(?:{_RNG}(?P<t2>{_TIME}))?)
  | (?P<minword>{_NO_LETTER}(?:minutes?|mins?)\.?\s*(?P<mw1>\d{{1,3}})(?:{_RNG}(?P<mw2>\d{{1,3}}))?(?![\d:]))
  | (?P<minrange>(?<![\d.:])(?P<mr1>\d{{1,3}}){_RNG}(?P<mr2>\d{{1,3}})\s*(?:minutes?|mins?)(?![a-z]))
  | (?P<dur>(?<![\d.:])
        (?:(?P<dh>\d{{1,2}})\s*(?:hours?|hrs?|h)(?![a-z])\s*)?
        (?P<dm>\d{{1,3}})\s*(?:minutes?|mins?|m)(?![a-z])\.?
        (?:\s*(?:and\s*)?(?P<ds>\d{{1,2}})\s*(?:seconds?|secs?|s)(?![a-z]))?)
  | (?P<secs>(?<![\d.:])(?P<sv>\d{{1,5}})\s*(?:seconds?|secs?)(?![a-z]))
  | (?P<bare>(?<![\w.:{_DASH}]){_LIST}(?![\w:{_DASH}])(?!\.\d))
    """,
    re.IGNORECASE | re.VERBOSE,
)
_ITEM_RE = re.compile(rf"(\d{{1,4}})(?:{_RNG}(\d{{1,4}}))?", re.IGNORECASE)

# Words that carry no location on their own: "see p. 4", "at 12:30 in the video".
_FILLER = frozenset(
    "and or see also at in on of the from video recording audio clip plus then starting start "
    "around approx approximately about mark timestamp time stamp of".split()
)
_WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(r"[;,\n|]+")


def _seconds(token: str) -> float | None:
    parts = [int(p) for p in token.split(":")]
    if len(parts) == 2:
        minutes, secs = parts
        return None if secs >= 60 else float(minutes * 60 + secs)
    hours, minutes, secs = parts
    return None if minutes >= 60 or secs >= 60 else float(hours * 3600 + minutes * 60 + secs)


def _numbered(kind: str, raw: str, items: str, unparsed: list[str]) -> list[Location]:
    """Locations of a page or slide list; a 0 or a backwards range stays unparsed."""
    found = list(_ITEM_RE.finditer(items))
    out: list[Location] = []
    for m in found:
        start, end = int(m.group(1)), (int(m.group(2)) if m.group(2) else None)
        if start < 1 or (end is not None and end < start):
            unparsed.append(raw if len(found) == 1 else m.group(0).strip())
            continue
        out.append(Location(kind, start, None if end == start else end, raw))
    return out


def _span(kind: str, raw: str, start: float | None, end: float | None, unparsed: list[str]) -> list[Location]:
    if start is None or (end is not None and end < start):
        unparsed.append(raw)
        return []
    return [Location(kind, start, None if end == start else end, raw)]


def _location(m: re.Match[str], default_kind: str | None, unparsed: list[str]) -> list[Location]:
    raw = m.group(0).strip()
    if m.group("whole"):
        return [Location("whole", None, None, raw)]
    if m.group("page"):
        return _numbered("page", raw, m.group("page_list"), unparsed)
    if m.group("slide"):
        return _numbered("slide", raw, m.group("slide_list"), unparsed)
    if m.group("row"):
        # a spreadsheet's or a table's rows ("rows 2-8" of a coaching tracker): a place an
        # assessor can open, which the screener does not check
        return _numbered("row", raw, m.group("row_list"), unparsed)
    if m.group("time"):
        start = _seconds(m.group("t1"))
        end = _seconds(m.group("t2")) if m.group("t2") else None
        if m.group("t2") and end is None:
            start = None  # a malformed end: keep the whole phrase unparsed
        return _span("time", raw, start, end, unparsed)
    if m.group("minword"):
        end = float(int(m.group("mw2")) * 60) if m.group("mw2") else None
        return _span("time", raw, float(int(m.group("mw1")) * 60), end, unparsed)
    if m.group("minrange"):
        return _span("time", raw, float(int(m.group("mr1")) * 60), float(int(m.group("mr2")) * 60), unparsed)
    if m.group("dur"):
        secs = int(m.group("ds") or 0)
        total = int(m.group("dh") or 0) * 3600 + int(m.group("dm")) * 60 + secs
        return _span("time", raw, None if secs >= 60 else float(total), None, unparsed)
    if m.group("secs"):
        return _span("time", raw, float(int(m.group("sv"))), None, unparsed)
    # A bare number: a page or slide only when the caller knows the column means that.
    if default_kind in ("page", "slide"):
        return _numbered(default_kind, raw, raw, unparsed)
    unparsed.append(raw)
    return []


def _leftovers(text: str) -> list[str]:
    """The pieces of text between matches that say something: verbatim, trimmed."""
    out = []
    for piece in _SPLIT.split(text):
        piece = piece.strip(" \t.:-()[]\u2013\u2014")
        words = [w.lower() for w in _WORD.findall(piece)]
        if words and any(w not in _FILLER for w in words):
            out.append(re.sub(r"^(?:and|or|&)\s+", "", piece, flags=re.I))
    return out


def parse_locations(text: str, *, default_kind: str | None = None) -> tuple[list[Location], list[str]]:
    """Parse a location cell into (locations in the order written, unparsed pieces verbatim).

    ``default_kind`` ("page" or "slide") says what a bare number means, for a column headed
    "Page" or "Slide"; without it a bare number is unparsed.
    """
    text = (text or "").strip()
    locations: list[Location] = []
    unparsed: list[str] = []
    pos = 0
    for m in _GRAMMAR.finditer(text):
        unparsed.extend(_leftovers(text[pos : m.start()]))
        locations.extend(_location(m, default_kind, unparsed))
        pos = m.end()
    unparsed.extend(_leftovers(text[pos:]))
    return locations, unparsed


# ---------------------------------------------------------------------------------------------
# Artifact names written into a location cell ("plan.pdf p. 3")

_EXTENSIONS = (
    "pdf|docx?|pptx?|xlsx?|csv|txt|md|rtf|odt|odp|ods|key|pages|numbers|mp4|mov|m4v|avi|webm|mkv"
    "|mp3|m4a|wav|jpe?g|png|gif|heic|tiff?"
)
_FILE_TOKEN = re.compile(rf"(?<![\w.])[^\s,;:()]*[^\W_][^\s,;:()]*\.(?:{_EXTENSIONS})(?![\w.])", re.IGNORECASE)


def artifact_mentions(text: str, names: Iterable[str] = ()) -> tuple[list[str], str]:
    """Find artifact names in a location cell: file names with an extension, and any of
    ``names`` (the row's own artifact names, with or without extension) as whole words.

    Returns (names found as written, the text with them blanked out) so the rest can be parsed
    without the name's digits ("plan-2025.pdf") being read as pages.
    """
    spans: list[tuple[int, int]] = [(m.start(), m.end()) for m in _FILE_TOKEN.finditer(text)]
    for name in _name_variants(names):
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
            spans.append((m.start(), m.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    found = [text[s:e] for s, e in merged]
    rest = text
    for s, e in reversed(merged):
        rest = rest[:s] + " " * (e - s) + rest[e:]
    return found, rest


def _name_variants(names: Iterable[str]) -> Sequence[str]:
    out: set[str] = set()
    for name in names:
        name = name.strip()
        stem = re.sub(rf"\.(?:{_EXTENSIONS})$", "", name, flags=re.IGNORECASE)
        for v in (name, stem):
            # Short names ("A", "log") are too likely to be ordinary words of the location.
            if len(v) >= 4 and not re.fullmatch(r"[\d\W]+", v):
                out.add(v)
    return sorted(out, key=len, reverse=True)
