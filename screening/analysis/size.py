"""Do longer or larger submissions fare differently? Words per part, size and number of files
against the released outcome.

The measure is the AUC (probability that a randomly chosen ``earned`` submission has more of it
than a ``not_yet`` one; 0.5 is no relation), with a percentile bootstrap interval resampling
submissions, family-wise over the measures. Undecided submissions are left out.

Rule (``size_related_to_outcome``): the interval excludes 0.5 and the AUC is at least
``MIN_EFFECT`` away from it, from at least ``MIN_EACH`` submissions of each outcome. A relation is
a question for the designer (do the word minimums and guiding questions ask for the right
things?), not a rule for marking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import FAMILY_LEVEL, Finding, RubricSlice

MIN_EFFECT = 0.25
MIN_EACH = 8
N_BOOT = 2000


@dataclass(frozen=True)
class SizeRelation:
    measure: str  # words_<part>, size_bytes, files
    earned: int
    not_yet: int
    median_earned: float
    median_not_yet: float
    auc: float
    low: float
    high: float




def _auc_weighted(values: np.ndarray, earned: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC (ties half) with row weights ``w`` (resamples × rows): Σ w_i w_j [x_i > x_j] over
    earned i, not-yet j, divided by Σ w_i · Σ w_j."""
    gt = (values[:, None] > values[None, :]).astype(float) + 0.5 * (values[:, None] == values[None, :])
    cmp = gt[np.ix_(earned, ~earned)]
    we, wn = w[:, earned], w[:, ~earned]
    num = np.einsum("bi,ij,bj->b", we, cmp, wn)
    den = we.sum(1) * wn.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def size_relations(sl: RubricSlice, n_boot: int = N_BOOT, seed: int = 0) -> list[SizeRelation]:
    decided = [s for s in sl.submissions if s.outcome is not None]
    parts = sorted({p for s in decided for p in s.words_by_part})
    measures = {f"words_{p}": [float(s.words_by_part.get(p, 0)) for s in decided] for p in parts}
    measures["size_bytes"] = [float(s.size_bytes) for s in decided]
    measures["files"] = [float(s.files) for s in decided]
    earned = np.array([s.outcome == "earned" for s in decided])
    if not decided or earned.all() or not earned.any():
        return []
    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(decided), np.full(len(decided), 1 / len(decided)), size=n_boot).astype(float)
    tail = (1 - FAMILY_LEVEL) / (2 * len(measures))
    out = []
    for name, vals in measures.items():
        x = np.array(vals)
        auc = float(_auc_weighted(x, earned, np.ones((1, len(x))))[0])
        boot = _auc_weighted(x, earned, w)
        low, high = np.nanquantile(boot, [tail, 1 - tail])
        out.append(SizeRelation(name, int(earned.sum()), int((~earned).sum()), float(np.median(x[earned])),
                                float(np.median(x[~earned])), auc, float(low), float(high)))
    return out


def size_findings(sl: RubricSlice, rows: list[SizeRelation]) -> list[Finding]:
    out = []
    for r in rows:
        if min(r.earned, r.not_yet) < MIN_EACH or r.low <= 0.5 <= r.high or abs(r.auc - 0.5) < MIN_EFFECT:
            continue
        what = r.measure.replace("words_", "words in the ").replace("size_bytes", "total file size")
        more = "more" if r.auc > 0.5 else "fewer"
        out.append(Finding(
            kind="size_related_to_outcome", rubric_id=sl.rubric.id, rubric_version=sl.rubric.version,
            subject=(r.measure,), measure="AUC of earned against not yet", estimate=r.auc, low=r.low, high=r.high,
            n=r.earned + r.not_yet,
            rule=f"family-wise {FAMILY_LEVEL:.0%} interval excludes 0.5 and |AUC − 0.5| ≥ {MIN_EFFECT}, at least {MIN_EACH} of each outcome",
            message=(f"{what.capitalize()}: submissions that earned the MC tended to have {more} (AUC {r.auc:.2f}, interval "
                     f"{r.low:.2f}–{r.high:.2f}; medians {r.median_earned:,.0f} earned, {r.median_not_yet:,.0f} not yet). "
                     "Check whether the guiding questions and minimums ask for what the outcomes reward."),
        ))
    return out
