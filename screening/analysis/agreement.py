"""Agreement between two (or more) markers of the same work, with bootstrap intervals.

Own implementations (numpy only) of the statistics program designers ask for:

- **Cohen's kappa**, unweighted and quadratic-weighted (ordinal categories, weights
  ``(i - j)²`` on the category indices, as scikit-learn's ``cohen_kappa_score``);
- **Krippendorff's alpha**, nominal and ordinal, from the coincidence matrix (as the
  ``krippendorff`` package): units rated by fewer than two markers add nothing, so missing
  ratings are allowed;
- **percent agreement** (share of units both markers rated on which they agree).

Categories are integer indices ``0 .. k-1`` in their order (for statuses: missing < weak < met);
a missing rating is ``-1`` (or NaN in the ``raters × units`` form the ``krippendorff`` package
takes). A statistic that is undefined on the data (one category only: no chance disagreement to
compare with) is NaN, never a made-up number.

Every statistic here is a function of a count matrix that is a *sum over submissions*: the
confusion matrix for kappa and percent agreement, the coincidence matrix for alpha. That makes
the bootstrap exact and cheap: resampling submissions (the independent units: details of one
submission are judged by the same people on the same work, so they are not independent) is a
multinomial weighting of the per-submission matrices. Intervals are BCa by default (bias-corrected
and accelerated, Efron 1987), with the acceleration from the leave-one-submission-out jackknife;
kappa and alpha are bounded, skewed near 1 and biased in small samples, which the plain percentile
interval ignores. ``python -m bench.agreement`` measures the coverage of both methods (both
within 93–97% on 600 simulated pilots; docs/analysis.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable, Literal, Sequence

import numpy as np

Method = Literal["bca", "percentile"]
STATISTICS = ("kappa", "kappa_quadratic", "alpha_nominal", "alpha_ordinal", "percent")
_NORMAL = NormalDist()


# --- count matrices ---------------------------------------------------------------------------


def _as_codes(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Category indices as ints, with -1 for a missing rating (NaN or negative)."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.isnan(arr) | (arr < 0), -1, arr).astype(int)


def confusion(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, k: int) -> np.ndarray:
    """k×k counts of (a, b) over the units both rated."""
    a, b = _as_codes(a), _as_codes(b)
    both = (a >= 0) & (b >= 0)
    out = np.zeros((k, k))
    np.add.at(out, (a[both], b[both]), 1.0)
    return out


def coincidence(ratings: np.ndarray, k: int) -> np.ndarray:
    """Krippendorff's coincidence matrix from ``units × raters`` category indices (-1 missing).

    A unit with m ≥ 2 ratings adds each ordered pair of its ratings (from different raters)
    with weight 1/(m-1); a unit with fewer adds nothing.
    """
    codes = _as_codes(ratings)
    if codes.ndim != 2:
        raise ValueError("ratings must be a units × raters matrix")
    counts = np.stack([(codes == c).sum(axis=1) for c in range(k)], axis=1).astype(float)  # units × k
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    pairs = counts[:, :, None] * counts[:, None, :] - counts[:, :, None] * np.eye(k)[None]
    return (pairs / (m - 1)[:, None, None]).sum(axis=0)


# --- statistics of count matrices (batched: leading axes are resamples) -------------------------


def _weights(k: int, kind: Literal["none", "quadratic"]) -> np.ndarray:
    i = np.arange(k)
    return (i[:, None] != i[None, :]).astype(float) if kind == "none" else (i[:, None] - i[None, :]) ** 2.0


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def kappa_of(c: np.ndarray, weights: Literal["none", "quadratic"] = "none") -> np.ndarray:
    """Cohen's kappa of confusion matrices ``(..., k, k)``: 1 - Σw·observed / Σw·expected."""
    k = c.shape[-1]
    w = _weights(k, weights)
    n = c.sum(axis=(-2, -1))
    expected = c.sum(axis=-1)[..., :, None] * c.sum(axis=-2)[..., None, :] / np.where(n > 0, n, 1.0)[..., None, None]
    return 1.0 - _ratio((w * c).sum(axis=(-2, -1)), (w * expected).sum(axis=(-2, -1)))


def percent_of(c: np.ndarray) -> np.ndarray:
    return _ratio(np.trace(c, axis1=-2, axis2=-1), c.sum(axis=(-2, -1)))


def alpha_of(o: np.ndarray, level: Literal["nominal", "ordinal"] = "nominal") -> np.ndarray:
    """Krippendorff's alpha of coincidence matrices ``(..., k, k)``: 1 - D_observed / D_expected."""
    k = o.shape[-1]
    n_v = o.sum(axis=-2)
    n = n_v.sum(axis=-1)
    e = (n_v[..., :, None] * n_v[..., None, :] - n_v[..., :, None] * np.eye(k)) / np.where(n > 1, n - 1, 1.0)[..., None, None]
    if level == "nominal":
        d = np.broadcast_to(_weights(k, "none"), o.shape)
    else:
        # ordinal metric: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², the ranks' spacing set by the marginals
        cum = np.cumsum(n_v, axis=-1)
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        between = cum[..., hi] - cum[..., lo] + n_v[..., lo]
        d = (between - (n_v[..., :, None] + n_v[..., None, :]) / 2.0) ** 2
    return 1.0 - _ratio((o * d).sum(axis=(-2, -1)), (e * d).sum(axis=(-2, -1)))


def cohen_kappa(a: Sequence[float], b: Sequence[float], k: int, weights: Literal["none", "quadratic"] = "none") -> float:
    """Cohen's kappa of two markers' category indices (units either left unrated are dropped)."""
    return float(kappa_of(confusion(a, b, k), weights))


def percent_agreement(a: Sequence[float], b: Sequence[float], k: int) -> float:
    return float(percent_of(confusion(a, b, k)))


def krippendorff_alpha(reliability_data: np.ndarray, k: int, level: Literal["nominal", "ordinal"] = "nominal") -> float:
    """Krippendorff's alpha of ``raters × units`` category indices (NaN or -1: not rated),
    the layout of the ``krippendorff`` package."""
    return float(alpha_of(coincidence(np.asarray(reliability_data, dtype=float).T, k), level))


_FROM_MATRICES: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "kappa": ("confusion", lambda c: kappa_of(c, "none")),
    "kappa_quadratic": ("confusion", lambda c: kappa_of(c, "quadratic")),
    "percent": ("confusion", percent_of),
    "alpha_nominal": ("coincidence", lambda o: alpha_of(o, "nominal")),
    "alpha_ordinal": ("coincidence", lambda o: alpha_of(o, "ordinal")),
}


# --- bootstrap over submissions ---------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One agreement statistic with its bootstrap interval. NaN where undefined."""

    statistic: str
    value: float
    low: float
    high: float
    units: int  # units (submission × detail) both markers rated
    submissions: int  # clusters resampled
    level: float = 0.95
    method: str = "bca"

    @property
    def defined(self) -> bool:
        return not np.isnan(self.value)


def interval(
    value: float, boot: np.ndarray, jack: np.ndarray, level: float = 0.95, method: Method = "bca"
) -> tuple[float, float]:
    """A two-sided interval from bootstrap replicates ``boot`` and jackknife replicates ``jack``.

    BCa: percentiles shifted by the bias correction z0 (from the share of replicates below the
    estimate, ties counted half) and the acceleration a (skewness of the jackknife).
    Replicates where the statistic is undefined are left out.
    """
    boot = boot[~np.isnan(boot)]
    if np.isnan(value) or boot.size == 0:
        return float("nan"), float("nan")
    alphas = np.array([(1 - level) / 2, 1 - (1 - level) / 2])
    if method == "bca":
        share = (np.sum(boot < value) + 0.5 * np.sum(boot == value)) / boot.size
        share = min(max(share, 0.5 / boot.size), 1 - 0.5 / boot.size)
        z0 = _NORMAL.inv_cdf(share)
        jack = jack[~np.isnan(jack)]
        dev = jack.mean() - jack if jack.size else np.zeros(1)
        den = 6.0 * float((dev**2).sum()) ** 1.5
        a = float((dev**3).sum()) / den if den > 0 else 0.0
        z = np.array([_NORMAL.inv_cdf(float(p)) for p in alphas])
        adj = z0 + (z0 + z) / (1 - a * (z0 + z))
        alphas = np.array([_NORMAL.cdf(float(x)) for x in adj])
    low, high = np.quantile(boot, alphas)
    return float(low), float(high)


def _replicates(per_cluster: np.ndarray, weights: np.ndarray, stat: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(bootstrap, jackknife) replicates of ``stat`` for per-cluster matrices ``(n, k, k)``."""
    n, k, _ = per_cluster.shape
    flat = per_cluster.reshape(n, k * k)
    boot = stat((weights @ flat).reshape(-1, k, k))
    total = per_cluster.sum(axis=0)
    jack = stat(total[None] - per_cluster)
    return boot, jack


def agreement(
    clusters: Sequence[np.ndarray], k: int, *, statistics: Sequence[str] = STATISTICS, n_boot: int = 2000,
    level: float = 0.95, method: Method = "bca", rng: np.random.Generator | None = None,
) -> dict[str, Estimate]:
    """Agreement statistics with bootstrap intervals, resampling submissions.

    ``clusters``: one ``units × raters`` matrix of category indices per submission (-1: not
    rated); kappa and percent agreement use the first two rater columns, alpha all of them.
    Submissions with no unit both markers rated still count as resampled clusters for alpha
    only where they hold a pairable unit.
    """
    rng = rng or np.random.default_rng(0)
    mats = {
        "confusion": np.stack([confusion(c[:, 0], c[:, 1], k) if c.size else np.zeros((k, k)) for c in clusters])
        if clusters else np.zeros((0, k, k)),
        "coincidence": np.stack([coincidence(c, k) if c.size else np.zeros((k, k)) for c in clusters])
        if clusters else np.zeros((0, k, k)),
    }
    codes = [_as_codes(c) for c in clusters if c.size]
    units_rated = {
        "confusion": sum(int(((c[:, 0] >= 0) & (c[:, 1] >= 0)).sum()) for c in codes),
        "coincidence": sum(int(((c >= 0).sum(axis=1) >= 2).sum()) for c in codes),
    }
    out: dict[str, Estimate] = {}
    for name in statistics:
        kind, stat = _FROM_MATRICES[name]
        per = mats[kind]
        used = per[per.sum(axis=(1, 2)) > 0]  # submissions that contribute to this statistic
        n = used.shape[0]
        units = units_rated[kind]
        if n == 0:
            out[name] = Estimate(name, float("nan"), float("nan"), float("nan"), 0, 0, level, method)
            continue
        value = float(stat(used.sum(axis=0)))
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
        boot, jack = _replicates(used, weights, stat)
        low, high = interval(value, boot, jack, level, method)
        out[name] = Estimate(name, value, low, high, units, n, level, method)
    return out
