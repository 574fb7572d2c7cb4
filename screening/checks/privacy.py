"""Likely student personal data: one student_privacy flag per page (or stretch of a recording, or
paragraph of a file without pages), naming the kinds and counts found and where, never the data
itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..documents import Document, TimedSpan
from ..locations import mmss
from ..passages import Passage
from ..privacy import Finding, PageFindings, describe
from ..registry import checks
from .base import RaisedFlag, ScreeningContext


def _segment_of(doc: Document, f: Finding) -> TimedSpan | None:
    """The transcript segment a finding lies in (or the last one starting before it)."""
    best = None
    for seg in doc.segments:
        if seg.char_start <= f.char_start:
            best = seg
        if seg.char_start <= f.char_start < seg.char_end:
            return seg
    return best


def _windows(doc: Document, findings: tuple[Finding, ...], window_s: float) -> list[tuple[float, float, list[Finding]]]:
    """Findings grouped into stretches of the recording no longer than ``window_s``."""
    timed = sorted(
        ((seg, f) for f in findings if (seg := _segment_of(doc, f)) is not None), key=lambda sf: sf[0].start_s
    )
    out: list[tuple[float, float, list[Finding]]] = []
    for seg, f in timed:
        if out and seg.start_s - out[-1][0] <= window_s:
            start, end, group = out[-1]
            out[-1] = (start, max(end, seg.end_s), group + [f])
        else:
            out.append((seg.start_s, seg.end_s, [f]))
    return out


_Para = tuple[int, int, int, str | None]  # paragraph number, its characters, the EO it is evidence for


def _paragraphs(ctx: ScreeningContext, file: str, findings: tuple[Finding, ...]
                ) -> list[tuple[_Para | None, list[Finding]]]:
    """Findings of a file without pages (a narrative, a reflection) grouped by the paragraph they
    are in, so a candidate is pointed at the paragraph to redact, not at a 2,000-word file; each
    with the EO its passages are most about (what an assessor reading EO by EO meets it under).
    Findings outside every passage (a heading, a signature line) stay one group without place."""
    passages = [p for p in ctx.passages if p.file == file and p.page is None]
    groups: dict[int | None, list[Finding]] = {}
    for f in findings:
        p = next((p for p in passages if p.char_start <= f.char_start < p.char_end), None)
        groups.setdefault(None if p is None else p.paragraph, []).append(f)
    out: list[tuple[_Para | None, list[Finding]]] = []
    for number, group in groups.items():
        if number is None:
            out.append((None, group))
            continue
        mine = [p for p in passages if p.paragraph == number]
        out.append(((number, min(p.char_start for p in mine), max(p.char_end for p in mine), _eo_of(ctx, mine)), group))
    return out


def _eo_of(ctx: ScreeningContext, passages: list[Passage]) -> str | None:
    """The EO of the detail these passages score highest for, without competition; None when
    none of them was scored (an echo, a fragment)."""
    ids = {p.id for p in passages}
    rows = [k for k, p in enumerate(ctx.scored_passages) if p.id in ids]
    if not rows or ctx.raw_scores.size == 0:
        return None
    block = ctx.raw_scores[rows]
    if block.max() <= -1:
        return None
    details = list(ctx.rubric.details())
    return details[int(np.unravel_index(int(np.argmax(block)), block.shape)[1])][0].id


@checks.register("screening.student_privacy.v1")
class StudentPrivacy:
    name = "screening.student_privacy.v1"
    requires = ("privacy", "files", "passages", "scored_passages", "raw_scores", "rubric")

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        if not ctx.settings.privacy.enabled:
            return []
        sure = ctx.settings.privacy.warning_min_confidence
        docs = {d.name: d for _, d in ctx.files}
        out: list[RaisedFlag] = []
        for pf in ctx.privacy:
            doc = docs.get(pf.file)
            text = next((p.text for p in doc.pages if p.number == pf.page), None) if doc is not None else None
            if pf.media and doc is not None and doc.segments:
                for start, end, group in _windows(doc, pf.findings, ctx.settings.privacy.media_window_s):
                    label = f"{mmss(start)}–{mmss(end)}"
                    out.append(self._flag(pf, group, f" at {label}", {
                        "start_s": start, "end_s": end, "fragment": f"#t={start:g},{end:g}", "label": label,
                    }, text, sure))
            elif pf.page is not None:
                out.append(self._flag(pf, list(pf.findings), f" page {pf.page}", {
                    "page": pf.page, "fragment": f"#page={pf.page}", "label": f"p. {pf.page}",
                }, text, sure))
            else:
                for para, group in _paragraphs(ctx, pf.file, pf.findings):
                    if para is None:
                        out.append(self._flag(pf, group, "", None, text, sure))
                        continue
                    number, a, b, eo = para
                    flag = self._flag(pf, group, f" in paragraph {number}", {
                        "char_start": a, "char_end": b, "fragment": f"#char={a},{b}", "label": f"¶ {number}",
                    }, text, sure)
                    out.append(flag if eo is None else replace(flag, eo=eo))
        return out

    def _flag(self, pf: PageFindings, findings: list[Finding], where: str, location: dict[str, object] | None,
              text: str | None, sure: float) -> RaisedFlag:
        params: dict[str, object] = {"file": pf.file, "where": where, "found": describe(findings, text)}
        # Names found only by a cue in their clause or a grade in brackets: as often staff as
        # students in independently written submissions, so a note to check, not a warning.
        unsure = all(f.confidence < sure for f in findings)
        return RaisedFlag("student_privacy", self.name, params, part=pf.part, file=pf.file, location=location,
                          severity="info" if unsure else None,
                          note="The detector is unsure here: check whether these are students." if unsure else None)
