"""Does any marker rate systematically lower or higher than the others on the same work?

Only double-marked submissions say this cleanly: both markers read the same submission, so a
difference is the markers', not the work's. Each pair of ratings of one detail gives
``rating_a - rating_b`` (levels missing 0, weak 1, met 2); a least-squares fit of
``difference = s_a - s_b`` gives each marker an offset ``s``, reported against the median
marker's (so one harsh marker does not make everyone else look lenient). Intervals resample
submissions (percentile bootstrap), family-wise over the markers.

Rule (``assessor_severity``): the interval excludes 0 (no difference) and the offset is at least
``MIN_OFFSET`` levels, from at least ``MIN_SHARED`` double-marked submissions. Markers are
pseudonyms; the finding describes how ratings compare, for moderation and calibration meetings,
not the quality of anyone's work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import FAMILY_LEVEL, LEVEL, Finding, RubricSlice

MIN_OFFSET = 0.25
MIN_SHARED = 5
N_BOOT = 2000


@dataclass(frozen=True)
class Severity:
    assessor: str
    submissions: int  # double-marked submissions they marked
    ratings: int  # paired detail ratings
    offset: float  # levels above (+) or below (-) the median marker on the same work
    low: float
    high: float
    mean_rating: float  # all their detail ratings, for context


def _solve(xtx: np.ndarray, xty: np.ndarray) -> np.ndarray:
    k = xtx.shape[-1]
    # 11ᵀ pins the offsets' sum to 0 (differences only fix offsets up to a constant); the tiny
    # ridge keeps a resample in which a marker has no pair solvable.
    a = xtx + np.ones((k, k)) + 1e-9 * np.eye(k)
    beta = np.linalg.solve(a, xty[..., None])[..., 0]
    return beta - np.median(beta, axis=-1, keepdims=True)


def severity(sl: RubricSlice, n_boot: int = N_BOOT, seed: int = 0) -> list[Severity]:
    assessors = sorted({j.assessor for s in sl.submissions for j in s.judgments})
    if len(assessors) < 2:
        return []
    idx = {a: i for i, a in enumerate(assessors)}
    k = len(assessors)
    per_xtx, per_xty, shared = [], [], {a: 0 for a in assessors}
    pairs = {a: 0 for a in assessors}
    for s in sl.submissions:
        roles = {j.role: j for j in s.judgments}
        if "first" not in roles or "second" not in roles:
            continue
        a, b = roles["first"], roles["second"]
        xtx, xty = np.zeros((k, k)), np.zeros(k)
        x = np.zeros(k)
        x[idx[a.assessor]], x[idx[b.assessor]] = 1.0, -1.0
        n = 0
        for d, va in a.details.items():
            if d in b.details:
                diff = LEVEL[va] - LEVEL[b.details[d]]
                xtx += np.outer(x, x)
                xty += x * diff
                n += 1
        if n:
            per_xtx.append(xtx)
            per_xty.append(xty)
            shared[a.assessor] += 1
            shared[b.assessor] += 1
            pairs[a.assessor] += n
            pairs[b.assessor] += n
    means = {a: float(np.mean([LEVEL[v] for s in sl.submissions for j in s.judgments if j.assessor == a
                               for v in j.details.values()] or [np.nan])) for a in assessors}
    if not per_xtx:
        return [Severity(a, 0, 0, float("nan"), float("nan"), float("nan"), means[a]) for a in assessors]
    xtx_all, xty_all = np.stack(per_xtx), np.stack(per_xty)
    estimate = _solve(xtx_all.sum(0), xty_all.sum(0))
    rng = np.random.default_rng(seed)
    m = len(per_xtx)
    w = rng.multinomial(m, np.full(m, 1 / m), size=n_boot).astype(float)
    boot = _solve(np.einsum("bm,mij->bij", w, xtx_all), w @ xty_all)
    tail = (1 - FAMILY_LEVEL) / (2 * k)
    low, high = np.quantile(boot, [tail, 1 - tail], axis=0)
    return [Severity(a, shared[a], pairs[a], float(estimate[i]), float(low[i]), float(high[i]), means[a])
            for a, i in idx.items()]


def severity_findings(sl: RubricSlice, rows: list[Severity]) -> list[Finding]:
    out = []
    for r in rows:
        if r.submissions < MIN_SHARED or not (r.low > 0 or r.high < 0) or abs(r.offset) < MIN_OFFSET:
            continue
        direction = "lower" if r.offset < 0 else "higher"
        out.append(Finding(
            kind="assessor_severity", rubric_id=sl.rubric.id, rubric_version=sl.rubric.version, subject=(r.assessor,),
            measure="offset in levels against the median marker on the same submissions", estimate=r.offset,
            low=r.low, high=r.high, n=r.submissions,
            rule=f"family-wise {FAMILY_LEVEL:.0%} interval excludes 0 and |offset| ≥ {MIN_OFFSET} levels, "
                 f"at least {MIN_SHARED} double-marked submissions",
            message=(f"Marker {r.assessor} rated details {abs(r.offset):.2f} levels {direction} than the typical marker of "
                     f"the same submissions ({r.submissions} double-marked, interval {r.low:+.2f} to {r.high:+.2f}). "
                     "Worth a moderation session on what each level looks like."),
        ))
    return out
