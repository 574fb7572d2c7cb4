"""The places a self-analysis row cites, and the passages that lie there.

Shared by the citation checks (is the cited place the right one?) and the evidence check (does
a place the self-analysis cites support a derived detail?): both read a row's cited files and
places the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from ..locations import mmss
from ..passages import Passage
from ..selfanalysis import Citation, Location, match_artifact, split_artifact_names
from .base import ScreeningContext


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
            stop = end if loc.end is not None else loc.start + 60  # "at 12:30": the minute after it
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
