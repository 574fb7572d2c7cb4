"""Is the screener's advice borne out by the assessors? Flags confirmed or overridden, advisory
status against judged status, and details whose accepted evidence the screener rarely matches.

Precision of a flag kind: of the flags an assessor decided, the share confirmed. Recall of a
detail flag kind: of the (submission, detail) units the first marker judged thin (``missing``
for ``missing_evidence``; ``missing`` or ``weak`` for ``weak_evidence``, which a
``missing_evidence`` flag also covers), the share that carried it.

Rule (``evidence_rarely_matched``): of the units the first marker judged ``met``, the screener
found no passage (advisory ``missing``) in a share whose family-wise interval (Wilson,
Bonferroni over the details) lies wholly above ``UNMATCHED_SHARE``, from at least
``MIN_MET`` units. Evidence assessors accept but the screener cannot place suggests the
detail's wording differs from how candidates describe the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import LEVEL, STATUS_ORDER, Finding, RubricSlice, family_z, ratio, share_finding, wilson

UNMATCHED_SHARE = 0.3
MIN_MET = 8
_THIN = {"missing_evidence": ("missing",), "weak_evidence": ("missing", "weak")}
_COVERS = {"missing_evidence": ("missing_evidence",), "weak_evidence": ("missing_evidence", "weak_evidence")}


@dataclass(frozen=True)
class FlagAccuracy:
    code: str
    raised: int
    decided: int
    confirmed: int
    precision: float
    precision_low: float
    precision_high: float
    judged_thin: int | None  # units the first marker judged thin (detail flags only)
    flagged_thin: int | None
    recall: float | None


@dataclass(frozen=True)
class DetailAdvice:
    detail_id: str
    confusion: list[list[int]]  # rows advisory missing/weak/met, columns judged missing/weak/met
    agree: float  # share of units where advisory status equals the first marker's
    judged_met: int
    met_unmatched: int  # of those, advisory missing
    unmatched_share: float
    unmatched_low: float
    unmatched_high: float


def flag_accuracy(sl: RubricSlice) -> list[FlagAccuracy]:
    codes = sorted({f.code for s in sl.submissions for f in s.flags})
    out = []
    for code in codes:
        raised = decided = confirmed = 0
        for s in sl.submissions:
            refs = {f.ref for f in s.flags if f.code == code}
            raised += len(refs)
            for j in s.judgments:
                for ref, value in j.flags.items():
                    if ref in refs:
                        decided += 1
                        confirmed += value == "confirmed"
        low, high = wilson(confirmed, decided)
        thin = flagged = None
        if code in _THIN:
            thin = flagged = 0
            for s, ratings in sl.first_ratings():
                carried = {f.detail_id for f in s.flags if f.code in _COVERS[code]}
                for d, v in ratings.items():
                    if v in _THIN[code]:
                        thin += 1
                        flagged += d in carried
        out.append(FlagAccuracy(code, raised, decided, confirmed, ratio(confirmed, decided), low, high,
                                thin, flagged, None if thin is None else ratio(flagged or 0, thin)))
    return out


def detail_advice(sl: RubricSlice) -> list[DetailAdvice]:
    z = family_z(len(sl.detail_ids))
    firsts = sl.first_ratings()
    out = []
    for d in sl.detail_ids:
        m = np.zeros((3, 3), dtype=int)
        for s, ratings in firsts:
            advice = next((x.advisory_status for x in s.details if x.detail_id == d), None)
            if advice is not None and d in ratings:
                m[LEVEL[advice], LEVEL[ratings[d]]] += 1
        met = int(m[:, 2].sum())
        unmatched = int(m[0, 2])
        low, high = wilson(unmatched, met, z)
        out.append(DetailAdvice(d, m.tolist(), ratio(float(np.trace(m)), float(m.sum())), met, unmatched,
                                ratio(unmatched, met), low, high))
    return out


def rarely_matched(sl: RubricSlice, advice: list[DetailAdvice]) -> list[Finding]:
    return [
        share_finding(
            sl, "evidence_rarely_matched", (a.detail_id,), "share of judged-met units with no passage found",
            a.unmatched_share, (a.unmatched_low, a.unmatched_high), a.judged_met, UNMATCHED_SHARE,
            f"{MIN_MET} units judged met",
            (f"Detail {a.detail_id}: where assessors judged the evidence met ({a.judged_met} submissions), the "
                     f"screener found no passage for it {a.unmatched_share:.0%} of the time "
                     f"(interval {a.unmatched_low:.0%}–{a.unmatched_high:.0%}). Candidates describe this work in words "
                     "the detail's wording does not anticipate: consider rewording it or adding look-fors."),
        )
        for a in advice if a.judged_met >= MIN_MET and a.unmatched_low > UNMATCHED_SHARE
    ]


__all__ = ["DetailAdvice", "FlagAccuracy", "STATUS_ORDER", "detail_advice", "flag_accuracy", "rarely_matched"]
