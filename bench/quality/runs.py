"""Which methods and configurations the harness measures (full and ``--quick``)."""

from __future__ import annotations

from typing import Any

from screening.settings import Settings

from .cered import load_criteria, load_split
from .evaluate import CeredEvaluator
from .mcmap import MCMappingEvaluator, default_configs
from .methods import Calibrated, Majority, ZeroShot
from .record import Result


def cered_methods(encode, criteria, quick: bool) -> list[Any]:  # type: ignore[no-untyped-def]
    z = lambda name, **kw: ZeroShot(name, encode, criteria, **kw)  # noqa: E731
    c = lambda name, **kw: Calibrated(name, encode, **kw)  # noqa: E731
    if quick:
        return [Majority(), z("TF-IDF cosine to the whole criterion", signal="tfidf", criterion="full"),
                z("MiniLM statements, max, z-normalised", agg="max", normalise=True),
                c("LR on MiniLM (sentence)")]
    return [
        Majority(),
        # baselines: one criterion text per category
        z("TF-IDF cosine to the whole criterion", signal="tfidf", criterion="full"),
        z("BM25 to the whole criterion", signal="bm25", criterion="full"),
        z("MiniLM cosine to the whole criterion", signal="dense", criterion="full"),
        # criteria split into statements (indicator, description sentences, examples)
        z("MiniLM statements, max", agg="max"),
        z("MiniLM statements, mean", agg="mean"),
        z("MiniLM statements, top-2 mean", agg="top2"),
        z("MiniLM statements, max, boundary sentences kept", agg="max", mention_filter=False),
        # per-criterion normalisation (prior correction without labels)
        z("MiniLM whole criterion, z-normalised", criterion="full", normalise=True),
        z("MiniLM statements, max, z-normalised", agg="max", normalise=True),
        z("MiniLM statements, mean, z-normalised", agg="mean", normalise=True),
        z("MiniLM statements, top-2 mean, z-normalised", agg="top2", normalise=True),
        z("TF-IDF statements, max, z-normalised", signal="tfidf", agg="max", normalise=True),
        z("BM25 statements, max, z-normalised", signal="bm25", agg="max", normalise=True),
        # dense + lexical fusion; context windows
        z("fusion MiniLM + BM25 statements, max, z", signal="fusion", agg="max", normalise=True),
        z("fusion MiniLM + BM25 statements, mean, z", signal="fusion", agg="mean", normalise=True),
        z("MiniLM statements, max, z, + context window", agg="max", normalise=True, context_weight=0.5),
        z("MiniLM statements, mean, z, + context window", agg="mean", normalise=True, context_weight=0.5),
        # calibrated on the training labels
        c("LR on TF-IDF 1-2-grams", features=("tfidf",), C=10.0),
        c("LR on MiniLM (sentence)", C=10.0),
        c("LR on MiniLM (sentence), balanced", C=10.0, balanced=True),
        c("LR on MiniLM (sentence + context)", features=("sentence", "context"), C=10.0),
        c("LR on MiniLM (sentence + context) + TF-IDF", features=("sentence", "context", "tfidf"), C=10.0),
    ]


def run_cered(settings: Settings, embedder, quick: bool = False, finetune_epochs: float = 0.0):  # type: ignore[no-untyped-def]
    train, val = load_split("train"), load_split("val")
    if quick:  # every 30th training sentence, every 4th val sentence: a smoke run, not a measurement
        train, val = train[::30], val[::4]
    criteria = load_criteria()
    evaluator = CeredEvaluator(train, val, embedder.model_key)
    results: list[Result] = []
    for method in cered_methods(embedder.encode, criteria, quick):
        results.append(evaluator(method))
        r = results[-1]
        print(f"  {r.method}: accuracy {r.metrics['accuracy']:.3f}, macro-F1 {r.metrics['macro_f1']:.3f}", flush=True)
    if finetune_epochs > 0:
        from .finetune import FineTuned

        for context in (False, True):
            ft = FineTuned(f"fine-tuned MiniLM ({'sentence + context' if context else 'sentence'}), "
                           f"{finetune_epochs:g} epoch(s)", settings, epochs=finetune_epochs, context=context)
            results.append(evaluator(ft))
    info = {"train": len(train), "val": len(val), "criteria": {k: len(v.statements()) for k, v in criteria.items()},
            "model": embedder.model_key}
    return results, info


def run_mc(settings: Settings, embedder, quick: bool = False):  # type: ignore[no-untyped-def]
    from screening.models import spacy_entity_pipeline, spacy_pipeline

    nlp = spacy_pipeline(settings.models)

    def sentencize(texts: list[str]) -> list[tuple[str, ...]]:
        return [tuple(s.text.strip() for s in doc.sents if s.text.strip()) for doc in nlp.pipe(texts)]

    rubrics = ["mo-il-professional-learning"] if quick else None
    evaluator = MCMappingEvaluator(settings, embedder, sentencize, lambda: spacy_entity_pipeline(settings.models), rubrics)
    configs = default_configs()[::2] if quick else default_configs()
    results = [evaluator(cfg) for cfg in configs]
    info = {"passages": sum(len(items) for _, items, _ in evaluator.sets),
            "rubrics": [r.id for r, _, _ in evaluator.sets], "model": embedder.model_key,
            "weak_threshold": settings.mapping.weak_threshold, "met_threshold": settings.mapping.met_threshold}
    return results, info
