"""Coverage of the agreement statistics' bootstrap intervals on simulated double marking.

``python -m bench.agreement`` simulates pilot-sized double-marked datasets whose population
agreement is known exactly, computes every statistic of screening/analysis/agreement.py with its
95% interval (BCa and percentile, resampling submissions), and reports how often each interval
covers the true value (target 93–97%). Appends the table to bench/RESULTS.md unless --no-record.

The model: a submission has a quality q ~ N(0, 1); each of its details has a true status
(missing < weak < met) from an ordered logit in q plus a per-detail offset, so details of one
submission are correlated, as in real marking. Each marker reports the true status through their
own confusion matrix (errors independent given the true status); ratings go missing at random.
The population value of each statistic is the statistic of the expected count matrix
(Σ_t P(t) M1[t, ·] ⊗ M2[t, ·], P(t) integrated over q by Gauss–Hermite quadrature), which is
what the sample statistic estimates as the number of submissions grows.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from screening.analysis.agreement import STATISTICS, agreement, alpha_of, kappa_of, percent_of

from .results import append_section

K = 3
CUTS = np.array([-1.2, 0.2])  # ordered-logit cut points: missing | weak | met


@dataclass(frozen=True)
class Scenario:
    name: str
    submissions: int
    details: int
    m1: tuple[tuple[float, ...], ...]  # first marker: P(rated c | true t), rows t
    m2: tuple[tuple[float, ...], ...]
    missing: float = 0.05


_GOOD = ((0.90, 0.10, 0.00), (0.08, 0.84, 0.08), (0.00, 0.08, 0.92))
_FAIR = ((0.70, 0.25, 0.05), (0.15, 0.65, 0.20), (0.03, 0.20, 0.77))
_HARSH = ((0.95, 0.05, 0.00), (0.35, 0.60, 0.05), (0.05, 0.35, 0.60))  # rates one level lower often
_POOR = ((0.50, 0.30, 0.20), (0.30, 0.40, 0.30), (0.15, 0.30, 0.55))
_NEAR = ((0.97, 0.03, 0.00), (0.02, 0.96, 0.02), (0.00, 0.02, 0.98))

SCENARIOS = (
    Scenario("good, 40 submissions", 40, 10, _GOOD, _GOOD),
    Scenario("fair, 40 submissions", 40, 10, _FAIR, _FAIR),
    Scenario("fair vs harsh marker, 60 submissions", 60, 10, _FAIR, _HARSH),
    Scenario("poor, 25 submissions", 25, 10, _POOR, _POOR, missing=0.10),
    Scenario("near-perfect, 60 submissions", 60, 10, _NEAR, _NEAR),
)


def _offsets(details: int) -> np.ndarray:
    return np.linspace(-0.8, 1.2, details)  # some details harder than others, fixed per scenario


def _status_probs(latent: np.ndarray) -> np.ndarray:
    """P(status) for latent values, ordered logit: (..., 3)."""
    below = 1 / (1 + np.exp(-(CUTS - latent[..., None])))
    return np.diff(np.concatenate([np.zeros_like(latent)[..., None], below, np.ones_like(latent)[..., None]], axis=-1), axis=-1)


def true_values(s: Scenario) -> dict[str, float]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    p_t = np.einsum("q,qdt->t", weights, _status_probs(nodes[:, None] + _offsets(s.details)[None, :])) / s.details
    m1, m2 = np.array(s.m1), np.array(s.m2)
    joint = np.einsum("t,ta,tb->ab", p_t, m1, m2) * 1e9  # large scale: the (n-1) corrections vanish
    return {
        "kappa": float(kappa_of(joint, "none")), "kappa_quadratic": float(kappa_of(joint, "quadratic")),
        "percent": float(percent_of(joint)),
        "alpha_nominal": float(alpha_of(joint + joint.T, "nominal")),
        "alpha_ordinal": float(alpha_of(joint + joint.T, "ordinal")),
    }


def simulate(s: Scenario, rng: np.random.Generator) -> list[np.ndarray]:
    q = rng.standard_normal(s.submissions)
    probs = _status_probs(q[:, None] + _offsets(s.details)[None, :])  # subs × details × 3
    true = (rng.random(probs.shape[:2])[..., None] > np.cumsum(probs, axis=-1)).sum(axis=-1)
    out = []
    for i in range(s.submissions):
        ratings = np.empty((s.details, 2), dtype=int)
        for col, m in enumerate((np.array(s.m1), np.array(s.m2))):
            cum = np.cumsum(m[true[i]], axis=-1)
            ratings[:, col] = (rng.random(s.details)[:, None] > cum).sum(axis=-1)
        ratings[rng.random(ratings.shape) < s.missing] = -1
        out.append(ratings)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", type=int, default=120, help="simulated datasets per scenario (5 scenarios)")
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap resamples per interval")
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    hits = {m: {st: 0 for st in STATISTICS} for m in ("bca", "percentile")}
    widths = {m: {st: [] for st in STATISTICS} for m in ("bca", "percentile")}
    per_scenario: list[str] = []
    total = 0
    for s in SCENARIOS:
        truth = true_values(s)
        sc_hits = {st: 0 for st in STATISTICS}
        for _ in range(args.datasets):
            data = simulate(s, rng)
            seed = int(rng.integers(2**32))
            for method in ("bca", "percentile"):
                est = agreement(data, K, n_boot=args.boot, method=method, rng=np.random.default_rng(seed))
                for st, e in est.items():
                    covered = e.low <= truth[st] <= e.high
                    hits[method][st] += covered
                    widths[method][st].append(e.high - e.low)
                    if method == "bca":
                        sc_hits[st] += covered
            total += 1
        per_scenario.append(f"| {s.name} | " + " | ".join(f"{truth[st]:.3f}" for st in STATISTICS) + " | "
                            + " | ".join(f"{sc_hits[st] / args.datasets:.1%}" for st in STATISTICS) + " |")
        print(f"{s.name}: true {', '.join(f'{k} {v:.3f}' for k, v in truth.items())}", flush=True)
    elapsed = time.perf_counter() - started
    lines = [
        f"Command: `python -m bench.agreement --datasets {args.datasets} --boot {args.boot} --seed {args.seed}`. "
        f"{total} simulated datasets ({len(SCENARIOS)} scenarios × {args.datasets}), 10 details per submission, "
        f"95% intervals from {args.boot} resamples of submissions; {elapsed:.0f} s.",
        "",
        "Coverage of the true value, all datasets (target 93–97%), and mean interval width:",
        "",
        "| Statistic | BCa coverage | Percentile coverage | BCa width | Percentile width |",
        "|---|---:|---:|---:|---:|",
        *[f"| {st} | {hits['bca'][st] / total:.1%} | {hits['percentile'][st] / total:.1%} | "
          f"{np.mean(widths['bca'][st]):.3f} | {np.mean(widths['percentile'][st]):.3f} |" for st in STATISTICS],
        "",
        "Per scenario: true values, then BCa coverage:",
        "",
        "| Scenario | " + " | ".join(STATISTICS) + " | " + " | ".join(f"{st} cov." for st in STATISTICS) + " |",
        "|---|" + "---:|" * (2 * len(STATISTICS)),
        *per_scenario,
    ]
    print("\n".join(lines))
    if not args.no_record:
        append_section("Agreement statistics: bootstrap interval coverage", lines)


if __name__ == "__main__":
    main()
