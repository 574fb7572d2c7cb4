"""What every analysis shares: one rubric's slice of the pilot, ordinal codes, intervals, findings.

A finding is raised by a decision rule that names its numbers: an estimate, an interval at a
family-wise level (Bonferroni over the subjects tested, so a dataset with nothing in it stays
quiet), and a practical threshold the estimate must pass. ``Finding.rule`` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np

from ..pilot import PilotData, PilotRubric, PilotSubmission

STATUS_ORDER = ("missing", "weak", "met")
LEVEL = {s: i for i, s in enumerate(STATUS_ORDER)}
FAMILY_LEVEL = 0.99  # family-wise confidence of each analysis' intervals: a dataset with nothing in it must stay quiet

FindingKind = Literal[
    "detail_often_missing", "evidence_rarely_matched", "confusable_details", "assessor_severity",
    "size_related_to_outcome",
]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    rubric_id: str
    rubric_version: str
    subject: tuple[str, ...]  # detail ids, a detail pair, an assessor pseudonym or a measure name
    measure: str
    estimate: float
    low: float
    high: float
    n: int
    rule: str
    message: str

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.kind, self.subject


@dataclass(frozen=True)
class RubricSlice:
    """The submissions of one rubric version, with the rubric."""

    rubric: PilotRubric
    submissions: list[PilotSubmission] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.rubric.id} {self.rubric.version}"

    @property
    def detail_ids(self) -> list[str]:
        return [d.id for d in self.rubric.details]

    def first_ratings(self) -> list[tuple[PilotSubmission, dict[str, str]]]:
        """Each submission's first marker's detail ratings (the independent first judgment)."""
        out = []
        for s in self.submissions:
            first = next((j for j in s.judgments if j.role == "first"), None)
            if first is not None:
                out.append((s, first.details))
        return out


def slices(data: PilotData) -> list[RubricSlice]:
    out = {(r.id, r.version): RubricSlice(r) for r in data.rubrics}
    for s in data.submissions:
        out[s.rubric_id, s.rubric_version].submissions.append(s)
    return [sl for sl in out.values() if sl.submissions]


def family_z(tests: int, level: float = FAMILY_LEVEL) -> float:
    """Two-sided z for ``tests`` simultaneous intervals at family-wise ``level`` (Bonferroni)."""
    return NormalDist().inv_cdf(1 - (1 - level) / (2 * max(tests, 1)))


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion (sensible at 0, 1 and small n, unlike Wald)."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def share_finding(
    sl: RubricSlice, kind: FindingKind, subject: tuple[str, ...], measure: str, estimate: float,
    bounds: tuple[float, float], n: int, threshold: float, minimum: str, message: str,
) -> Finding:
    """A finding on a proportion whose family-wise Wilson interval lies above ``threshold``."""
    return Finding(kind, sl.rubric.id, sl.rubric.version, subject, measure, estimate, bounds[0], bounds[1], n,
                   f"family-wise {FAMILY_LEVEL:.0%} Wilson interval above {threshold:.0%}, at least {minimum}",
                   message)
