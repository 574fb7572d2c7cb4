"""Every analysis on every rubric version of a pilot, and the findings their rules raise."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..pilot import PilotData
from .advice import DetailAdvice, FlagAccuracy, detail_advice, flag_accuracy, rarely_matched
from .base import Finding, RubricSlice, slices
from .confusable import DetailPair, confusable_findings, detail_pairs
from .marking import AgreementRow, double_marked, double_marking
from .rates import DetailRate, detail_rates, often_missing
from .severity import Severity, severity, severity_findings
from .size import SizeRelation, size_findings, size_relations


@dataclass(frozen=True)
class DataSummary:
    submissions: int
    resubmissions: int  # versions 2 and later
    decided: int
    earned: int
    assessors: int
    double_marked: int
    reconciled: int
    ratings: int  # detail ratings by first and second markers
    missing_ratings: int  # details a first or second marker left unrated


@dataclass(frozen=True)
class RubricAnalysis:
    rubric_id: str
    rubric_version: str
    details: dict[str, str]  # id -> wording
    summary: DataSummary
    rates: list[DetailRate]
    flags: list[FlagAccuracy]
    advice: list[DetailAdvice]
    agreement: list[AgreementRow]
    severity: list[Severity]
    pairs: list[DetailPair]
    sizes: list[SizeRelation]
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Analysis:
    rubrics: list[RubricAnalysis]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.rubrics for f in r.findings]

    def to_json(self) -> dict[str, Any]:
        def clean(x: Any) -> Any:
            if isinstance(x, float):
                return None if np.isnan(x) else round(x, 6)
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            return x

        return clean({"format": "mc-pilot-analysis/1", "findings": [asdict(f) for f in self.findings],
                      "rubrics": [asdict(r) for r in self.rubrics]})

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def summarise(sl: RubricSlice) -> DataSummary:
    rated = [j for s in sl.submissions for j in s.judgments if j.role in ("first", "second")]
    return DataSummary(
        submissions=len(sl.submissions), resubmissions=sum(s.version > 1 for s in sl.submissions),
        decided=sum(s.outcome is not None for s in sl.submissions),
        earned=sum(s.outcome == "earned" for s in sl.submissions),
        assessors=len({j.assessor for s in sl.submissions for j in s.judgments}),
        double_marked=len(double_marked(sl)),
        reconciled=sum(any(j.role == "reconciler" for j in s.judgments) for s in sl.submissions),
        ratings=sum(len(j.details) for j in rated),
        missing_ratings=sum(len(sl.detail_ids) - len(j.details) for j in rated),
    )


def analyse_slice(sl: RubricSlice, seed: int = 0) -> RubricAnalysis:
    rates = detail_rates(sl)
    advice = detail_advice(sl)
    sev = severity(sl, seed=seed)
    pairs = detail_pairs(sl)
    sizes = size_relations(sl, seed=seed)
    findings = [*often_missing(sl, rates), *rarely_matched(sl, advice), *confusable_findings(sl, pairs),
                *severity_findings(sl, sev), *size_findings(sl, sizes)]
    return RubricAnalysis(
        rubric_id=sl.rubric.id, rubric_version=sl.rubric.version, details={d.id: d.text for d in sl.rubric.details},
        summary=summarise(sl), rates=rates, flags=flag_accuracy(sl), advice=advice,
        agreement=double_marking(sl, seed=seed), severity=sev, pairs=pairs, sizes=sizes, findings=findings)


def run_analyses(data: PilotData, seed: int = 0) -> Analysis:
    """All analyses of every rubric version in ``data`` (bootstrap draws seeded: same data, same numbers)."""
    return Analysis([analyse_slice(sl, seed) for sl in slices(data)])
