"""Precision and recall of the rubric-echo check on the labelled passage set.

Data: ``bench/data/mc_passages.yaml`` (docs/labelled-set.md): passages for the four Missouri MCs
labelled ``echo`` (restates the rubric, no particulars), ``vocab_evidence`` (genuine evidence
that reuses the rubric's wording: the hard negatives), ``evidence`` and ``nothing``. Positives
are the ``echo`` passages.

The echo check (``screening.echo``, default ``settings.echo``) is compared in the same run with
baselines that judge by one signal only:
- *similarity only*: the passage's best cosine similarity to any detail's own wording at or above
  a threshold (what a pure embedding approach would do);
- *shared wording only*: the echo check's word/phrase shares without the particulars test;
- *no particulars only*: any passage that names no particulars.

Results are given for all four rubrics, and separately for the two rubrics whose passages were
looked at while choosing the defaults (professional learning, instructional practice: "dev")
and the two that were not (assessment, curriculum: "held out").

Run: ``python -m bench.echo [--no-write]``.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from screening.echo import RubricWording, assess_texts
from screening.embedding import get_embedder
from screening.models import spacy_entity_pipeline
from screening.rubric import RubricCatalogue
from screening.settings import EchoSettings, Settings

from .mcset import load
from .results import PR_HEADER, append_section, pr_row

DEV = {"mo-il-professional-learning", "mo-il-instructional-practice"}


@dataclass
class Scored:
    rubric: str
    label: str
    style: str | None
    echo: bool  # the check's verdict
    echo_any_length: bool  # the verdict with shared words counting at any length (before 2026-11-24)
    word_share: float
    phrase_share: float
    particulars: int
    similarity: float


def score(settings: Settings) -> list[Scored]:
    passages = load()
    catalogue = RubricCatalogue(settings.rubric_dirs)
    nlp = spacy_entity_pipeline(settings.models)
    embedder = get_embedder(settings)
    out: list[Scored] = []
    by_rubric: dict[str, list] = defaultdict(list)
    for p in passages:
        by_rubric[p.rubric].append(p)
    everything = EchoSettings(min_word_share=0.0, min_phrase_share=0.0, max_particulars=10**6)
    for rubric_id, items in sorted(by_rubric.items()):
        rubric = catalogue.get(rubric_id)
        texts = [p.text for p in items]
        wording = RubricWording.of(rubric)
        verdicts = assess_texts(texts, rubric, nlp, settings.echo, wording)
        any_length = assess_texts(texts, rubric, nlp, settings.echo.model_copy(update={"shared_words_from": 1}), wording)
        signals = assess_texts(texts, rubric, nlp, everything, wording)  # particulars for every passage
        details = embedder.encode([d.text for _, d in rubric.details()])
        sims = embedder.encode(texts) @ details.T
        for p, v, a, s, sim in zip(items, verdicts, any_length, signals, sims.max(axis=1)):
            out.append(Scored(rubric_id, p.label, p.style, v.is_echo, a.is_echo, s.word_share, s.phrase_share,
                              len(s.particulars), float(sim)))
    return out


def _counts(rows: list[Scored], predicted) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    tp = sum(1 for r in rows if predicted(r) and r.label == "echo")
    fp = sum(1 for r in rows if predicted(r) and r.label != "echo")
    fn = sum(1 for r in rows if not predicted(r) and r.label == "echo")
    return tp, fp, fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = ap.parse_args()
    settings = Settings()
    rows = score(settings)
    cfg = settings.echo
    shared = lambda r: r.word_share >= cfg.min_word_share or r.phrase_share >= cfg.min_phrase_share  # noqa: E731
    methods = {
        "echo check (default settings)": lambda r: r.echo,
        "echo check, shared words counting at any length (before 2026-11-24)": lambda r: r.echo_any_length,
        "baseline: similarity ≥ 0.60 only": lambda r: r.similarity >= 0.60,
        "baseline: similarity ≥ 0.70 only": lambda r: r.similarity >= 0.70,
        "baseline: shared wording only": shared,
        "baseline: no particulars only": lambda r: r.particulars == 0,
    }
    labels = Counter(r.label for r in rows)
    lines = [
        f"Passages: {len(rows)} ({', '.join(f'{n} {k}' for k, n in sorted(labels.items()))}) in 4 rubrics; "
        f"settings: echo {cfg.model_dump()}.",
        "",
    ]
    for split, keep in (("all rubrics", lambda r: True), ("dev (PL, IP)", lambda r: r.rubric in DEV),
                        ("held out (assessment, curriculum)", lambda r: r.rubric not in DEV)):
        subset = [r for r in rows if keep(r)]
        lines += [f"**{split}** ({len(subset)} passages, {sum(r.label == 'echo' for r in subset)} echo)", "",
                  *PR_HEADER]
        lines += [pr_row(name, *_counts(subset, fn)) for name, fn in methods.items()]
        lines.append("")
    flagged = Counter(r.label for r in rows if r.echo and r.label != "echo")
    negatives = Counter(r.label for r in rows if r.label != "echo")
    lines.append("Echo check, passages flagged by label: " + ", ".join(
        f"{lab} {flagged.get(lab, 0)}/{n}" for lab, n in sorted(negatives.items())) + ".")
    styles = Counter(r.style for r in rows if r.label == "echo")
    caught = Counter(r.style for r in rows if r.label == "echo" and r.echo)
    lines.append("Echo recall by style: " + ", ".join(
        f"{s} {caught.get(s, 0)}/{n}" for s, n in sorted(styles.items(), key=lambda x: str(x[0]))) + ".")
    sim = {lab: np.median([r.similarity for r in rows if r.label == lab]) for lab in sorted(labels)}
    lines.append("Median best similarity to a detail's wording: " + ", ".join(f"{k} {v:.2f}" for k, v in sim.items())
                 + " (why similarity alone cannot tell echo from evidence).")
    print("\n".join(lines))
    if not args.no_write:
        append_section("Rubric echo: precision and recall on the labelled passage set", lines)


if __name__ == "__main__":
    main()
