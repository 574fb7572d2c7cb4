"""The places a self-analysis row cites, and the passages that lie there.

Shared by the citation checks (is the cited place the right one?) and the evidence check (does
a place the self-analysis cites support a derived detail?): both read a row's cited files and
places the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from ..documents import Document
from ..echo import RubricWording, content_stems
from ..locations import mmss
from ..passages import Passage
from ..selfanalysis import Citation, Location, match_artifact, split_artifact_names, written_as_file_name
from .base import ScreeningContext


OPEN_TIME_S = 60  # "at 12:30" with no end cites the minute after it


@dataclass(frozen=True)
class Place:
    file: str
    location: Location

    def holds(self, p: Passage) -> bool:
        if p.file != self.file:
            return False
        loc = self.location
        if loc.kind == "whole":
            return True
        end = loc.end if loc.end is not None else loc.start
        # A slide deck is uploaded as a PDF of one slide per page, and "slide 3" is its page 3
        # (the word rule has always read it so).
        if loc.kind in ("page", "slide") and p.page is not None and loc.start is not None:
            return loc.start <= p.page <= end  # type: ignore[operator]
        if loc.kind == "time" and p.start_s is not None and loc.start is not None:
            stop = end if loc.end is not None else loc.start + OPEN_TIME_S
            # More than a second in common: a passage of several segments that starts just
            # before the cited stretch ends ("00:00-00:17" and a passage from 16.5 s) is not
            # what was cited; times are written in whole seconds, so a second is the slack.
            overlap = min(stop, p.end_s or p.start_s) - max(loc.start, p.start_s)  # type: ignore[type-var,operator]
            return overlap > 1.0 or (loc.start <= p.start_s and (p.end_s or p.start_s) <= stop)  # type: ignore[operator]
        return False


def held(places: list[Place], passages: tuple[Passage, ...]) -> np.ndarray:
    """Which passages lie at any of the places."""
    return np.array([any(pl.holds(p) for pl in places) for p in passages], dtype=bool)


def score_columns(ctx: ScreeningContext) -> dict[str, int]:
    """Each detail's column in the score matrices."""
    return {d.id: i for i, (_, d) in enumerate(ctx.rubric.details())}


def place_label(loc: Location) -> str:
    if loc.kind == "page":
        return f"page {loc.start:g}" if loc.end in (None, loc.start) else f"pages {loc.start:g}–{loc.end:g}"
    if loc.kind == "time" and loc.start is not None:
        return mmss(loc.start) if loc.end is None else f"{mmss(loc.start)}–{mmss(loc.end)}"
    if loc.kind == "slide":
        return f"slide {loc.start:g}"
    if loc.kind == "row" and loc.start is not None:
        return f"row {loc.start:g}" if loc.end in (None, loc.start) else f"rows {loc.start:g}–{loc.end:g}"
    return loc.raw


def cited_files(c: Citation, names: list[str], least: float) -> tuple[list[str], list[tuple[str, str | None]]]:
    """The artifacts a row cites, matched by name, and the names that match none well enough
    (each with the closest file, if any)."""
    files: list[str] = []
    unmatched: list[tuple[str, str | None]] = []
    for raw in split_artifact_names(c.artifact_raw):
        best, score, suggestion = match_artifact(raw, names)
        if best is None or score < least:
            unmatched.append((raw, suggestion or best))
        else:
            files.append(best)
    return files, unmatched


def loosely_named(c: Citation, names: list[str], least: float, exact: float) -> list[tuple[str, str]]:
    """(name as written, file taken for it) for each name the row writes as a file's name, with
    its extension, that no file bears: matched at ``least`` or better only by the words it holds
    or by its spelling, below ``exact``."""
    out = []
    for raw in split_artifact_names(c.artifact_raw):
        if not written_as_file_name(raw):
            continue
        best, score, _ = match_artifact(raw, names)
        if best is not None and least <= score < exact:
            out.append((raw, best))
    return out


def cited_support(ctx: ScreeningContext) -> dict[str, tuple[float, str]]:
    """Each detail's best similarity, without competition, at the places the self-analysis
    cites for it, with the place's label: the candidate's own pointer to its evidence, and how
    near the screener finds it."""
    artifacts = [f.name for f, _ in ctx.files if f.role == "artifact"]
    columns = score_columns(ctx)
    out: dict[str, tuple[float, str]] = {}
    if ctx.raw_scores.size == 0 or not artifacts:
        return out
    for _, analysis in ctx.self_analyses:
        for c in analysis.citations:
            files, _ = cited_files(c, artifacts, ctx.settings.citations.artifact_match_min)
            places = [Place(f, loc) for f in files for loc in c.locations]
            at = held(places, ctx.scored_passages)
            if not at.any():
                continue
            label = cited_label(c, files)
            for d in c.detail_ids:
                if d in columns:
                    score = float(ctx.raw_scores[at, columns[d]].max())
                    if score > out.get(d, (-2.0, ""))[0]:
                        out[d] = (score, label)
    return out


def cited_label(c: Citation, files: list[str]) -> str:
    return " and ".join(f"{place_label(loc)} of {PurePosixPath(f).name}" for f in files for loc in c.locations
                        if loc.kind in ("page", "slide", "time")) or "the cited place"


NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:/]\d+)*%?")


def text_terms(text: str) -> set[str]:
    """Content-word stems and numbers as written ("15", "54%", "11/4")."""
    return set(content_stems(text)) | {n for n in NUMBER.findall(text) if len(n) >= 2}


def spoken_text_terms(text: str) -> set[str]:
    """A transcript's terms, with each pair of adjacent words also joined: a recogniser writes
    compounds apart ("clip board", "walk through") that a candidate types as one word."""
    words = re.findall(r"[A-Za-z]+", text)
    return text_terms(text) | set(content_stems(" ".join(a + b for a, b in zip(words, words[1:]))))


def heard_in(start: float, end: float, cited_start: float, cited_end: float) -> bool:
    """Whether the transcript segment start-end is part of the cited stretch. Times are cited in
    whole seconds and a segment runs on past a pause: one that only begins in the cited stretch's
    last second ("00:00-00:13" over a segment from 12.4 s to 20.9 s) was not what was cited."""
    overlap = min(end, cited_end) - max(start, cited_start)
    return overlap > 0 and (overlap >= 1.0 or overlap >= 0.5 * (end - start))


@dataclass(frozen=True)
class PageTerms:
    """The rubric's wording stems and each artifact place's terms, computed once per screening:
    every row of the self-analysis is compared with all of them. A place is a page of a paged
    artifact, or a transcript segment of a recording (rows cite recordings by time)."""

    rubric_stems: frozenset[str]
    by_page: dict[tuple[str, int], frozenset[str]]
    by_segment: dict[str, tuple[tuple[float, float, frozenset[str]], ...]]

    @classmethod
    def of(cls, ctx: ScreeningContext, artifacts: dict[str, Document]) -> "PageTerms":
        segments = {}
        for name, doc in artifacts.items():
            if doc.segments and doc.pages:
                text = doc.pages[0].text
                segments[name] = tuple((s.start_s, s.end_s, frozenset(spoken_text_terms(text[s.char_start:s.char_end])))
                                       for s in doc.segments)
        return cls(RubricWording.of(ctx.rubric).stems, {
            (name, page.number): frozenset(text_terms(page.text)) for name, doc in artifacts.items()
            if name not in segments for page in doc.pages if page.number is not None and page.text.strip()},
            segments)

    def distinctive(self, text: str) -> frozenset[str]:
        """The text's terms that are not the rubric's wording, which is on every page of a
        submission about it."""
        return frozenset(t for t in text_terms(text) if t not in self.rubric_stems)

    def at(self, c: Citation, files: list[str], times: bool = True) -> list[frozenset[str]]:
        """The terms at each place the row cites: its pages and slides and, with ``times``, the
        stretches of recordings it cites."""
        out = [self.by_page[k] for k in pages_cited(c, files) if k in self.by_page]
        if times:
            out += [t for f in files for loc in c.locations if loc.kind == "time" and loc.start is not None
                    and (t := self.time_terms(f, float(loc.start), float(loc.end if loc.end is not None else loc.start)))
                    is not None]
        return out

    def time_terms(self, file: str, start: float, end: float) -> frozenset[str] | None:
        """Terms of the transcript between two times (segments that overlap it); None when the
        file has no transcript or nothing was said there."""
        found = [t for a, b, t in self.by_segment.get(file, ()) if heard_in(a, b, start, end)]
        return frozenset().union(*found) if found else None

    def windows(self, file: str, length: float) -> list[tuple[float, float, frozenset[str]]]:
        """Runs of consecutive segments about ``length`` seconds long, one starting at each
        segment: the places a time citation of that length could have named instead."""
        segs = self.by_segment.get(file, ())
        return [(segs[i][0], segs[j - 1][1], frozenset().union(*(s[2] for s in segs[i:j])))
                for i, j in stretch_runs([(a, b) for a, b, _ in segs], length)]


def stretch_runs(spans: list[tuple[float, float]], length: float) -> list[tuple[int, int]]:
    """(first, end) indexes of runs of consecutive timed spans about ``length`` seconds long, one
    starting at each span."""
    out = []
    for i, (start, _) in enumerate(spans):
        j = i
        while j < len(spans) and (j == i or spans[j - 1][1] - start < length):
            j += 1
        out.append((i, j))
    return out


def pages_cited(c: Citation, files: list[str]) -> set[tuple[str, int]]:
    """(file, page) of every page or slide the row cites."""
    return {(f, int(n)) for f in files for loc in c.locations if loc.kind in ("page", "slide")
            and loc.start is not None for n in range(int(loc.start), int(loc.end or loc.start) + 1)}


def explanation_at_place(c: Citation, files: list[str], pages: PageTerms) -> tuple[frozenset[str], frozenset[str]]:
    """(the explanation's distinctive terms, those of them at the cited place: a page, a slide
    or a stretch of a recording)."""
    terms = pages.distinctive(c.explanation)
    return terms, max((terms & h for h in pages.at(c, files)), key=len, default=frozenset())


def described_places(ctx: ScreeningContext, least_terms: int, least_share: float) -> dict[str, str]:
    """For each EO a self-analysis row targets, a place the row cites that holds what its
    explanation names (at least ``least_terms`` distinctive terms, ``least_share`` of them
    there), as a reason to give: the candidate points at the evidence and says what is there."""
    artifacts = {f.name: d for f, d in ctx.files if f.role == "artifact"}
    if not artifacts or not ctx.self_analyses:
        return {}
    pages = PageTerms.of(ctx, artifacts)
    eo_of = {d.id: eo.id for eo, d in ctx.rubric.details()}
    out: dict[str, str] = {}
    for _, analysis in ctx.self_analyses:
        for c in analysis.citations:
            eos = {eo_of[d] for d in c.detail_ids if d in eo_of} - set(out)
            if not eos:
                continue
            files, _ = cited_files(c, list(artifacts), ctx.settings.citations.artifact_match_min)
            terms, found = explanation_at_place(c, files, pages)
            if len(terms) >= least_terms and len(found) >= least_share * len(terms):
                for eo in eos:
                    out[eo] = (f"row {c.row} of the self-analysis cites {cited_label(c, files)} for EO {eo}, and "
                               f"{len(found)} of the {len(terms)} things its explanation names are there")
    return out
