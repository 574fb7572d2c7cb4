"""Calibration: fitted on judged pilot data, stored as JSON, used only for its own rubric version."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from screening.calibration import (
    FEATURES, OPTIONAL_FEATURES, Calibration, apply, calibration_for, fit_calibration, load, mapping_features, save,
)
from screening.errors import UsageError
from screening.mapping import DetailEvidence, Match, Status
from screening.passages import Passage
from screening.pilot.generate import PilotSpec, generate
from screening.pilot.build import pilot_rubric
from screening.pilot.model import Judgment, PilotData, PilotDetail, PilotSubmission
from screening.report.render import to_markdown
from screening.settings import MappingSettings, Settings

from .conftest import REPO


@pytest.fixture(scope="module")
def fitted(pl_rubric) -> Calibration:
    data = generate(pl_rubric, PilotSpec.nothing_planted(submissions=120), seed=21).data
    return fit_calibration(data, pl_rubric, source="generated")


def _settings(tmp_path: Path, folder: Path, **calibration) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", rubric_dirs=[REPO / "rubrics"],
                    calibration={"dir": folder, **calibration})


def test_fit_reports_cross_validated_metrics_against_thresholds(fitted, pl_rubric) -> None:
    assert fitted.features == list(FEATURES) and fitted.rubric_hash == pl_rubric.content_hash
    assert fitted.n > 1000 and fitted.submissions > 100
    cv = fitted.cv
    assert 0 < cv.accuracy <= 1 and 0 < cv.thresholds_accuracy <= 1
    # In generated data the lexical and margin features carry signal the best score alone lacks.
    assert cv.beats_thresholds and cv.macro_f1 > cv.thresholds_macro_f1


def test_saved_as_plain_json_and_read_back(fitted, tmp_path: Path) -> None:
    path = save(fitted, tmp_path)
    assert path.name == "mo-il-professional-learning-2026.1.json"
    raw = json.loads(path.read_text())
    assert set(raw) >= {"rubric_id", "rubric_version", "rubric_hash", "features", "n", "fitted_at", "cv", "met"}
    assert load(path) == fitted
    path.write_text('{"format": "mc-calibration/1"}')
    with pytest.raises(UsageError, match=r"\[E045\]"):
        load(path)


def _passage(i: int, text: str) -> Passage:
    return Passage(id=f"p{i}", file="n.docx", file_sha256="0" * 64, part="narrative", page=None,
                   char_start=0, char_end=len(text), text=text, words=len(text.split()), paragraph=i + 1,
                   sentences=(text,))


def _evidence(features: dict[str, float], status: Status, with_passage: bool = True) -> DetailEvidence:
    p = _passage(1, "text") if with_passage else None
    match = Match(p, features["dense_max"]) if p else None
    shown = (match,) if match and features["dense_max"] >= 0.58 else ()
    return DetailEvidence(eo="1", detail_id="1.1", text="t", derived=False, status=status,
                          best_score=features["dense_max"], evidence=shown, closest=match, features=features)


def test_calibration_changes_statuses_as_its_features_say(fitted) -> None:
    # Just below the met threshold (thresholds: weak), but the passage is clearly about this detail
    # and shares its words: in the generated data such units are judged met.
    strong = {"dense_max": 0.615, "dense_margin": 0.06, "above_weak": 3.0, "lexical_max": 0.45}
    # Just above the met threshold (thresholds: met), but about another detail more and no shared words.
    thin = {"dense_max": 0.622, "dense_margin": -0.02, "above_weak": 1.0, "lexical_max": 0.05}
    nothing = {"dense_max": 0.45, "dense_margin": -0.05, "above_weak": 0.0, "lexical_max": 0.0}
    assert fitted.statuses(fitted.matrix([strong, thin, nothing])) == ["met", "weak", "missing"]
    out = apply([_evidence(strong, Status.WEAK), _evidence(thin, Status.MET), _evidence(nothing, Status.MISSING)], fitted)
    assert [e.status for e in out] == [Status.MET, Status.WEAK, Status.MISSING]
    # No passage at all: stays missing whatever the model says.
    assert apply([_evidence(strong, Status.MISSING, with_passage=False)], fitted)[0].status == Status.MISSING


def test_used_only_for_its_own_rubric_version_and_content(fitted, pl_rubric, tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    save(fitted, folder)
    cal, info = calibration_for(pl_rubric, _settings(tmp_path, folder))
    assert cal == fitted and info.method == "logistic" and info.file == "mo-il-professional-learning-2026.1.json"
    _, info = calibration_for(pl_rubric, _settings(tmp_path, folder, enabled=False))
    assert info.method == "thresholds" and "enabled is false" in info.reason
    # A calibration for another version of the rubric is not used, even when named for this one.
    other = fitted.model_copy(update={"rubric_version": "2025.1"})
    save(other, folder)  # written as ...-2025.1.json: not looked up for 2026.1
    (folder / "mo-il-professional-learning-2026.1.json").write_text(other.model_dump_json())
    cal, info = calibration_for(pl_rubric, _settings(tmp_path, folder))
    assert cal is None and info.method == "thresholds" and "other rubric content" in info.reason
    (folder / "mo-il-professional-learning-2026.1.json").unlink()
    cal, info = calibration_for(pl_rubric, _settings(tmp_path, folder))
    assert cal is None and "no calibration for mo-il-professional-learning 2026.1" in info.reason
    changed = fitted.model_copy(update={"rubric_hash": "sha256:0000"})
    save(changed, folder)
    assert calibration_for(pl_rubric, _settings(tmp_path, folder))[0] is None


def test_mapping_features_from_score_matrices(pl_rubric) -> None:
    n = len(pl_rubric.details())
    passages = [_passage(i, t) for i, t in enumerate([pl_rubric.details()[0][1].text,
                                                      "We bought new chairs for the staff room."])]
    raw = np.full((2, n), 0.3, dtype=np.float32)
    raw[0, 0], raw[0, 1] = 0.70, 0.60
    raw[1, 2] = 0.50  # the second passage is about detail 3: nothing competes for detail 2
    competed = np.where(raw >= raw.max(axis=1, keepdims=True) - 0.01, raw, -1.0).astype(np.float32)
    feats = mapping_features(pl_rubric, passages, competed, raw, MappingSettings())
    assert feats[0] == {"dense_max": 0.7, "dense_margin": pytest.approx(0.1, abs=1e-4), "above_weak": 1.0,
                        "lexical_max": 1.0, "raw_max": pytest.approx(0.7)}
    # Detail 2: no passage competes for it, so its best score is the best raw one (0.6, of the
    # passage that is about detail 1 by 0.1 more).
    assert feats[1]["dense_max"] == pytest.approx(0.6) and feats[1]["dense_margin"] == pytest.approx(-0.1, abs=1e-4)
    assert feats[1]["above_weak"] == 0.0 and feats[2]["dense_max"] == pytest.approx(0.5)
    # raw_max ignores competition: detail 2's best passage is the one about detail 1
    assert feats[1]["raw_max"] == pytest.approx(0.6)
    empty = mapping_features(pl_rubric, [], np.zeros((0, n)), np.zeros((0, n)), MappingSettings())
    assert len(empty) == n and empty[0]["above_weak"] == 0.0


@pytest.mark.models
def test_the_screener_uses_a_matching_calibration_and_says_so(fitted, pl_rubric, tmp_path: Path) -> None:
    from screening.pipeline import screen
    from screening.submission import from_folder

    folder = tmp_path / "cal"
    save(fitted, folder)
    sub = from_folder(REPO / "examples" / "professional-learning")
    plain = screen(sub, pl_rubric, _settings(tmp_path, tmp_path / "none")).report
    assert plain.calibration.method == "thresholds"
    assert all(set(d.features) == set(FEATURES) | set(OPTIONAL_FEATURES) for d in plain.details)
    calibrated = screen(sub, pl_rubric, _settings(tmp_path, folder)).report
    assert calibrated.calibration.method == "logistic" and calibrated.calibration.n == fitted.n
    expected = fitted.statuses(fitted.matrix([d.features for d in plain.details]))
    # A detail with no passage competing for it has nothing to point at: it stays missing.
    assert [d.status for d in calibrated.details] == [
        s if d.best_score is not None else "missing" for s, d in zip(expected, plain.details)]
    assert "calibration mo-il-professional-learning-2026.1.json" in to_markdown(calibrated)
    assert "thresholds" in to_markdown(plain)


def test_fit_refuses_a_rubric_the_data_do_not_hold(pl_rubric) -> None:
    data = generate(pl_rubric, seed=2).data
    with pytest.raises(UsageError, match=r"\[E044\].*mo-il-assessment 2026.1"):
        fit_calibration(data, "mo-il-assessment", "2026.1")


def test_present_or_absent_judgments_fit_and_old_pilot_data_fit_without_raw_max(pl_rubric) -> None:
    """A program that judges details only met or missing (short-answer key elements) gets a
    calibration; pilot data screened before raw_max existed are fitted on the four features."""
    rng = np.random.default_rng(0)
    rubric = pilot_rubric(pl_rubric, pl_rubric.content_hash)
    subs = []
    for k in range(30):
        details, ratings = [], {}
        for _, d in pl_rubric.details():
            met = bool(rng.random() < 0.5)
            score = (0.7 if met else 0.45) + rng.normal(0, 0.05)
            details.append(PilotDetail(detail_id=d.id, eo=d.id.split(".")[0], advisory_status="met",
                                       features={"dense_max": score, "dense_margin": 0.0, "above_weak": 1.0,
                                                 "lexical_max": 0.5, **({"raw_max": score} if k % 2 else {})}))
            ratings[d.id] = "met" if met else "missing"
        subs.append(PilotSubmission(ref=f"s{k}", rubric_id=pl_rubric.id, rubric_version=pl_rubric.version,
                                    details=details, judgments=[Judgment(assessor="a", details=ratings)]))
    cal = fit_calibration(PilotData(rubrics=[rubric], submissions=subs), pl_rubric)
    assert cal.features == list(FEATURES)  # half the units lack raw_max: fitted without it
    assert cal.statuses(cal.matrix([{"dense_max": 0.75, "dense_margin": 0, "above_weak": 1, "lexical_max": 0.5},
                                     {"dense_max": 0.40, "dense_margin": 0, "above_weak": 1, "lexical_max": 0.5}])) \
        == ["met", "missing"]
    for s in subs:
        for d in s.details:
            d.features.setdefault("raw_max", d.features["dense_max"])
    assert fit_calibration(PilotData(rubrics=[rubric], submissions=subs), pl_rubric).features == \
        list(FEATURES) + list(OPTIONAL_FEATURES)


def test_the_stop_word_list_is_scikit_learns():
    # written out so that screening does not import scikit-learn; a fitted calibration's lexical
    # feature depends on exactly these words
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from screening.stopwords import ENGLISH_STOP_WORDS as ours

    assert ours == ENGLISH_STOP_WORDS
