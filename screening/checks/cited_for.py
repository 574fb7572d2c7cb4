"""Which EO a problem in an artifact touches: the rows of the self-analysis that cite it.

A Spanish stretch in a recording, a page of student names in the minutes, a scanned page: such
flags are about a file, and the checks that raise them know nothing of the rubric. The assessor
reads EO by EO, and the candidate needs to know which part of the evidence to redo; the
self-analysis says which EO each file and place is evidence for. So a file-level flag takes the EO
of the rows that cite the flagged place (or, when no row cites that place, of every row citing
the file), when they all name one EO; and the detail too, when the rows citing that place name
one detail. Rows naming several EOs leave the flag as it was: no EO is picked for the candidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from ..selfanalysis import Citation, Location
from .base import RaisedFlag, ScreeningContext
from .cited_places import OPEN_TIME_S, cited_files


def _span(loc: Location) -> tuple[float, float] | None:
    if loc.start is None:
        return None
    if loc.end is not None:
        return float(loc.start), float(loc.end)
    return float(loc.start), float(loc.start) + (OPEN_TIME_S if loc.kind == "time" else 0.0)


def _touches(loc: Location, flagged: dict[str, object]) -> bool:
    """Whether a cited place overlaps the flagged one (a whole-file citation overlaps anything)."""
    if loc.kind == "whole":
        return True
    span = _span(loc)
    if span is None:
        return False
    if loc.kind in ("page", "slide"):
        pages = set(flagged.get("pages") or [])  # type: ignore[arg-type]
        if flagged.get("page") is not None:
            pages.add(flagged["page"])
        return any(span[0] <= p <= span[1] for p in pages)  # type: ignore[operator]
    if loc.kind == "time" and flagged.get("start_s") is not None:
        start = float(flagged["start_s"])  # type: ignore[arg-type]
        end = float(flagged.get("end_s") or start)  # type: ignore[arg-type]
        return span[0] <= end and start <= span[1]
    return False


def _citing(ctx: ScreeningContext) -> dict[str, list[Citation]]:
    artifacts = [f.name for f, _ in ctx.files if f.role == "artifact"]
    out: dict[str, list[Citation]] = {}
    for _, analysis in ctx.self_analyses:
        for c in analysis.citations:
            if not c.detail_ids:
                continue
            files, _ = cited_files(c, artifacts, ctx.settings.citations.artifact_match_min)
            for f in dict.fromkeys(files):
                out.setdefault(f, []).append(c)
    return out


def _eos(eo_of: dict[str, str], citations: Iterable[Citation]) -> set[str]:
    return {eo_of[d] for c in citations for d in c.detail_ids if d in eo_of}


def with_cited_eos(flags: list[RaisedFlag], ctx: ScreeningContext) -> list[RaisedFlag]:
    """``flags`` with each artifact flag that names no EO given the EO its citing rows name."""
    citing = _citing(ctx)
    if not citing:
        return flags
    eo_of = {d.id: eo.id for eo, d in ctx.rubric.details()}
    out = []
    for flag in flags:
        rows = citing.get(flag.file or "")
        where = flag.location or {}
        if flag.eo is not None or flag.detail_id is not None or not rows or where.get("row") is not None:
            out.append(flag)
            continue
        at_place = [c for c in rows if any(_touches(loc, where) for loc in c.locations)] if where else rows
        eos = _eos(eo_of, at_place or rows)
        if len(eos) != 1:
            out.append(flag)
            continue
        eo = next(iter(eos))
        details = {d for c in at_place for d in c.detail_ids}
        detail = next(iter(details)) if len(details) == 1 and where else None
        numbers = sorted({c.row for c in (at_place or rows)})
        which = f"row{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"
        note = (f"The self-analysis cites {'this place' if at_place and where else PurePosixPath(flag.file or '').name} "
                f"as evidence for EO {eo} ({which}).")
        out.append(replace(flag, eo=eo, detail_id=detail, note=f"{flag.note} {note}" if flag.note else note))
    return out


__all__ = ["with_cited_eos"]
