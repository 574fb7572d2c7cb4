"""Reading order for the characters of one PDF page.

pdfplumber gives characters with boxes; it does not know columns, and its ``upright`` flag cannot
tell text turned by 90 degrees from text turned by 270, nor 180-degree text from upright text.
So this module:

1. sorts characters by *orientation*, taken from each character's text matrix (the direction the
   pen advances and the direction "up" points, each rounded to an axis: the eight turns and
   mirrorings of a page), and maps each character's box into a *reading frame* in which its
   text runs left to right, lines top to bottom;
2. builds lines, words, and line *chunks* (runs of words without a gutter-wide gap) in that frame;
3. orders chunks by a recursive XY-cut: split the region at its widest whitespace gap, either a
   vertical gutter (columns, read left then right) or a horizontal gap (read top then bottom),
   until no gap is left; each leaf's chunks are grouped into lines by vertical overlap;
4. joins lines with newlines, and paragraphs (a large vertical gap or a change of type size)
   with blank lines.

Only geometry is used here; Unicode cleanup and de-hyphenation happen in :mod:`.pdf`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

# A unit axis vector in page space (x right, y down).
Axis = tuple[int, int]
# (advance direction, "down" direction) of the text, both as page-space axes.
Orientation = tuple[Axis, Axis]

UPRIGHT: Orientation = ((1, 0), (0, 1))

# Thresholds in ems (multiples of the type size), so they hold for any type size.
WORD_GAP_EM = 0.2  # a gap between glyphs wider than this starts a new word (spaces are ~0.25 em)
CHUNK_GAP_EM = 0.75  # a gap wider than this inside a line may be a gutter between columns
GUTTER_EM_MANY_LINES = 0.75  # a whole-region vertical gap this wide splits columns...
GUTTER_EM_TWO_LINES = 1.0  # ...but short regions need wider gaps, as chance gaps between
GUTTER_EM_ONE_LINE = 2.0  # words can line up over a couple of lines (never over many)
MIN_COLUMN_EM = 4.0  # a "column" narrower than this holds markers, not text
PARA_GAP_EM = 0.4  # extra space beyond the usual line gap that marks a new paragraph
SIZE_CHANGE = 1.2  # type-size ratio between lines that marks a heading / paragraph change


@dataclass(frozen=True)
class Glyph:
    """One character's box in its reading frame (x right, y down, text left to right)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    base: float  # the baseline's frame y (where the glyph's origin sits)

    @property
    def size(self) -> float:
        return self.bottom - self.top


@dataclass
class Chunk:
    """Words of one line with no gutter-wide gap between them."""

    words: list[str]
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    trailing_space: bool = False  # the PDF drew a space after the last word

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class Line:
    """One output line: the chunks of a leaf region that overlap vertically."""

    chunks: list[Chunk] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(c.x0 for c in self.chunks)

    @property
    def x1(self) -> float:
        return max(c.x1 for c in self.chunks)

    @property
    def top(self) -> float:
        return min(c.top for c in self.chunks)

    @property
    def bottom(self) -> float:
        return max(c.bottom for c in self.chunks)

    @property
    def size(self) -> float:
        return max(c.size for c in self.chunks)

    @property
    def text(self) -> str:
        """Chunks left to right; chunks that touch (a line drawn in pieces, even glyph by
        glyph) are glued without a space, as one word."""
        ordered = sorted(self.chunks, key=lambda c: c.x0)
        parts = [ordered[0].text]
        for a, b in zip(ordered, ordered[1:]):
            touching = b.x0 - a.x1 <= WORD_GAP_EM * min(a.size, b.size) and not a.trailing_space
            parts.append(b.text if touching else " " + b.text)
        return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Orientation


def _axis(vx: float, vy: float) -> Axis | None:
    """Round a vector to the nearest axis; None for a zero vector."""
    if vx == 0 and vy == 0:
        return None
    if abs(vx) >= abs(vy):
        return (1 if vx > 0 else -1, 0)
    return (0, 1 if vy > 0 else -1)


def orientation_of(matrix: Sequence[float] | None) -> Orientation:
    """The text orientation of a character from its text rendering matrix.

    The matrix maps glyph space (x advance, y up) to PDF space (y up). Its first column
    (a, b) is the advance direction and its second (c, d) the glyph's up direction; page space
    here has y down, so both y components flip sign, and "down" is minus "up".
    """
    if not matrix or len(matrix) < 4:
        return UPRIGHT
    a, b, c, d = (float(v) for v in matrix[:4])
    advance = _axis(a, -b) or (1, 0)
    down = _axis(-c, d)
    perpendicular = (-advance[1], advance[0])  # advance turned a quarter clockwise on screen
    if down is None or down[0] * advance[0] + down[1] * advance[1] != 0:
        # Degenerate or sheared beyond recognition: assume unmirrored text.
        down = perpendicular
    return (advance, down)


def _frame_range(lo: float, hi: float, sign: int) -> tuple[float, float]:
    return (lo, hi) if sign > 0 else (-hi, -lo)


def to_frame(char: Mapping[str, Any], orient: Orientation) -> Glyph:
    """Map a character's page box into the reading frame of its orientation."""
    (ax, ay), (dx, dy) = orient
    x0, x1 = float(char["x0"]), float(char["x1"])
    top, bottom = float(char["top"]), float(char["bottom"])
    # Frame x runs along the advance axis, frame y along the down axis.
    fx = _frame_range(x0, x1, ax) if ax else _frame_range(top, bottom, ay)
    fy = _frame_range(x0, x1, dx) if dx else _frame_range(top, bottom, dy)
    base = fy[1]
    matrix = char.get("matrix")
    if matrix and len(matrix) >= 6 and "y1" in char:
        # The glyph origin (e, f) is in PDF space (y up); top + y1 is the page height there.
        ox, oy = float(matrix[4]), float(char["y1"]) + top - float(matrix[5])
        base = dx * ox if dx else dy * oy
    return Glyph(str(char.get("text", "")), fx[0], fy[0], fx[1], fy[1], base)


# ---------------------------------------------------------------------------------------------
# Lines, words, chunks


def _continues(prev: Glyph, g: Glyph) -> bool:
    """Whether glyph g, drawn right after prev, continues prev's line fragment: on the same
    line (centres within half a type size) and just after it (not backwards, no gutter gap)."""
    size = max(prev.size, g.size, 0.1)
    same_line = abs((g.top + g.bottom) - (prev.top + prev.bottom)) / 2 <= 0.5 * size
    gap = g.x0 - prev.x1
    return same_line and -0.5 * size <= gap <= CHUNK_GAP_EM * size and g.x0 >= prev.x0 - 0.01


def _fragments(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Split glyphs, in drawing order, into line fragments.

    Drawing order, not a page-wide sort: PDF producers draw text run by run, so consecutive
    glyphs that sit side by side on one line belong together. A page-wide grouping by height
    would merge lines of neighbouring columns whose baselines are offset (and through them two
    lines of one column). Fragments of one visual line drawn separately are rejoined by
    :func:`leaf_lines` after the XY-cut.
    """
    frags: list[list[Glyph]] = []
    last_ink: Glyph | None = None
    for g in glyphs:
        if not g.text.strip():
            if frags and last_ink is not None:
                frags[-1].append(g)  # an explicit space: a word break inside the fragment
            continue
        if last_ink is None or not _continues(last_ink, g):
            frags.append([])
        frags[-1].append(g)
        last_ink = g
    return frags


def _fragment_chunk(frag: list[Glyph]) -> Chunk | None:
    """Turn one fragment into a chunk of words (spaces drawn, or gaps, break words)."""
    ink = [g for g in frag if g.text.strip()]
    if not ink:
        return None
    size = median(g.size for g in ink) or 1.0
    words: list[str] = []
    current: list[str] = []
    prev: Glyph | None = None
    space_seen = False
    for g in frag:
        if not g.text.strip():
            # A space drawn well inside the previous glyph is an artefact (some fonts map a
            # ligature to "fi "), not a word break.
            if prev is None or g.x0 >= prev.x1 - 0.15 * size:
                space_seen = True
            continue
        if prev is not None and (space_seen or g.x0 - prev.x1 > WORD_GAP_EM * size or _size_jump(prev, g)):
            words.append("".join(current))
            current = []
        current.append(g.text)
        prev, space_seen = g, False
    words.append("".join(current))
    return Chunk(
        words,
        min(g.x0 for g in ink),
        min(g.top for g in ink),
        max(g.x1 for g in ink),
        max(g.bottom for g in ink),
        size,
        trailing_space=space_seen,
    )


def _size_jump(a: Glyph, b: Glyph) -> bool:
    """A smaller glyph raised or lowered off the baseline: a footnote mark, superscript or
    subscript, kept apart from the word it touches ("Reports1from" -> "Reports 1 from").
    A drop cap sits on the same baseline as its word and is not split off."""
    big, small = max(a.size, b.size), min(a.size, b.size)
    return small > 0 and big / small > 1.35 and abs(a.base - b.base) > 0.1 * big


def build_chunks(glyphs: list[Glyph]) -> list[Chunk]:
    return [c for c in map(_fragment_chunk, _fragments(glyphs)) if c is not None]


# ---------------------------------------------------------------------------------------------
# XY-cut


def _gaps(spans: Iterable[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Empty stretches (start, end) between projected spans wider than ``min_gap``."""
    ordered = sorted(spans)
    gaps: list[tuple[float, float]] = []
    if not ordered:
        return gaps
    reach = ordered[0][1]
    for lo, hi in ordered[1:]:
        if lo - reach > min_gap:
            gaps.append((reach, lo))
        reach = max(reach, hi)
    return gaps


def _band_count(chunks: Sequence[Chunk]) -> int:
    """How many separate lines (vertically non-overlapping bands) a set of chunks has."""
    return len(_gaps(((c.top, c.bottom) for c in chunks), 0.0)) + 1


def _width(chunks: Sequence[Chunk]) -> float:
    return max(c.x1 for c in chunks) - min(c.x0 for c in chunks) if chunks else 0.0


def _best_gutter(chunks: Sequence[Chunk], size: float) -> tuple[float, float] | None:
    """The widest vertical gutter that may split this region into columns."""
    best: tuple[float, float] | None = None
    for lo, hi in _gaps(((c.x0, c.x1) for c in chunks), GUTTER_EM_MANY_LINES * size):
        cut = (lo + hi) / 2
        left = [c for c in chunks if c.x1 <= cut]
        right = [c for c in chunks if c.x0 >= cut]
        if min(_width(left), _width(right)) < MIN_COLUMN_EM * size:
            continue  # a strip of bullets, list numbers or line numbers: keep them on their lines
        lines = min(_band_count(left), _band_count(right))
        need = GUTTER_EM_MANY_LINES if lines >= 3 else GUTTER_EM_TWO_LINES if lines == 2 else GUTTER_EM_ONE_LINE
        if hi - lo >= need * size and (best is None or hi - lo > best[1] - best[0]):
            best = (lo, hi)
    return best


def xy_cut(chunks: list[Chunk]) -> list[list[Chunk]]:
    """Order chunks into leaf regions by recursive XY-cut on the widest whitespace gap.

    An explicit stack instead of recursion: a long single-column page is cut one line gap at a
    time, which could exceed Python's recursion limit.
    """
    leaves: list[list[Chunk]] = []
    stack: list[list[Chunk]] = [chunks] if chunks else []
    while stack:
        region = stack.pop()
        size = median(c.size for c in region) or 1.0
        gutter = _best_gutter(region, size) if len(region) > 1 else None
        ygaps = _gaps(((c.top, c.bottom) for c in region), 0.0) if len(region) > 1 else []
        widest_y = max(ygaps, key=lambda g: g[1] - g[0]) if ygaps else None
        if gutter and (widest_y is None or gutter[1] - gutter[0] >= widest_y[1] - widest_y[0]):
            cut = (gutter[0] + gutter[1]) / 2
            first = [c for c in region if (c.x0 + c.x1) / 2 < cut]
            second = [c for c in region if (c.x0 + c.x1) / 2 >= cut]
        elif widest_y:
            cut = (widest_y[0] + widest_y[1]) / 2
            first = [c for c in region if (c.top + c.bottom) / 2 < cut]
            second = [c for c in region if (c.top + c.bottom) / 2 >= cut]
        else:
            leaves.append(region)
            continue
        if not first or not second:  # cannot happen for a true gap; never loop forever
            leaves.append(region)
            continue
        stack.append(second)  # popped after everything from `first`
        stack.append(first)
    return leaves


def leaf_lines(region: list[Chunk]) -> list[Line]:
    """Group a leaf's chunks into lines: a chunk joins a line it overlaps by half its height."""
    lines: list[Line] = []
    for chunk in sorted(region, key=lambda c: (c.top, c.x0)):
        for line in lines:
            overlap = min(line.bottom, chunk.bottom) - max(line.top, chunk.top)
            if overlap >= 0.5 * min(chunk.bottom - chunk.top, line.bottom - line.top):
                line.chunks.append(chunk)
                break
        else:
            lines.append(Line([chunk]))
    return sorted(lines, key=lambda ln: ln.top)


# ---------------------------------------------------------------------------------------------
# Text


def _below(a: Line, b: Line) -> bool:
    """b continues a's column: it starts below a and overlaps it horizontally."""
    return b.top >= a.bottom - 0.3 * a.size and b.x0 < a.x1 and b.x1 > a.x0


def render_lines(lines: list[Line]) -> str:
    """Join lines with newlines; a blank line where a paragraph seems to change."""
    if not lines:
        return ""
    pairs = list(zip(lines, lines[1:]))
    usual = [b.top - a.bottom for a, b in pairs if _below(a, b)]
    usual_gap = median(usual) if usual else 0.0
    out = [lines[0].text]
    for a, b in pairs:
        sep = "\n"
        if _below(a, b):
            gap = b.top - a.bottom
            ratio = max(a.size, b.size) / max(min(a.size, b.size), 0.1)
            if gap > usual_gap + PARA_GAP_EM * min(a.size, b.size) or ratio > SIZE_CHANGE:
                sep = "\n\n"
        # Otherwise the text moved to another column or region: the flow usually continues
        # there (a sentence running over a column break), so a single newline.
        out.append(sep)
        out.append(b.text)
    return "".join(out)


def group_by_orientation(chars: Iterable[Mapping[str, Any]]) -> list[list[Glyph]]:
    """Glyphs in reading frames, one list per orientation, the most common orientation first."""
    groups: dict[Orientation, list[Glyph]] = {}
    for ch in chars:
        orient = orientation_of(ch.get("matrix"))
        groups.setdefault(orient, []).append(to_frame(ch, orient))
    counts = Counter({k: sum(1 for g in v if g.text.strip()) for k, v in groups.items()})
    return [groups[k] for k, _ in counts.most_common() if counts[k]]


def page_text(chars: Iterable[Mapping[str, Any]]) -> str:
    """The text of a page's characters in reading order (not yet Unicode-normalised)."""
    parts = []
    for glyphs in group_by_orientation(chars):
        lines = [ln for leaf in xy_cut(build_chunks(glyphs)) for ln in leaf_lines(leaf)]
        text = render_lines(lines)
        if text.strip():
            parts.append(text)
    return "\n\n".join(parts)
