"""Shared and duplicate evidence across candidates (screening/duplicates.py), with the real model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from screening.duplicates import DuplicateIndex, EvidenceFile, indexable, make_record
from screening.passages import Passage
from screening.rubric import RubricCatalogue
from screening.settings import Settings

REPO = Path(__file__).resolve().parents[1]

MINE = ("In October our grade 4 team at Maple Grove met every Tuesday to sort exit tickets from the fractions unit, "
        "and Ms. Ortega's small groups moved from 41 to 68 percent mastery by the November common assessment.")
PARAPHRASE = ("Our grade 4 team at Maple Grove met each Tuesday in October to sort exit tickets from the fractions "
              "unit, and Ms. Ortega's small groups went from 41 to 68 percent mastery by the November common assessment.")
OWN_WORDS = ("Our sixth grade science teachers began bringing lab notebooks to Thursday planning, and after three "
             "cycles the eighth graders wrote sharper claims, so the department now plans its investigations together.")
TEMPLATE = ("This portfolio follows the program's submission guide: each guiding question is answered in the "
            "narrative, every artifact is listed with its page, and the reflection ends with a plan for sharing.")


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"), rubric_dirs=[REPO / "rubrics"])


@pytest.fixture(scope="module")
def rubric(settings):
    return RubricCatalogue(settings.rubric_dirs).get("mo-il-professional-learning")


def _passage(text: str, file: str, n: int = 1) -> Passage:
    return Passage(id=hashlib.sha1(f"{file}{text}".encode()).hexdigest()[:12], file=file,
                   file_sha256=hashlib.sha256(file.encode()).hexdigest(), part="narrative", page=None,
                   char_start=0, char_end=len(text), text=text, words=len(text.split()), paragraph=n)


def _record(settings, rubric, key: str, owner: str, texts: list[str], files: list[EvidenceFile] = ()):
    from screening.embedding import get_embedder

    passages = indexable([_passage(t, f"{key}.txt", i + 1) for i, t in enumerate(texts)], settings.duplicates, rubric)
    vecs = get_embedder(settings).encode([p.text for p in passages]) if passages else np.zeros((0, 384), np.float32)
    return make_record(key, owner, files, passages, vecs)


def _file(name: str, content: bytes) -> EvidenceFile:
    return EvidenceFile(name=name, sha256=hashlib.sha256(content).hexdigest(), part="portfolio")


def test_the_same_file_in_another_candidates_submission_is_found_but_not_in_their_own(settings, rubric):
    index = DuplicateIndex()
    team = _file("minutes.pdf", b"team minutes")
    index.add(_record(settings, rubric, "a1", "alice", [OWN_WORDS], [team]))
    index.add(_record(settings, rubric, "a0", "bob", [], [_file("old.pdf", b"team minutes")]))  # bob's own earlier one
    found = index.check(_record(settings, rubric, "b1", "bob", [], [_file("plc.pdf", b"team minutes")]), settings.duplicates)
    assert [(m.kind, m.other, m.there_file.name) for m in found] == [("artifact", "a1", "minutes.pdf")]


def test_a_light_paraphrase_is_found_with_both_places(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [OWN_WORDS, MINE]))
    found = index.check(_record(settings, rubric, "b1", "bob", [PARAPHRASE]), settings.duplicates, rubric)
    assert len(found) == 1
    m = found[0]
    assert (m.kind, m.other) == ("passage", "a1")
    assert m.here.text == PARAPHRASE and m.there.text == MINE
    assert m.there.place == "paragraph 2"


def test_own_words_about_the_same_work_are_not_a_duplicate(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [MINE]))
    other = ("Every Tuesday in the fall, the fourth-grade teachers looked at student work on fractions together; "
             "by the winter benchmark more of Mr. Lee's students could compare fractions with unlike denominators.")
    assert index.check(_record(settings, rubric, "b1", "bob", [other]), settings.duplicates, rubric) == []


def test_template_wording_shared_by_many_and_rubric_text_are_ignored(settings, rubric):
    index = DuplicateIndex()
    for i in range(4):
        index.add(_record(settings, rubric, f"s{i}", f"owner{i}", [TEMPLATE]))
    assert index.check(_record(settings, rubric, "new", "me", [TEMPLATE]), settings.duplicates, rubric) == []
    # shared by one other candidate only, the same paragraph is reported
    small = DuplicateIndex()
    small.add(_record(settings, rubric, "s0", "owner0", [TEMPLATE]))
    assert [m.kind for m in small.check(_record(settings, rubric, "new", "me", [TEMPLATE]), settings.duplicates, rubric)] == ["passage"]
    # a detail's own wording is rubric echo: never indexed
    detail = next(d.text for _, d in rubric.details() if len(d.text.split()) >= 12)
    assert indexable([_passage(detail, "x.txt")], settings.duplicates, rubric) == []


def test_removing_a_record_drops_its_matches(settings, rubric):
    index = DuplicateIndex()
    index.add(_record(settings, rubric, "a1", "alice", [MINE], [_file("m.pdf", b"x")]))
    probe = _record(settings, rubric, "b1", "bob", [PARAPHRASE], [_file("n.pdf", b"x")])
    assert len(index.check(probe, settings.duplicates, rubric)) == 2
    index.remove("a1")
    assert index.check(probe, settings.duplicates, rubric) == [] and len(index) == 0


# --- the two-stage check (prefilter) finds exactly what the exact product finds ----------------------

# Sentence vectors vary along few directions: most of each vector lies in a 24-dimension subspace,
# so a 32-dimension projection bounds their cosines tightly (a bound too low would show).
_SUBSPACE = np.linalg.qr(np.random.default_rng(11).standard_normal((96, 24)))[0].astype(np.float32)


def _unit(rng, n: int, dim: int = 96) -> np.ndarray:
    v = rng.standard_normal((n, 24)).astype(np.float32) @ _SUBSPACE.T * 0.3 \
        + 0.02 * rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _near(rng, v: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector at about ``cosine`` to ``v``, moved within the subspace."""
    noise = _SUBSPACE @ rng.standard_normal(24).astype(np.float32)
    noise -= (noise @ v) * v
    noise /= np.linalg.norm(noise)
    return cosine * v + np.sqrt(1 - cosine**2) * noise


def _words(rng, n: int = 14) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    return " ".join("zo" + "".join(letters[int(d)] for d in rng.integers(0, 20, size=4)) for _ in range(n))


def _synthetic(rng, keys: list[str], owners: list[str], texts: list[list[str]], vectors: list[np.ndarray]):
    out = []
    for key, owner, ts, vs in zip(keys, owners, texts, vectors):
        out.append(make_record(key, owner, [], [_passage(t, f"{key}-{i}.txt", i + 1) for i, t in enumerate(ts)], vs))
    return out


def _found(index, probe, cfg):
    return [(m.kind, m.other, m.here_index, m.there_index, m.score) for m in index.check(probe, cfg)]


def test_the_two_stage_check_finds_the_same_matches_as_the_exact_product(settings):
    rng = np.random.default_rng(7)
    probe_texts = [_words(rng) for _ in range(30)]
    probe_vecs = _unit(rng, 30)
    keys, owners, texts, vecs = [], [], [], []
    for k in range(400):  # other candidates' own passages
        keys.append(f"s{k}"), owners.append(f"o{k}"), texts.append([_words(rng) for _ in range(15)])
        vecs.append(_unit(rng, 15))
    # copies and rewordings of the probe's passages at cosines either side of the threshold
    for j, cosine in enumerate([1.0, 0.99, 0.95, 0.9, 0.86, 0.84, 0.83, 0.825, 0.82, 0.815, 0.81, 0.8, 0.7]):
        keys.append(f"copy{j}"), owners.append(f"c{j}"), texts.append([probe_texts[j]])
        vecs.append(_near(rng, probe_vecs[j], cosine)[None, :])
    for j in range(3):  # template wording: the same passage in three other candidates' submissions
        keys.append(f"tmpl{j}"), owners.append(f"t{j}"), texts.append([probe_texts[20]])
        vecs.append(_near(rng, probe_vecs[20], 0.97)[None, :])
    index = DuplicateIndex(chunk_rows=1024)  # several chunks
    for rec in _synthetic(rng, keys, owners, texts, vecs):
        index.add(rec)
    probe = _synthetic(rng, ["me"], ["me"], [probe_texts], [probe_vecs])[0]
    exact_cfg = settings.duplicates.model_copy(update={"prefilter_dims": 0})
    two_cfg = settings.duplicates.model_copy(update={"prefilter_dims": 32, "prefilter_min_rows": 0})
    exact = _found(index, probe, exact_cfg)
    assert _found(index, probe, two_cfg) == exact
    found = {m[1] for m in exact}
    assert {"copy0", "copy1", "copy2", "copy3", "copy4", "copy5", "copy6", "copy7"} <= found  # cosine ≥ 0.825
    assert not found & {"copy9", "copy10", "copy11", "copy12", "tmpl0", "tmpl1", "tmpl2"}  # below, or template
    # a low threshold (a loose bound: most pairs checked exactly) agrees too
    low = {"passage_similarity": 0.25, "template_similarity": 0.25, "lexical_overlap": 0.0,
           "template_min_submissions": 1000, "max_matches": 100_000}
    loose = _found(index, probe, exact_cfg.model_copy(update=low))
    assert len(loose) > 100 and _found(index, probe, two_cfg.model_copy(update=low)) == loose


def test_records_added_or_removed_after_a_check_are_seen_by_the_next(settings):
    rng = np.random.default_rng(3)
    cfg = settings.duplicates.model_copy(update={"prefilter_dims": 32, "prefilter_min_rows": 0})
    index = DuplicateIndex(chunk_rows=1024)
    for rec in _synthetic(rng, [f"s{k}" for k in range(200)], [f"o{k}" for k in range(200)],
                          [[_words(rng) for _ in range(10)] for _ in range(200)], [_unit(rng, 10) for _ in range(200)]):
        index.add(rec)
    text, vec = _words(rng), _unit(rng, 1)
    probe = _synthetic(rng, ["me"], ["me"], [[text]], [vec])[0]
    assert index.check(probe, cfg) == []
    late = _synthetic(rng, ["late"], ["lee"], [[text]], [_near(rng, vec[0], 0.95)[None, :]])[0]
    index.add(late)
    assert [m.other for m in index.check(probe, cfg)] == ["late"]
    assert np.array_equal(index.record("late").vectors, late.vectors)  # held once, in the index's chunk
    for k in range(150):  # erasures: most rows dead, the index compacts itself
        index.remove(f"s{k}")
    assert [m.other for m in index.check(probe, cfg)] == ["late"]
    index.remove("late")
    assert index.check(probe, cfg) == [] and len(index) == 50 and index.passages == 500
