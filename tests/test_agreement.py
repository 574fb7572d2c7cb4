"""Agreement statistics equal scikit-learn's and the krippendorff package's to 1e-9."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from screening.analysis.agreement import (
    agreement, cohen_kappa, interval, krippendorff_alpha, percent_agreement,
)

K = 3


def _sk_kappa(a, b, weights):
    keep = (np.asarray(a) >= 0) & (np.asarray(b) >= 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns where kappa is undefined
        return cohen_kappa_score(np.asarray(a)[keep], np.asarray(b)[keep], labels=list(range(K)), weights=weights)


def _kr_alpha(data, level):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=list(range(K)))
    except ValueError:  # "at least one unit with values assigned by at least two coders" and similar
        return float("nan")


def _same(ours: float, ref: float) -> bool:
    return (np.isnan(ours) and np.isnan(ref)) or abs(ours - ref) <= 1e-9


def _random_pairs(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 60))
    a = rng.integers(0, K, n)
    b = np.where(rng.random(n) < rng.uniform(0.2, 0.9), a, rng.integers(0, K, n))
    return a, b


# Shared data: random pairs, plus the edge cases the brief names.
EDGE = {
    "one category only": ([2, 2, 2, 2], [2, 2, 2, 2]),
    "all agree, two categories": ([0, 2, 2, 0, 2], [0, 2, 2, 0, 2]),
    "all agree, three categories": ([0, 1, 2, 1], [0, 1, 2, 1]),
    "complete disagreement": ([0, 0, 2, 2], [2, 2, 0, 0]),
    "one marker one category": ([1, 1, 1, 1], [0, 1, 2, 1]),
    "two units": ([0, 2], [0, 1]),
}


@pytest.mark.parametrize("weights", [None, "quadratic"])
def test_kappa_equals_sklearn(weights) -> None:
    cases = [_random_pairs(s) for s in range(150)] + [(np.array(a), np.array(b)) for a, b in EDGE.values()]
    for a, b in cases:
        ours = cohen_kappa(a, b, K, "quadratic" if weights else "none")
        assert _same(ours, _sk_kappa(a, b, weights)), (a, b, ours)


def test_kappa_drops_units_either_marker_left_unrated() -> None:
    a, b = np.array([0, 1, 2, 2, -1, 1]), np.array([0, 1, 1, -1, 2, 1])
    assert _same(cohen_kappa(a, b, K), _sk_kappa(a, b, None))
    assert cohen_kappa(a, b, K) == cohen_kappa(a[:3].tolist() + [1], b[:3].tolist() + [1], K)
    assert percent_agreement(a, b, K) == pytest.approx(3 / 4)


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_alpha_equals_krippendorff_package_with_missing_ratings(level) -> None:
    rng = np.random.default_rng(7)
    for _ in range(150):
        a, b = _random_pairs(int(rng.integers(10**6)))
        third = np.where(rng.random(a.size) < 0.5, a, rng.integers(0, K, a.size))
        data = np.vstack([a, b, third]).astype(float)
        data[rng.random(data.shape) < rng.uniform(0, 0.5)] = np.nan
        assert _same(krippendorff_alpha(data, K, level), _kr_alpha(data, level))
    for a, b in EDGE.values():
        data = np.vstack([a, b]).astype(float)
        assert _same(krippendorff_alpha(data, K, level), _kr_alpha(data, level)), (a, b)


def test_edge_cases_have_the_expected_values() -> None:
    a, b = EDGE["one category only"]
    assert np.isnan(cohen_kappa(a, b, K)) and np.isnan(krippendorff_alpha(np.vstack([a, b]), K))
    assert percent_agreement(a, b, K) == 1.0
    a, b = EDGE["all agree, three categories"]
    assert cohen_kappa(a, b, K, "quadratic") == 1.0 and krippendorff_alpha(np.vstack([a, b]), K, "ordinal") == 1.0
    # The classic example of the krippendorff package's documentation (nominal 0.691358).
    doc = [[np.nan] * 5 + [3, 4, 1, 2, 1, 1, 3, 3, np.nan, 3],
           [1, np.nan, 2, 1, 3, 3, 4, 3] + [np.nan] * 7,
           [np.nan, np.nan, 2, 1, 3, 4, 4, np.nan, 2, 1, 1, 3, 3, np.nan, 4]]
    data = np.array(doc) - 1  # categories 1..4 -> indices 0..3
    assert krippendorff_alpha(data, 4, "nominal") == pytest.approx(0.691358, abs=1e-6)


def _clusters(seed: int, n: int = 40, agree: float = 0.7):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        first = rng.integers(0, K, 8)
        second = np.where(rng.random(8) < agree, first, rng.integers(0, K, 8))
        out.append(np.column_stack([first, second]))
    return out


def test_bootstrap_interval_holds_the_estimate_and_shrinks_with_data() -> None:
    small = agreement(_clusters(1, n=15), K, n_boot=1000)
    large = agreement(_clusters(1, n=150), K, n_boot=1000)
    for name, est in small.items():
        assert est.low <= est.value <= est.high, name
        assert large[name].high - large[name].low < est.high - est.low, name
    assert small["kappa"].units == 15 * 8 and small["kappa"].submissions == 15
    pooled = np.vstack(_clusters(1, n=15))
    assert small["kappa"].value == pytest.approx(cohen_kappa(pooled[:, 0], pooled[:, 1], K), abs=1e-12)


def test_perfect_agreement_interval_is_a_point_and_undefined_is_nan() -> None:
    perfect = [np.column_stack([c, c]) for c in (np.array([0, 1, 2]), np.array([2, 2, 1]))] * 5
    est = agreement(perfect, K, n_boot=200)
    assert (est["kappa"].value, est["kappa"].low, est["kappa"].high) == (1.0, 1.0, 1.0)
    single = [np.array([[1, 1], [1, 1]])] * 5
    est = agreement(single, K, n_boot=200)
    assert np.isnan(est["kappa"].value) and np.isnan(est["kappa"].low) and est["percent"].value == 1.0
    assert agreement([], K)["alpha_ordinal"].submissions == 0


def test_bca_shifts_a_skewed_interval() -> None:
    rng = np.random.default_rng(3)
    boot = np.minimum(rng.normal(0.9, 0.08, 4000), 1.0)  # piled against the ceiling, like kappa near 1
    jack = np.minimum(rng.normal(0.9, 0.01, 40), 1.0)
    pct = interval(0.9, boot, jack, method="percentile")
    bca = interval(0.9, boot, jack, method="bca")
    assert pct != bca and pct[0] < 0.9 < pct[1] and bca[0] < 0.9
