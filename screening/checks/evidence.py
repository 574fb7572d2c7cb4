"""Evidence per EO detail: missing or only loosely addressed."""

from __future__ import annotations

from ..claimed_evidence import CLAIM_MATCH, CLAIMED_ONLY, GENERAL_CLAIM, UNCLAIMED_SHARED
from ..mapping import DetailEvidence, Status
from ..passages import Passage
from ..registry import checks
from ..settings import MappingSettings
from .base import RaisedFlag, ScreeningContext
from .cited_places import cited_support, described_places


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _score(score: float, threshold: float) -> str:
    """A score to two places, or three where two would print it equal to the threshold it fell
    short of ("0.619, below 0.62", not "0.62, below 0.62")."""
    return f"{score:.3f}" if f"{score:.2f}" == f"{threshold:.2f}" and score < threshold else f"{score:.2f}"


def _where(p: Passage) -> str:
    if p.start_s is not None:
        return f"{p.start_s:.0f}–{p.end_s:.0f} s"
    return f"p. {p.page}" if p.page is not None else f"¶ {p.paragraph}"


@checks.register("screening.evidence.v1")
class EvidenceStatus:
    name = "screening.evidence.v1"
    requires = ("evidence",)

    def run(self, ctx: ScreeningContext) -> list[RaisedFlag]:
        cfg = ctx.settings.mapping
        out: list[RaisedFlag] = []
        guidance = guidance_details(ctx)
        echoed = {e.passage.id for e in ctx.echoes}
        for ev in ctx.evidence:
            demote: dict[str, object] = {}
            if ev.detail_id in guidance:
                demote = {"severity": "info", "note": (
                    "This detail was derived by the screener, not published by the program, which judges the EO "
                    f"as a whole; {guidance[ev.detail_id]}, so this is guidance only.")}
            params = {
                "detail_id": ev.detail_id,
                "detail_text": _short(ev.text),
                "best_score": "n/a" if ev.best_score is None else _score(
                    ev.best_score, cfg.met_threshold if ev.status == Status.WEAK else cfg.weak_threshold),
                "weak_threshold": f"{cfg.weak_threshold:.2f}",
                "met_threshold": f"{cfg.met_threshold:.2f}",
            }
            if ev.status == Status.MISSING:
                params["closest"] = _closest(ev, cfg)
                out.append(RaisedFlag("missing_evidence", self.name, params, eo=ev.eo, detail_id=ev.detail_id, **demote))
            elif ev.status == Status.WEAK:
                best = ev.evidence[0].passage
                if ev.features.get(CLAIMED_ONLY):
                    params["best_score"] = _score(ev.best_score or 0.0, cfg.weak_threshold)
                    said = "the passage that says what its row says" if ev.features.get(CLAIM_MATCH) else \
                        "the passage nearest to it"
                    params["why"] = (
                        f"the self-analysis claims it, and {said} ({best.file}, {_where(best)}) " + (
                            "restates the rubric's wording, which does not count as evidence." if best.id in echoed
                            else f"scored {params['best_score']}, " + (
                                f"below {params['weak_threshold']}." if (ev.best_score or 0.0) < cfg.weak_threshold
                                else "but is more about other details.")))
                elif ev.features.get(GENERAL_CLAIM):
                    params["why"] = (
                        "its row in the self-analysis names no person, date, number or document, and says what the "
                        f"passage it rests on says, in general terms ({best.file}, {_where(best)}).")
                elif ev.features.get("general_only"):
                    params["why"] = (
                        "every passage about it is a general statement in the candidate's own words, naming no "
                        f"person, date, number or document (the closest: {best.file}, {_where(best)}).")
                else:
                    params["why"] = f"the best passage scored {params['best_score']}, below {params['met_threshold']}."
                location = {
                    "page": best.page, "start_s": best.start_s, "end_s": best.end_s,
                    "char_start": best.char_start, "char_end": best.char_end, "fragment": best.fragment,
                }
                out.append(
                    RaisedFlag(
                        "weak_evidence", self.name, params, eo=ev.eo, detail_id=ev.detail_id,
                        part=best.part, file=best.file, location=location, **demote,
                    )
                )
        return out


def _closest(ev: DetailEvidence, cfg: MappingSettings) -> str:
    """What a missing detail's flag says of the passage nearest to it."""
    reflection_only = ev.features.get("reflection_only")
    if ev.closest is None or ev.best_score is None and not reflection_only:
        return " No passage is more about this detail than about the others."
    where = f"{ev.closest.passage.file}, {_where(ev.closest.passage)}"
    if ev.features.get(UNCLAIMED_SHARED):
        return (" No row of the self-analysis cites it, and the passages nearest to it are as much about other "
                f"details (the closest: {where}).")
    if reflection_only:
        return (" Only the reflection speaks of it, in general terms naming no person, date, number or "
                f"document (the closest: {where}).")
    return f" The closest passage ({where}) scored {_score(ev.best_score, cfg.weak_threshold)}, below {cfg.weak_threshold:.2f}."


def guidance_details(ctx: ScreeningContext) -> dict[str, str]:
    """The details whose weak or missing evidence is guidance only, each with the reason: derived
    details (the program publishes none) of an EO evidenced as a whole. Other checks report what
    follows from such a detail's thin evidence at the same level."""
    eos = _guidance_eos(ctx)
    return {d.id: eos[eo.id] for eo, d in ctx.rubric.details() if d.derived and eo.id in eos}


def _guidance_eos(ctx: ScreeningContext) -> dict[str, str]:
    """EOs evidenced as a whole, each with the reason: at least ``mapping.derived_guidance_min_met``
    met details, or at least ``mapping.derived_guidance_min_addressed`` details addressed (met or
    weak), or a place the self-analysis cites for one of its details that scores at least
    ``mapping.derived_guidance_min_cited`` for it (the candidate points at the EO's evidence and
    the screener finds it near, only below its thresholds: a transcript, a data table and a
    candidate's own wording score lower than the rubric's phrasing), or a row for the EO whose
    explanation's particulars are at the place it cites (``mapping.derived_guidance_min_described``:
    a slide of bullet points and book titles scores low against every detail, while the
    candidate's description of it can be checked word for word)."""
    cfg = ctx.settings.mapping
    if cfg.derived_guidance_min_met is None:
        return {}
    met: dict[str, int] = {}
    addressed: dict[str, int] = {}
    total: dict[str, int] = {}
    for ev in ctx.evidence:
        total[ev.eo] = total.get(ev.eo, 0) + 1
        met[ev.eo] = met.get(ev.eo, 0) + (ev.status == Status.MET)
        # a detail weak only by its row's claim is not addressed by what the screener found
        addressed[ev.eo] = addressed.get(ev.eo, 0) + (ev.status != Status.MISSING and not ev.features.get(CLAIMED_ONLY))
    least_addressed = cfg.derived_guidance_min_addressed
    out = {eo: f"EO {eo} has passages that address {addressed[eo]} of its {total[eo]} details" for eo in total
           if met[eo] >= cfg.derived_guidance_min_met or (least_addressed is not None and addressed[eo] >= least_addressed)}
    if cfg.derived_guidance_min_cited is not None and len(out) < len(total):
        support = cited_support(ctx)
        for ev in ctx.evidence:
            score, label = support.get(ev.detail_id, (-2.0, ""))
            if ev.eo not in out and score >= cfg.derived_guidance_min_cited:
                out[ev.eo] = (f"the self-analysis cites {label} for detail {ev.detail_id}, which comes near it "
                              f"(similarity {score:.2f})")
    if cfg.derived_guidance_min_described is not None and len(out) < len(total):
        described = described_places(ctx, ctx.settings.citations.explanation_described_min_terms,
                                     cfg.derived_guidance_min_described)
        out.update({eo: why for eo, why in described.items() if eo not in out})
    return out
