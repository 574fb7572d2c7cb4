"""Likely student personal data: one student_privacy flag per page (or stretch of a recording),
naming the kinds and counts found and where, never the data itself."""

from __future__ import annotations

from ..documents import Document, TimedSpan
from ..locations import mmss
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


@checks.register("screening.student_privacy.v1")
class StudentPrivacy:
    name = "screening.student_privacy.v1"
    requires = ("privacy", "files")

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
                out.append(self._flag(pf, list(pf.findings), "", None, text, sure))
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
