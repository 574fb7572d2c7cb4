"""Would a calibration beat the thresholds on real labelled text? Measured on the labelled MC set.

``python -m bench.calibration`` builds synthetic submissions from ``bench/data/mc_passages.yaml``
(per rubric: all its passages, each EO left out in turn, and random halves), computes the
mapping's calibration features (screening/calibration.py) for every (submission, detail), and
compares, **leaving one rubric out** (fit on three rubrics, test on the fourth, so no passage is on
both sides), a logistic regression on the features against the thresholds for the one question
the set's labels answer: is the detail evidenced (a kept passage is labelled with it) or not.
The set has no "weak" labels, so this is binary: thresholds say evidenced when the status is met
or weak. Appends to bench/RESULTS.md unless --no-record.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from screening.calibration import FEATURES, mapping_features
from screening.echo import find_echoes
from screening.mapping import Status, evidence_from_scores, score_matrices

from .mcset import load
from .quality.mcmap import _as_passages
from .results import append_section


def _units(settings, embedder, sentencize, load_ner, halves: int, seed: int):  # type: ignore[no-untyped-def]
    from screening.rubric import RubricCatalogue

    catalogue = RubricCatalogue(settings.rubric_dirs)
    by_rubric = defaultdict(list)
    for p in load():
        by_rubric[p.rubric].append(p)
    rng = np.random.default_rng(seed)
    rows = []  # (rubric, features, label, thresholds_evidenced)
    for rid, items in sorted(by_rubric.items()):
        rubric = catalogue.get(rid)
        passages = _as_passages(items, sentencize)
        scores, raw = score_matrices(rubric, passages, embedder, settings.mapping)
        echoes = find_echoes(passages, rubric, load_ner, settings.echo)
        if echoes:
            masked = np.array([p.id in {e.passage.id for e in echoes} for p in passages])
            scores, raw = scores.copy(), raw.copy()
            scores[masked], raw[masked] = -1.0, -1.0
        eo_of = {d.id: eo.id for eo, d in rubric.details()}
        subsets = [list(range(len(items)))]
        subsets += [[i for i, p in enumerate(items) if not any(eo_of[d] == eo for d in p.details)]
                    for eo in dict.fromkeys(eo_of.values())]
        subsets += [sorted(rng.choice(len(items), len(items) // 2, replace=False).tolist()) for _ in range(halves)]
        for keep in subsets:
            sub = [passages[i] for i in keep]
            found = evidence_from_scores(rubric, sub, scores[keep], settings.mapping)
            feats = mapping_features(rubric, sub, scores[keep], raw[keep], settings.mapping)
            present = {d for i in keep for d in items[i].details}
            for ev, f in zip(found, feats):
                rows.append((rid, [f[k] for k in FEATURES], ev.detail_id in present, ev.status != Status.MISSING))
    return rows


def _f1(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    def f1(p: np.ndarray, g: np.ndarray) -> float:
        tp = float((p & g).sum())
        return 2 * tp / (p.sum() + g.sum()) if p.sum() + g.sum() else 0.0

    return f1(pred, gold), (f1(pred, gold) + f1(~pred, ~gold)) / 2


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from screening.embedding import get_embedder
    from screening.models import spacy_entity_pipeline, spacy_pipeline
    from screening.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--halves", type=int, default=20, help="random half-submissions per rubric")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    settings = Settings()
    embedder = get_embedder(settings)
    nlp = spacy_pipeline(settings.models)

    def sentencize(texts: list[str]) -> list[tuple[str, ...]]:
        return [tuple(s.text.strip() for s in doc.sents if s.text.strip()) for doc in nlp.pipe(texts)]

    rows = _units(settings, embedder, sentencize, lambda: spacy_entity_pipeline(settings.models), args.halves, args.seed)
    rubric = np.array([r[0] for r in rows])
    x = np.array([r[1] for r in rows], dtype=float)
    gold = np.array([r[2] for r in rows])
    base = np.array([r[3] for r in rows])
    pred = np.zeros_like(gold)
    for held in sorted(set(rubric.tolist())):
        train, test = rubric != held, rubric == held
        mean, scale = x[train].mean(0), np.where(x[train].std(0) > 0, x[train].std(0), 1)
        model = LogisticRegression(max_iter=1000).fit((x[train] - mean) / scale, gold[train])
        pred[test] = model.predict((x[test] - mean) / scale).astype(bool)
    f_cal, m_cal = _f1(pred, gold)
    f_base, m_base = _f1(base, gold)
    lines = [
        f"Command: `python -m bench.calibration --halves {args.halves} --seed {args.seed}`. {len(rows)} (submission, detail) "
        f"units from {len(set(rubric.tolist()))} rubrics ({int(gold.sum())} evidenced); model {embedder.model_key}; "
        f"thresholds weak {settings.mapping.weak_threshold}, met {settings.mapping.met_threshold}; leave-one-rubric-out.",
        "",
        "| Method | Accuracy | F1 evidenced | Macro-F1 |",
        "|---|---:|---:|---:|",
        f"| thresholds (met or weak = evidenced) | {(base == gold).mean():.3f} | {f_base:.3f} | {m_base:.3f} |",
        f"| logistic on {', '.join(FEATURES)} | {(pred == gold).mean():.3f} | {f_cal:.3f} | {m_cal:.3f} |",
        "",
        "Units share passages within a rubric (the submissions are subsets of one rubric's passages), so they are not "
        "independent; folds never share a rubric. Binary only: the set has no 'weak' labels.",
    ]
    print("\n".join(lines))
    if not args.no_record:
        append_section("Calibration features on the labelled MC set: logistic against thresholds", lines)


if __name__ == "__main__":
    main()
