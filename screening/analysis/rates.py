"""Which details are evidence often missing or weak for: the screener's and the assessors' view.

Rule (``detail_often_missing``): the first markers judged the detail missing in a share of
submissions whose family-wise interval (Wilson, Bonferroni over the rubric's details) lies
wholly above ``MISSING_SHARE``, from at least ``MIN_RATED`` ratings. A rubric detail most
candidates leave out is worth a look: unclear wording, or a requirement the program did not
prepare candidates for.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Finding, RubricSlice, family_z, ratio, share_finding, wilson

MISSING_SHARE = 0.4
MIN_RATED = 10


@dataclass(frozen=True)
class DetailRate:
    detail_id: str
    eo: str
    submissions: int
    advisory_missing: float
    advisory_weak: float
    rated: int  # first markers' ratings of the detail
    judged_missing: float
    judged_weak: float
    judged_missing_low: float
    judged_missing_high: float


def detail_rates(sl: RubricSlice) -> list[DetailRate]:
    z = family_z(len(sl.detail_ids))
    firsts = sl.first_ratings()
    out = []
    for d in sl.rubric.details:
        advice = [x.advisory_status for s in sl.submissions for x in s.details if x.detail_id == d.id]
        judged = [r[d.id] for _, r in firsts if d.id in r]
        missing = judged.count("missing")
        low, high = wilson(missing, len(judged), z)
        out.append(DetailRate(
            detail_id=d.id, eo=d.eo, submissions=len(advice),
            advisory_missing=ratio(advice.count("missing"), len(advice)),
            advisory_weak=ratio(advice.count("weak"), len(advice)),
            rated=len(judged), judged_missing=ratio(missing, len(judged)),
            judged_weak=ratio(judged.count("weak"), len(judged)), judged_missing_low=low, judged_missing_high=high))
    return out


def often_missing(sl: RubricSlice, rates: list[DetailRate]) -> list[Finding]:
    return [
        share_finding(
            sl, "detail_often_missing", (r.detail_id,), "share judged missing by the first marker", r.judged_missing,
            (r.judged_missing_low, r.judged_missing_high), r.rated, MISSING_SHARE, f"{MIN_RATED} ratings",
            (f"Detail {r.detail_id}: assessors judged the evidence missing in {r.judged_missing:.0%} of "
                     f"{r.rated} submissions (interval {r.judged_missing_low:.0%}–{r.judged_missing_high:.0%}). "
                     "Candidates usually leave it out: check that its wording says what to show."),
        )
        for r in rates if r.rated >= MIN_RATED and r.judged_missing_low > MISSING_SHARE
    ]
