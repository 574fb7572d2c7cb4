"""The quality harness (bench/quality): criteria extraction, metrics, BM25 and a --quick run."""

from __future__ import annotations

import pytest

from bench.quality.cered import LABELS, Example, load_indicators
from bench.quality.evaluate import scores
from bench.quality.methods import BM25, Majority, aggregate
from tests.conftest import shared_data


def test_scores_accuracy_and_macro_f1_by_hand():
    gold = ["Feeling", "Feeling", "Other", "Other"]
    pred = ["Feeling", "Other", "Other", "Other"]
    s = scores(gold, pred)
    assert s["accuracy"] == pytest.approx(0.75)
    # Feeling: P 1, R 0.5 -> F1 2/3; Other: P 2/3, R 1 -> F1 0.8; the 7 absent categories count as 0
    assert s["f1_Feeling"] == pytest.approx(2 / 3)
    assert s["f1_Other"] == pytest.approx(0.8)
    assert s["macro_f1"] == pytest.approx((2 / 3 + 0.8) / len(LABELS))


def test_bm25_prefers_the_document_with_the_rarer_shared_word():
    bm = BM25(["I will try group work next time", "I felt nervous in the lesson", "the lesson was long"])
    s = bm.scores("next time I will")
    assert s.argmax() == 0 and s[2] == 0.0
    assert (bm.scores("nervous") > 0).sum() == 1


def test_aggregate_max_mean_top2_per_category():
    import numpy as np

    owner = np.array([0, 0, 0] + [1] + list(range(2, len(LABELS))))
    sims = np.zeros((1, len(owner)), dtype=np.float32)
    sims[0, :3] = [0.9, 0.3, 0.6]
    assert aggregate(sims, owner, "max")[0, 0] == pytest.approx(0.9)
    assert aggregate(sims, owner, "mean")[0, 0] == pytest.approx(0.6)
    assert aggregate(sims, owner, "top2")[0, 0] == pytest.approx(0.75)


def test_majority_reads_only_label_counts():
    m = Majority()
    m.fit([Example("a", "a", "Other"), Example("b", "b", "Other"), Example("c", "c", "Feeling")])
    assert m.predict([Example("x", "x", "Feeling")]) == ["Other"]


def test_indicator_file_covers_every_category_and_copies_no_dataset_sentence():
    indicators = load_indicators()
    assert set(indicators) == set(LABELS) and all(len(v) >= 3 for v in indicators.values())
    shared_data("cered", "train", "sentences.tsv")
    from bench.quality.cered import load_split

    norm = lambda s: " ".join(s.lower().split())  # noqa: E731
    dataset = {norm(e.sentence) for split in ("train", "val") for e in load_split(split)}
    assert not [s for v in indicators.values() for s in v if norm(s) in dataset]


def test_criteria_are_read_from_the_annotation_manual():
    shared_data("cered", "annotation_manual.pdf")
    from bench.quality.cered import load_criteria

    criteria = load_criteria()
    assert list(criteria) == list(LABELS)
    assert criteria["Feeling"].indicator == "The writer describes his or her feelings"
    assert "I will approach pupils with special needs more individually." in criteria["Intention"].examples
    # the boundary sentence naming another category is dropped from Reflection's statements
    assert not any("Perspective category" in s for s in criteria["Reflection"].statements())
    assert any("Perspective category" in s for s in criteria["Reflection"].statements(mention_filter=False))


@pytest.mark.models
def test_quick_run_measures_cered_and_the_mc_set(tmp_path, monkeypatch, capsys):
    shared_data("cered", "val", "sentences.tsv")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from bench.quality import runs
    from screening.embedding import get_embedder
    from screening.settings import Settings

    settings = Settings()
    embedder = get_embedder(settings)
    results, info = runs.run_cered(settings, embedder, quick=True)
    assert info["train"] == 102 and info["val"] == 43
    by_name = {r.method: r for r in results}
    majority = by_name["majority class (train)"]
    assert majority.metrics["f1_Other"] > 0 and majority.metrics["f1_Feeling"] == 0
    for r in results:
        assert 0 <= r.metrics["accuracy"] <= 1 and 0 <= r.metrics["macro_f1"] <= 1
        assert r.dataset == "CEReD val" and r.model == embedder.model_key and r.commit
    mc, _ = runs.run_mc(settings, embedder, quick=True)
    default = mc[0]
    from bench.mcset import load

    pl_echoes = sum(1 for p in load() if p.rubric == "mo-il-professional-learning" and p.label == "echo")
    assert default.metrics["echo_passages"] == pl_echoes and default.metrics["left_out_eos"] == 4
    plain = mc[-1]
    # without echo masking every planted echo restating a detail links to it
    assert plain.metrics["echo_counted_as_evidence"] > default.metrics["echo_counted_as_evidence"]
