"""Realistic pilot datasets with known, planted properties, for developing and testing analyses.

``generate(rubric, spec, seed)`` returns pilot data (``mc-pilot/1``, exactly what the service
exports) and, beside it, the truth: what was planted where. Every property is switchable in
``PilotSpec`` and every draw comes from one seeded generator, so a seed is a dataset.

How a dataset is made (docs/analysis.md describes the analyses that should recover it):

- Each submission has a quality q ~ N(0, 1); each detail a latent value z = q + offset + noise,
  the offset saying how often candidates show the detail. The true status cuts z at -0.5 / 0.5
  (missing < weak < met).
- An assessor rates a detail by reading z with their own noise; a *severe assessor* reads it
  ``severity_shift`` lower. EO levels follow from the assessor's detail ratings; the released
  outcome from the reconciler's levels where there is one, else the first marker's.
- The screener's best score is a noisy increasing function of z, turned into met / weak /
  missing with the default thresholds; flags follow from its statuses (and word minimums);
  assessors confirm a flag when their own rating agrees with it.
- Planted: a *missed detail* (a low offset: candidates usually leave it out); an *opaque
  detail* (the screener's score is pulled down, so evidence assessors accept is rarely matched);
  an *ambiguous pair* (assessors rate one detail of the pair by the other's evidence at times,
  and the same passages support both); *word counts related to outcomes* (narrative and
  reflection length grow with q); plus missing ratings, double marking and resubmissions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..rubric import Rubric
from .build import flag_ref, passage_key, pilot_rubric
from .model import Judgment, PilotData, PilotDetail, PilotFlag, PilotSubmission

STATUSES = ("missing", "weak", "met")  # ordinal order, index = level
CUTS = (-0.5, 0.5)
WEAK_THRESHOLD, MET_THRESHOLD = 0.58, 0.62  # the mapping's default thresholds (screening/settings.py)
FEATURES = ("dense_max", "dense_margin", "above_weak", "lexical_max")


@dataclass(frozen=True)
class PilotSpec:
    """What to generate. The planted properties default to on; ``PilotSpec.nothing_planted()``
    turns every one off (double marking, missing ratings and resubmissions stay: they are how a
    pilot is run, not properties of the rubric or of a marker)."""

    submissions: int = 80
    assessors: int = 6
    double_marked: float = 0.5  # share of submissions marked independently twice
    missing_ratings: float = 0.04  # share of detail ratings left out
    resubmissions: float = 0.3  # share of not-yet submissions resubmitted once
    severe_assessor: bool = True
    severity_shift: float = 1.2  # on the latent scale, where one status level is 1.0 wide
    ambiguous_pair: bool = True
    missed_detail: bool = True
    opaque_detail: bool = True
    words_related: bool = True
    month: str = "2026-10"

    @classmethod
    def nothing_planted(cls, **overrides: object) -> "PilotSpec":
        off = {"severe_assessor": False, "ambiguous_pair": False, "missed_detail": False,
               "opaque_detail": False, "words_related": False}
        return cls(**{**off, **overrides})  # type: ignore[arg-type]


@dataclass(frozen=True)
class PlantedTruth:
    rubric_id: str
    rubric_version: str
    severe_assessor: str | None = None
    ambiguous_pair: tuple[str, str] | None = None
    missed_detail: str | None = None
    opaque_detail: str | None = None
    words_related_parts: tuple[str, ...] = ()
    double_marked: tuple[str, ...] = ()  # refs marked twice
    resubmissions: tuple[str, ...] = ()  # refs of version 2
    missing_ratings: int = 0  # detail ratings left out, over all judgments
    assessors: tuple[str, ...] = ()

    def expected_findings(self) -> set[tuple[str, tuple[str, ...]]]:
        """(finding kind, subject) pairs the analyses should report, and no others."""
        out: set[tuple[str, tuple[str, ...]]] = set()
        if self.severe_assessor:
            out.add(("assessor_severity", (self.severe_assessor,)))
        if self.ambiguous_pair:
            out.add(("confusable_details", tuple(sorted(self.ambiguous_pair))))
        if self.missed_detail:
            out.add(("detail_often_missing", (self.missed_detail,)))
        if self.opaque_detail:
            out.add(("evidence_rarely_matched", (self.opaque_detail,)))
        out |= {("size_related_to_outcome", (f"words_{p}",)) for p in self.words_related_parts}
        return out


@dataclass(frozen=True)
class GeneratedPilot:
    data: PilotData
    truth: list[PlantedTruth] = field(default_factory=list)


def _status(z: np.ndarray | float) -> np.ndarray:
    return np.digitize(z, CUTS)


def _eo_level(ratings: dict[str, str], eo_details: list[str], levels: list[str]) -> str | None:
    """An assessor's level for one EO from their own detail ratings (levels highest first)."""
    rated = [ratings[d] for d in eo_details if d in ratings]
    if not rated:
        return None
    missing, weak = rated.count("missing"), rated.count("weak")
    if missing == 0 and weak <= 1:
        return levels[0]
    if missing * 2 >= len(rated):
        return levels[-1]
    return levels[1] if len(levels) > 2 else levels[-1]


def generate(rubric: Rubric, spec: PilotSpec | None = None, seed: int = 0, *, prefix: str = "S") -> GeneratedPilot:
    """A pilot of ``spec.submissions`` first submissions (plus resubmissions) of ``rubric``."""
    spec = spec or PilotSpec()
    rng = np.random.default_rng(seed)
    prubric = pilot_rubric(rubric, rubric.content_hash)
    details = [d.id for d in prubric.details]
    eo_of = {d.id: d.eo for d in prubric.details}
    eo_details = {eo: [d.id for d in prubric.details if d.eo == eo] for eo in prubric.eos}
    levels = prubric.levels
    n_d = len(details)
    assessors = [f"A{i + 1}" for i in range(spec.assessors)]

    # Which details and assessor carry the planted properties (drawn, so seeds vary them).
    order = [str(x) for x in rng.permutation(details)]
    missed = order[0] if spec.missed_detail else None
    opaque = order[1] if spec.opaque_detail else None
    pair: tuple[str, str] | None = None
    if spec.ambiguous_pair:
        rest = [d for d in order[2:]]
        same_eo = [(a, b) for i, a in enumerate(rest) for b in rest[i + 1:] if eo_of[a] == eo_of[b]]
        candidates = same_eo or [(rest[0], rest[1])]
        a, b = candidates[int(rng.integers(len(candidates)))]
        pair = (a, b)
    severe = str(rng.choice(assessors)) if spec.severe_assessor else None
    offset = rng.uniform(0.6, 1.6, n_d)
    if missed:
        offset[details.index(missed)] = -1.0
    part_min = {p.kind: p.word_minimum for p in rubric.parts}

    submissions: list[PilotSubmission] = []
    double: list[str] = []
    resubs: list[str] = []
    left_out = 0
    queue = [(f"{prefix}{i + 1:03d}", float(rng.standard_normal()), 1) for i in range(spec.submissions)]
    while queue:
        ref, q, version = queue.pop(0)
        z = q + offset + rng.normal(0, 0.7, n_d)
        # Screener: passages that support one detail of an ambiguous pair score for both.
        dense = z.copy()
        if pair:
            i, j = details.index(pair[0]), details.index(pair[1])
            dense[i] = dense[j] = max(z[i], z[j]) - 0.2
        score = 0.60 + 0.05 * dense + rng.normal(0, 0.015, n_d)
        if opaque:
            score[details.index(opaque)] -= 0.15
        score = np.round(score, 4)
        advisory = np.where(score >= MET_THRESHOLD, 2, np.where(score >= WEAK_THRESHOLD, 1, 0))
        pool = [passage_key(ref, "narrative", 120 * k, 120 * k + 110) for k in range(30)]
        evidence: dict[str, list[str]] = {}
        for k, d in enumerate(details):
            if advisory[k] > 0:
                evidence[d] = [pool[int(x)] for x in rng.choice(len(pool), int(rng.integers(1, 4)), replace=False)]
        if pair and pair[0] in evidence and pair[1] in evidence and rng.random() < 0.85:
            evidence[pair[1]] = [evidence[pair[0]][0]] + [k for k in evidence[pair[1]] if k != evidence[pair[0]][0]][:2]
        pdetails = [PilotDetail(
            detail_id=d, eo=eo_of[d], advisory_status=STATUSES[int(advisory[k])], best_score=float(score[k]),
            evidence=evidence.get(d, []),
            features={
                "dense_max": float(score[k]),
                "dense_margin": round(float(np.clip(0.02 + 0.01 * z[k] + rng.normal(0, 0.01), -0.05, 0.2)), 4),
                "above_weak": float(len(evidence.get(d, []))),
                "lexical_max": round(float(np.clip(0.25 + 0.08 * z[k] + rng.normal(0, 0.05), 0, 1)), 4),
            }) for k, d in enumerate(details)]

        words = {"narrative": 1250 + 350 * q * spec.words_related + rng.normal(0, 180),
                 "portfolio": 2200 + rng.normal(0, 600),
                 "reflection": 650 + 180 * q * spec.words_related + rng.normal(0, 90)}
        words_by_part = {p: max(80, int(w)) for p, w in words.items() if p in part_min}
        flags: list[PilotFlag] = []
        for k, d in enumerate(details):
            if advisory[k] < 2:
                code = "missing_evidence" if advisory[k] == 0 else "weak_evidence"
                flags.append(PilotFlag(ref=flag_ref(len(flags)), code=code, detail_id=d, eo=eo_of[d]))
        for p, w in words_by_part.items():
            if part_min.get(p) and w < part_min[p]:
                flags.append(PilotFlag(ref=flag_ref(len(flags)), code="word_minimum", part=p))

        markers = [str(a) for a in rng.choice(assessors, 3, replace=False)]
        marked_twice = rng.random() < spec.double_marked
        judgments: list[Judgment] = []
        for role, who in zip(("first", "second"), markers[:2] if marked_twice else markers[:1]):
            read = z + rng.normal(0, 0.45, n_d) - (spec.severity_shift if who == severe else 0.0)
            if pair and rng.random() < 0.5:  # reads one detail of the pair by the other's evidence
                i, j = details.index(pair[0]), details.index(pair[1])
                k = i if rng.random() < 0.5 else j
                read[k] = (z[j] if k == i else z[i]) + rng.normal(0, 0.45)
            rated = {d: STATUSES[int(s)] for d, s in zip(details, _status(read))}
            dropped = [d for d in details if rng.random() < spec.missing_ratings]
            left_out += len(dropped)
            for d in dropped:
                del rated[d]
            eo_levels = {eo: lvl for eo, ds in eo_details.items() if (lvl := _eo_level(rated, ds, levels))}
            decisions = {}
            for f in flags:
                if f.code == "word_minimum":
                    decisions[f.ref] = "confirmed"
                elif f.detail_id in rated:
                    thin = rated[f.detail_id] == "missing" if f.code == "missing_evidence" else rated[f.detail_id] != "met"
                    decisions[f.ref] = "confirmed" if thin else "overridden"
            judgments.append(Judgment(assessor=who, role=role, details=rated, eo_levels=eo_levels, flags=decisions))
        final = judgments[0].eo_levels
        if marked_twice:
            double.append(ref)
            if judgments[0].eo_levels != judgments[1].eo_levels:
                read = z + rng.normal(0, 0.45, n_d) - (spec.severity_shift if markers[2] == severe else 0.0)
                rated = {d: STATUSES[int(s)] for d, s in zip(details, _status(read))}
                final = {eo: lvl for eo, ds in eo_details.items() if (lvl := _eo_level(rated, ds, levels))}
                judgments.append(Judgment(assessor=markers[2], role="reconciler", eo_levels=final))
        earned = all(final.get(eo) == prubric.required_level for eo in prubric.eos)
        outcome = "earned" if earned else "not_yet"
        if not earned and version == 1 and rng.random() < spec.resubmissions:
            queue.append((f"{ref}-2", q + 0.8, 2))
        if version == 2:
            resubs.append(ref)
        submissions.append(PilotSubmission(
            ref=ref, rubric_id=prubric.id, rubric_version=prubric.version, version=version,
            submitted_month=spec.month, words_by_part=words_by_part, files=int(rng.integers(3, 9)),
            size_bytes=int(rng.lognormal(13.5, 0.6)), details=pdetails, flags=flags, judgments=judgments,
            outcome=outcome))  # type: ignore[arg-type]

    truth = PlantedTruth(
        rubric_id=prubric.id, rubric_version=prubric.version, severe_assessor=severe,
        ambiguous_pair=tuple(sorted(pair)) if pair else None,  # type: ignore[arg-type]
        missed_detail=missed, opaque_detail=opaque,
        words_related_parts=tuple(p for p in ("narrative", "reflection") if p in part_min) if spec.words_related else (),
        double_marked=tuple(double), resubmissions=tuple(resubs), missing_ratings=left_out, assessors=tuple(assessors))
    return GeneratedPilot(PilotData(rubrics=[prubric], submissions=submissions), [truth])


def combine(*pilots: GeneratedPilot) -> GeneratedPilot:
    """One pilot holding several rubrics' datasets (generate each with its own ``prefix``)."""
    return GeneratedPilot(
        PilotData(rubrics=[r for p in pilots for r in p.data.rubrics],
                  submissions=[s for p in pilots for s in p.data.submissions]),
        [t for p in pilots for t in p.truth])


__all__ = ["FEATURES", "GeneratedPilot", "PilotSpec", "PlantedTruth", "combine", "generate"]
