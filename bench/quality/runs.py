"""Which methods and configurations the harness measures (full and ``--quick``)."""

from __future__ import annotations

from typing import Any

from screening.settings import Settings

from .cered import load_criteria, load_split
from .evaluate import CeredEvaluator
from .mcmap import MCMappingEvaluator, default_configs
from .methods import Calibrated, LogitAdjusted, Majority, PriorAdjusted, SelfTrained, ZeroShot, ZeroShotEM
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
        # the manual's criteria split into statements (indicator, description sentences, examples)
        z("MiniLM manual statements, max", agg="max"),
        z("MiniLM manual statements, mean", agg="mean"),
        z("MiniLM manual statements, top-2 mean", agg="top2"),
        z("MiniLM manual statements, max, boundary sentences kept", agg="max", mention_filter=False),
        # per-criterion normalisation (prior correction without labels), centring
        z("MiniLM whole criterion, z-normalised", criterion="full", normalise=True),
        z("MiniLM manual statements, max, z", agg="max", normalise=True),
        z("MiniLM manual statements, mean, z", agg="mean", normalise=True),
        z("MiniLM manual statements, top-2 mean, z", agg="top2", normalise=True),
        z("MiniLM manual statements, mean, z, centred", agg="mean", normalise=True, center=True),
        z("TF-IDF manual statements, max, z", signal="tfidf", agg="max", normalise=True),
        z("BM25 manual statements, max, z", signal="bm25", agg="max", normalise=True),
        z("fusion MiniLM + BM25 manual statements, max, z", signal="fusion", agg="max", normalise=True),
        z("fusion MiniLM + BM25 manual statements, mean, z", signal="fusion", agg="mean", normalise=True),
        # condensed indicator statements (bench/data/cered_indicators.yaml)
        z("MiniLM indicators, max", criterion="indicators", agg="max"),
        z("MiniLM indicators, top-2 mean", criterion="indicators", agg="top2"),
        z("MiniLM indicators, mean, z", criterion="indicators", agg="mean", normalise=True),
        z("MiniLM indicators, top-2 mean, z", criterion="indicators", agg="top2", normalise=True),
        z("MiniLM indicators, mean, z, centred", criterion="indicators", agg="mean", normalise=True, center=True),
        z("MiniLM manual + indicators, mean, z", criterion="both", agg="mean", normalise=True),
        z("MiniLM manual + indicators, mean, z, centred", criterion="both", agg="mean", normalise=True, center=True),
        z("fusion MiniLM + BM25 indicators, top-2 mean, z", signal="fusion", criterion="indicators", agg="top2",
          normalise=True),
        z("fusion MiniLM + BM25 manual + indicators, mean, z", signal="fusion", criterion="both", agg="mean",
          normalise=True),
        # context windows (CEReD's `context` column: the sentences around the sentence)
        z("MiniLM manual statements, mean, z, + context window", agg="mean", normalise=True, context_weight=0.5),
        z("MiniLM indicators, top-2 mean, z, + context window", criterion="indicators", agg="top2", normalise=True,
          context_weight=0.5),
        # calibrated on the training labels (C = 10 throughout, not tuned on val)
        c("LR on TF-IDF 1-2-grams", features=("tfidf",), C=10.0),
        c("LR on MiniLM (sentence)", C=10.0),
        c("LR on MiniLM (sentence), balanced", C=10.0, balanced=True),
        c("LR on MiniLM (sentence + context)", features=("sentence", "context"), C=10.0),
        c("LR on MiniLM (sentence + context), balanced", features=("sentence", "context"), C=10.0, balanced=True),
        c("LR on MiniLM (sentence) + TF-IDF", features=("sentence", "tfidf"), C=10.0),
        c("LR on MiniLM (sentence + context) + TF-IDF", features=("sentence", "context", "tfidf"), C=10.0),
        # prior corrections for macro-F1, fitted on train only (issue 8, 2026-11-24)
        PriorAdjusted("LR on MiniLM (sentence), prior-adjusted", c("", C=10.0)),
        PriorAdjusted("LR on MiniLM (sentence + context), prior-adjusted", c("", features=("sentence", "context"), C=10.0)),
        PriorAdjusted("LR on MiniLM (sentence + context) + TF-IDF, prior-adjusted",
                      c("", features=("sentence", "context", "tfidf"), C=10.0)),
        LogitAdjusted("LR on MiniLM (sentence + context) + TF-IDF, logit-adjusted τ=1",
                      c("", features=("sentence", "context", "tfidf"), C=10.0)),
        LogitAdjusted("LR on MiniLM (sentence + context) + TF-IDF, logit-adjusted τ=0.5",
                      c("", features=("sentence", "context", "tfidf"), C=10.0), tau=0.5),
        # zero-shot: EM prior re-estimation on the unlabeled sentences, and self-training
        ZeroShotEM("fusion MiniLM + BM25 indicators, top-2 mean, z, EM priors (T=0.5)",
                   z("", signal="fusion", criterion="indicators", agg="top2", normalise=True), temperature=0.5),
        ZeroShotEM("fusion MiniLM + BM25 indicators, top-2 mean, z, EM priors (T=1)",
                   z("", signal="fusion", criterion="indicators", agg="top2", normalise=True), temperature=1.0),
        SelfTrained("self-trained LR on fusion indicators' 100 surest per category (sentence + context)",
                    z("", signal="fusion", criterion="indicators", agg="top2", normalise=True), encode,
                    per_class=100, features=("sentence", "context")),
    ]


def run_cered(settings: Settings, embedder, quick: bool = False, finetune_epochs: float = 0.0,  # type: ignore[no-untyped-def]
              only_finetune: bool = False, finetune_context: bool = False, finetune_class_weight: float = 0.0):
    train, val = load_split("train"), load_split("val")
    if quick:  # every 60th training sentence, every 8th val sentence: a smoke run, not a measurement
        train, val = train[::60], val[::8]
    criteria = load_criteria()
    evaluator = CeredEvaluator(train, val, embedder.model_key)
    results: list[Result] = []
    for method in [] if only_finetune else cered_methods(embedder.encode, criteria, quick):
        results.append(evaluator(method))
        r = results[-1]
        print(f"  {r.method}: accuracy {r.metrics['accuracy']:.3f}, macro-F1 {r.metrics['macro_f1']:.3f}", flush=True)
    if finetune_epochs > 0:
        from .finetune import FineTuned

        # with the context window (a sentence pair) each step costs 2-3x: longer inputs
        what = "sentence + context" if finetune_context else "sentence"
        weighted = f", class-weighted loss (power {finetune_class_weight:g})" if finetune_class_weight else ""
        ft = FineTuned(f"fine-tuned MiniLM ({what}), {finetune_epochs:g} epoch(s){weighted}", settings,
                       epochs=finetune_epochs, context=finetune_context, max_len=128 if finetune_context else 64,
                       class_weight_power=finetune_class_weight)
        results.append(evaluator(ft))
        results[-1].note = f"{len(ft.log) and ft.log[-1]}"
        # the same fitted model read with logit adjustment (no second run)
        results.append(evaluator(LogitAdjusted(f"{ft.name}, logit-adjusted τ=1", ft, refit=False)))
        results[-1].note, results[-1].fit_s = "same model as the row above", 0.0
    from collections import Counter

    info = {"train": len(train), "val": len(val),
            "val_support": dict(Counter(e.label for e in val).most_common()), "criteria": {k: len(v.statements()) for k, v in criteria.items()},
            "model": embedder.model_key}
    return results, info


def run_mc(settings: Settings, embedder, quick: bool = False):  # type: ignore[no-untyped-def]
    from screening.models import spacy_entity_pipeline, spacy_pipeline

    def sentencizer(splitter: str):  # type: ignore[no-untyped-def]
        nlp = spacy_pipeline(settings.models.model_copy(update={"sentence_splitter": splitter}))
        return lambda texts: [tuple(s.text.strip() for s in doc.sents if s.text.strip()) for doc in nlp.pipe(texts)]

    rubrics = ["mo-il-professional-learning"] if quick else None
    load_ner = lambda: spacy_entity_pipeline(settings.models)  # noqa: E731
    evaluator = MCMappingEvaluator(settings, embedder, sentencizer(settings.models.sentence_splitter), load_ner, rubrics)
    configs = default_configs()
    if quick:  # the default and the plain-cosine baseline
        configs = [configs[0], configs[-1]]
    results = [evaluator(cfg) for cfg in configs]
    if not quick:  # the default mapping on the other sentence splitter's sentences
        other = "senter" if settings.models.sentence_splitter == "rules" else "rules"
        other_eval = MCMappingEvaluator(settings, embedder, sentencizer(other), load_ner, rubrics)
        row = other_eval(configs[0])
        row.method = f"{configs[0].name}, sentences from models.sentence_splitter={other}" + (
            " (the default before 2026-11-24)" if other == "senter" else "")
        row.settings = {**row.settings, "sentence_splitter": other}
        results.insert(1, row)
    info = {"passages": sum(len(items) for _, items, _ in evaluator.sets),
            "rubrics": [r.id for r, _, _ in evaluator.sets], "model": embedder.model_key,
            "weak_threshold": settings.mapping.weak_threshold, "met_threshold": settings.mapping.met_threshold}
    return results, info
