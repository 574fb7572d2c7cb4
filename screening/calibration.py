"""Calibration: from the mapping's features to the probability that a detail is evidenced,
fitted on assessors' judgments, stored as plain JSON, used by the screener when one exists.

**Features** (per submission × detail, computed by :func:`mapping_features` at screening time and
written to the report as ``details[].features``):

- ``dense_max``: the detail's best evidence score (the competed score the status is decided on;
  where no passage competes for it, the best score of any passage);
- ``dense_margin``: for the passage closest to the detail, its score for this detail minus its best
  score for any other detail (negative: the passage is about another detail more);
- ``above_weak``: passages at or above the weak threshold;
- ``lexical_max``: the best share of the detail's content words (stemmed to six letters) that
  one passage contains.

**Model**: two logistic regressions on the standardised features (scikit-learn), one for
"at least weak" and one for "met", the cumulative split of missing < weak < met. A detail is
``met`` when P(met) ≥ 0.5, else ``weak`` when P(at least weak) ≥ 0.5, else ``missing``: each the
likelier side of its boundary. Labels: the first marker's rating (independent of any second
opinion). Cross-validation groups by submission, so one submission's details never sit on both
sides of a split, and the same folds score the plain thresholds for comparison.

**Storage**: ``<dir>/<rubric_id>-<version>.json`` (format ``mc-calibration/1``): feature names,
standardisation, weights, rubric id/version/content hash, n, date, CV metrics. No pickles. The
screener uses a calibration only when id, version and content hash all match the rubric.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import Errors, UsageError
from .mapping import DetailEvidence, Match, Status, status_for
from .passages import Passage
from .report.model import CalibrationInfo
from .rubric import Rubric
from .settings import MappingSettings, Settings
from .stopwords import ENGLISH_STOP_WORDS

FORMAT = "mc-calibration/1"
FEATURES = ("dense_max", "dense_margin", "above_weak", "lexical_max")
# Added in December 2026 (the detail's best score with no competition: a short answer that
# covers several details in one sentence has it where the competed score is gone). A fit uses it
# when every unit carries it; pilot data screened before then are fitted on FEATURES alone.
OPTIONAL_FEATURES = ("raw_max",)
MIN_UNITS = 60
FOLDS = 5
_STATUSES = ("missing", "weak", "met")
_WORD = re.compile(r"[a-z]{3,}")


# --- features at screening time ---------------------------------------------------------------


def _stems(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in ENGLISH_STOP_WORDS}


def mapping_features(
    rubric: Rubric, passages: Sequence[Passage], scores: np.ndarray, raw: np.ndarray, cfg: MappingSettings,
) -> list[dict[str, float]]:
    """Features of every detail (rubric order) from the mapping's competed and raw score matrices."""
    out: list[dict[str, float]] = []
    passage_stems = [_stems(p.text) for p in passages]
    for i, (_, detail) in enumerate(rubric.details()):
        if not len(passages):
            out.append({"dense_max": -1.0, "dense_margin": -1.0, "above_weak": 0.0, "lexical_max": 0.0, "raw_max": -1.0})
            continue
        competed, column = scores[:, i], raw[:, i]
        best = float(competed.max()) if (competed > -1).any() else float(column.max())
        k = int(np.argmax(column))
        others = np.delete(raw[k], i)
        margin = float(column[k] - others.max()) if others.size else 0.0
        words = _stems(detail.text)
        lexical = max((len(words & s) / len(words) for s in passage_stems), default=0.0) if words else 0.0
        out.append({"dense_max": round(best, 4), "dense_margin": round(margin, 4),
                    "above_weak": float((competed >= cfg.weak_threshold).sum()), "lexical_max": round(lexical, 4),
                    "raw_max": round(float(column.max()), 4)})
    return out


# --- the stored model -------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Logistic(_Model):
    coef: list[float]
    intercept: float


class CVMetrics(_Model):
    folds: int
    accuracy: float
    macro_f1: float
    thresholds_accuracy: float = Field(description="The plain thresholds, scored on the same folds.")
    thresholds_macro_f1: float
    brier_met: float = Field(description="Brier score of P(met) against 'judged met'.")
    beats_thresholds: bool = Field(description="Macro-F1 above the thresholds' on the same folds.")


class Calibration(_Model):
    format: Literal["mc-calibration/1"] = FORMAT
    rubric_id: str
    rubric_version: str
    rubric_hash: str
    features: list[str]
    mean: list[float]
    scale: list[float]
    at_least_weak: Logistic
    met: Logistic
    labels: str = "first marker's detail rating (met / weak / missing)"
    n: int = Field(description="(submission, detail) units it was fitted on.")
    submissions: int
    fitted_at: datetime
    source: str = Field("", description="Where the labels came from (file name, no path).")
    cv: CVMetrics

    def probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P(at least weak), P(met)) for rows of features in ``self.features`` order."""
        z = (np.atleast_2d(x) - np.array(self.mean)) / np.array(self.scale)

        def p(m: Logistic) -> np.ndarray:
            return 1 / (1 + np.exp(-(z @ np.array(m.coef) + m.intercept)))

        return p(self.at_least_weak), p(self.met)

    def statuses(self, x: np.ndarray) -> list[str]:
        weak, met = self.probabilities(x)
        return ["met" if m >= 0.5 else "weak" if w >= 0.5 else "missing" for w, m in zip(weak, met)]

    def matrix(self, features: Sequence[dict[str, float]]) -> np.ndarray:
        return np.array([[f.get(name, 0.0) for name in self.features] for f in features], dtype=float)


def file_name(rubric_id: str, version: str) -> str:
    return f"{rubric_id}-{version}.json"


def load(path: Path) -> Calibration:
    try:
        return Calibration.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError) as exc:
        raise UsageError(Errors.E045.format(path=path, problem=str(exc).splitlines()[0])) from None


def calibration_for(rubric: Rubric, settings: Settings) -> tuple[Calibration | None, CalibrationInfo]:
    """The calibration the screener should use for ``rubric``, and what to say about it."""
    cfg = settings.calibration
    if not cfg.enabled:
        return None, CalibrationInfo(method="thresholds", reason="calibration.enabled is false")
    path = cfg.folder / file_name(rubric.id, rubric.version)
    if not path.is_file():
        return None, CalibrationInfo(method="thresholds", reason=f"no calibration for {rubric.id} {rubric.version} (no {path.name} in the calibration folder)")
    cal = load(path)
    if (cal.rubric_id, cal.rubric_version) != (rubric.id, rubric.version) or cal.rubric_hash != rubric.content_hash:
        return None, CalibrationInfo(
            method="thresholds", reason=f"{path.name} was fitted on other rubric content ({cal.rubric_id} "
            f"{cal.rubric_version}, hash {cal.rubric_hash[:19]}), so it is not used")
    return cal, CalibrationInfo(method="logistic", file=path.name, rubric_version=cal.rubric_version,
                                fitted_at=cal.fitted_at, n=cal.n, reason=f"calibration {path.name} matches the rubric")


def apply(evidence: Sequence[DetailEvidence], cal: Calibration) -> list[DetailEvidence]:
    """Statuses from the calibration. A detail with no passage to point at stays ``missing``; one
    calibrated to met or weak with no passage above the weak threshold lists its closest passage."""
    statuses = cal.statuses(cal.matrix([ev.features for ev in evidence]))
    out = []
    for ev, s in zip(evidence, statuses):
        status = Status(s)
        shown: tuple[Match, ...] = ev.evidence
        if status != Status.MISSING and not shown:
            shown = (ev.closest,) if ev.closest is not None else ()
            if not shown:
                status = Status.MISSING
        out.append(replace(ev, status=status, evidence=shown if status != Status.MISSING else ev.evidence))
    return out


# --- fitting ----------------------------------------------------------------------------------


def _units(pilot, rubric_id: str, version: str):  # type: ignore[no-untyped-def]
    """(features used, x, y, groups) of the rubric's judged details."""
    rated = []
    for s in pilot.submissions:
        if (s.rubric_id, s.rubric_version) != (rubric_id, version):
            continue
        first = next((j for j in s.judgments if j.role == "first"), None)
        if first is None:
            continue
        rated.extend((s.ref, d, first.details[d.detail_id]) for d in s.details
                     if d.detail_id in first.details and all(f in d.features for f in FEATURES))
    names = list(FEATURES) + [f for f in OPTIONAL_FEATURES if rated and all(f in d.features for _, d, _ in rated)]
    x = np.array([[d.features[f] for f in names] for _, d, _ in rated], dtype=float).reshape(len(rated), len(names))
    y = np.array([_STATUSES.index(status) for _, _, status in rated], dtype=int)
    return names, x, y, np.array([ref for ref, _, _ in rated])


def _judged_both_ends(y: np.ndarray) -> bool:
    """Both met and missing were judged. "weak" may be absent: a program that judges each
    detail present or absent (key elements of a short answer) has two statuses, and then both
    models learn the same split."""
    return {0, 2} <= set(y.tolist())


def _fit_pair(x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - mean) / scale
    weak = LogisticRegression(C=1.0, max_iter=1000).fit(z, (y >= 1).astype(int))
    met = LogisticRegression(C=1.0, max_iter=1000).fit(z, (y == 2).astype(int))
    return mean, scale, weak, met


def _predict(mean, scale, weak, met, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    z = (x - mean) / scale
    pw, pm = weak.predict_proba(z)[:, 1], met.predict_proba(z)[:, 1]
    return np.where(pm >= 0.5, 2, np.where(pw >= 0.5, 1, 0)), pm


def fit_calibration(pilot, rubric, version: str | None = None, *, source: str = "",  # type: ignore[no-untyped-def]
                    mapping: MappingSettings | None = None, path_label: str = "pilot data") -> Calibration:
    """Fit a calibration for one rubric version from pilot data with features and first ratings.

    ``rubric``: a rubric (``Rubric`` or the pilot's ``PilotRubric``), or its id with ``version``.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold

    mapping = mapping or MappingSettings()
    rubric_id, rubric_version = (rubric, version) if isinstance(rubric, str) else (rubric.id, rubric.version)
    known = {(r.id, r.version): r for r in pilot.rubrics}
    if (rubric_id, rubric_version) not in known:
        raise UsageError(Errors.E044.format(path=path_label, rubric=f"{rubric_id} {rubric_version}",
                                            rubrics=", ".join(f"{i}@{v}" for i, v in known) or "none"))
    rubric = known[rubric_id, rubric_version]
    names, x, y, groups = _units(pilot, rubric_id, rubric_version)
    if len(y) < MIN_UNITS or not _judged_both_ends(y) or len(set(groups.tolist())) < FOLDS:
        raise UsageError(Errors.E042.format(rubric=f"{rubric_id} {rubric_version}", path=path_label, units=len(y),
                                            minimum=MIN_UNITS))
    predicted = np.zeros_like(y)
    p_met = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups):
        if not _judged_both_ends(y[train]) or set(y[train].tolist()) != set(y.tolist()):
            raise UsageError(Errors.E042.format(rubric=f"{rubric_id} {rubric_version}", path=path_label,
                                                units=len(y), minimum=MIN_UNITS))
        predicted[test], p_met[test] = _predict(*_fit_pair(x[train], y[train]), x[test])
    dense = x[:, FEATURES.index("dense_max")]
    baseline = np.array([_STATUSES.index(status_for(float(s), mapping).value) for s in dense])
    f1 = float(f1_score(y, predicted, average="macro", labels=[0, 1, 2], zero_division=0))
    f1_base = float(f1_score(y, baseline, average="macro", labels=[0, 1, 2], zero_division=0))
    cv = CVMetrics(folds=FOLDS, accuracy=round(float((predicted == y).mean()), 4), macro_f1=round(f1, 4),
                   thresholds_accuracy=round(float((baseline == y).mean()), 4), thresholds_macro_f1=round(f1_base, 4),
                   brier_met=round(float(((p_met - (y == 2)) ** 2).mean()), 4), beats_thresholds=f1 > f1_base)
    mean, scale, weak, met = _fit_pair(x, y)
    return Calibration(
        rubric_id=rubric_id, rubric_version=rubric_version, rubric_hash=rubric.content_hash, features=names,
        mean=mean.round(6).tolist(), scale=scale.round(6).tolist(),
        at_least_weak=Logistic(coef=weak.coef_[0].round(6).tolist(), intercept=round(float(weak.intercept_[0]), 6)),
        met=Logistic(coef=met.coef_[0].round(6).tolist(), intercept=round(float(met.intercept_[0]), 6)),
        n=len(y), submissions=len(set(groups.tolist())), fitted_at=datetime.now(timezone.utc).replace(microsecond=0),
        source=source, cv=cv)


def save(cal: Calibration, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(cal.rubric_id, cal.rubric_version)
    path.write_text(cal.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path
