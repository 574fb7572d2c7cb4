"""Do assessors agree? Agreement of independent double marking per detail, per EO and overall
(detail statuses, ordinal missing < weak < met) and on EO levels (ordinal, the rubric's levels).

Only the ``first`` and ``second`` markers' judgments count: a reconciler has seen both and is not
independent. Intervals resample submissions (screening/analysis/agreement.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .agreement import STATISTICS, Estimate, agreement
from .base import LEVEL, RubricSlice

N_BOOT = 1000


@dataclass(frozen=True)
class AgreementRow:
    scope: str  # "detail", "eo", "overall", "eo_levels"
    subject: str  # detail id, EO id, "all"
    estimates: dict[str, Estimate]

    @property
    def units(self) -> int:
        return self.estimates["kappa"].units


def _pairs(sl: RubricSlice):  # type: ignore[no-untyped-def]
    for s in sl.submissions:
        roles = {j.role: j for j in s.judgments}
        if "first" in roles and "second" in roles:
            yield s, roles["first"], roles["second"]


def _detail_clusters(sl: RubricSlice, details: list[str]) -> list[np.ndarray]:
    out = []
    for _, a, b in _pairs(sl):
        out.append(np.array([[LEVEL.get(a.details.get(d, ""), -1), LEVEL.get(b.details.get(d, ""), -1)]
                             for d in details], dtype=int))
    return out


def double_marking(sl: RubricSlice, n_boot: int = N_BOOT, seed: int = 0) -> list[AgreementRow]:
    rng = np.random.default_rng(seed)
    rows: list[AgreementRow] = []
    for d in sl.detail_ids:
        rows.append(AgreementRow("detail", d, agreement(_detail_clusters(sl, [d]), 3, n_boot=n_boot, rng=rng)))
    for eo in sl.rubric.eos:
        ds = [d.id for d in sl.rubric.details if d.eo == eo]
        rows.append(AgreementRow("eo", eo, agreement(_detail_clusters(sl, ds), 3, n_boot=n_boot, rng=rng)))
    rows.append(AgreementRow("overall", "all", agreement(_detail_clusters(sl, sl.detail_ids), 3, n_boot=n_boot, rng=rng)))
    levels = sl.rubric.levels[::-1]  # lowest first: index grows with the level
    idx = {lvl: i for i, lvl in enumerate(levels)}
    clusters = [np.array([[idx.get(a.eo_levels.get(eo, ""), -1), idx.get(b.eo_levels.get(eo, ""), -1)]
                          for eo in sl.rubric.eos], dtype=int) for _, a, b in _pairs(sl)]
    rows.append(AgreementRow("eo_levels", "all", agreement(clusters, len(levels), n_boot=n_boot, rng=rng)))
    return rows


def double_marked(sl: RubricSlice) -> list[str]:
    return [s.ref for s, _, _ in _pairs(sl)]


__all__ = ["AgreementRow", "STATISTICS", "double_marked", "double_marking"]
