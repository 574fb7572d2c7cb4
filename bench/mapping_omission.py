"""How well the mapping separates evidenced details from absent ones, on the repo's labelled data.

Two datasets, both written for this project:
- ``tests/fixtures/pl_by_eo.yaml``: one narrative paragraph and one PDF page per EO; each of the
  four EOs is left out in turn, so its details are truly absent while the others are present.
- ``examples/professional-learning``: the full example submission, every detail evidenced, with
  an answer key of where.

For each mapping configuration it reports the highest score an absent detail reaches, the lowest
score a present detail reaches (the gap between them is what thresholds can use), and how often
the best evidence sits in the right place. Run: ``python -m bench.mapping_omission``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from screening.embedding import get_embedder
from screening.mapping import map_evidence
from screening.models import spacy_pipeline
from screening.passages import build_passages
from screening.pipeline import ingest_submission
from screening.rubric import RubricCatalogue
from screening.settings import MappingSettings, PassageSettings, Settings
from screening.submission import from_folder

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.fixtures.pl_by_eo import write_submission  # noqa: E402

EXAMPLE = REPO / "examples" / "professional-learning"
ANSWERS = REPO / "examples" / "professional-learning.answer-key.yaml"


@dataclass
class Config:
    name: str
    passages: PassageSettings
    mapping: MappingSettings
    splitter: str | None = None  # models.sentence_splitter; None: the default


CONFIGS = [
    Config("plain cosine, 4-sentence passages",
           PassageSettings(max_sentences=4, max_words=90), MappingSettings(competition_margin=None, sentence_scores=False)),
    Config("plain cosine, 2-sentence passages",
           PassageSettings(), MappingSettings(competition_margin=None, sentence_scores=False)),
    Config("competition 0.03, 2-sentence passages",
           PassageSettings(), MappingSettings(competition_margin=0.03, sentence_scores=False)),
    Config("competition 0.03 + sentence scores (default until bench.quality)", PassageSettings(),
           MappingSettings(competition_margin=0.03, sentence_min_words=1, sentence_top_details=None)),
    Config("competition 0.01 + sentence scores (default until 2026-11-24)", PassageSettings(),
           MappingSettings(competition_margin=0.01, sentence_min_words=1, sentence_top_details=None)),
    Config("competition 0.05 + sentence scores", PassageSettings(),
           MappingSettings(competition_margin=0.05, sentence_min_words=1, sentence_top_details=None)),
    Config("default: competition 0 + sentences of 6+ words, each for its passage's 3 best details", PassageSettings(),
           MappingSettings()),
    Config("default, a sentence for any detail (before 2026-11-24)", PassageSettings(),
           MappingSettings(sentence_top_details=None)),
    Config("default, a sentence only for its passage's best detail", PassageSettings(),
           MappingSettings(sentence_top_details=1)),
    Config("default, sentences from spaCy's senter (the default before 2026-11-24)", PassageSettings(),
           MappingSettings(), splitter="senter"),
    Config("competition 0 + sentences of 8+ words", PassageSettings(), MappingSettings(sentence_min_words=8)),
    Config("default + detail-text weight 0.1", PassageSettings(), MappingSettings(detail_text_weight=0.1)),
    Config("default + detail-text weight 0.2", PassageSettings(), MappingSettings(detail_text_weight=0.2)),
]


def _evidence_at(ev, key_entries, top: int = 1) -> bool:  # type: ignore[no-untyped-def]
    """True when one of the detail's ``top`` best passages is one of the answer key's places for
    it (same file and page; for page-less files, the key's phrase inside the passage)."""
    candidates = [m.passage for m in ev.evidence[:top]] or ([ev.closest.passage] if ev.closest else [])
    return any(_at(p, key_entries) for p in candidates)


def _at(best, key_entries) -> bool:  # type: ignore[no-untyped-def]
    for entry in key_entries:
        if entry["file"] != best.file:
            continue
        if entry.get("page") is not None and entry["page"] != best.page:
            continue
        if entry.get("page") is None and entry["contains"].lower() not in best.text.lower():
            continue
        return True
    return False


def main() -> None:
    lines: list[str] = []

    def emit(text: str = "") -> None:
        print(text)
        lines.append(text)

    _run(emit)
    if "--no-write" not in sys.argv:
        import subprocess
        from datetime import datetime, timezone

        from .results import commit as current_commit

        commit = current_commit()
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with (REPO / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(f"\n## Mapping: absent vs evidenced details — {when}\n\nCommit {commit}. Produced by "
                     "`python -m bench.mapping_omission` (datasets and method in its docstring).\n\n")
            fh.write("\n".join(lines) + "\n")


def _run(emit) -> None:  # type: ignore[no-untyped-def]
    print_ = emit
    base = Settings()
    rubric = RubricCatalogue(base.rubric_dirs).get("mo-il-professional-learning")
    nlp = spacy_pipeline(base.models)
    embedder = get_embedder(base)
    work = Path(tempfile.mkdtemp(prefix="omission-"))
    answers = yaml.safe_load(ANSWERS.read_text())["details"]
    try:
        variants = {eo: write_submission(work / f"without-{eo}", frozenset({eo})) for eo in ("1", "2", "3", "4")}
        print_(f"rubric {rubric.id} {rubric.version} {rubric.content_hash[:19]}; model {embedder.model_key}")
        print_("| configuration | absent: max score | present: min score | gap | absent → missing* | "
              "fixture evidence in right place | example: min score | example: best passage in answer key | "
              "example: one of top 3 in answer key |")
        print_("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for cfg in CONFIGS:
            absent, present, right, total = [], [], 0, 0
            splitter = nlp if cfg.splitter is None else spacy_pipeline(
                base.models.model_copy(update={"sentence_splitter": cfg.splitter}))
            for eo, layout in variants.items():
                files = ingest_submission(from_folder(layout.folder), base)
                ps = build_passages(((d, f.part) for f, d in files if d.readable and f.role != "self_analysis"),
                                    splitter, cfg.passages)
                for ev in map_evidence(rubric, ps, embedder, cfg.mapping):
                    score = ev.best_score if ev.best_score is not None else -1.0
                    if ev.eo == eo:
                        absent.append(score)
                        continue
                    present.append(score)
                    total += 1
                    best = ev.evidence[0].passage if ev.evidence else (ev.closest.passage if ev.closest else None)
                    if best is not None and (best.page == layout.page_of_eo[ev.eo]
                                             or (best.page is None and best.paragraph == layout.paragraph_of_eo[ev.eo])):
                        right += 1
            files = ingest_submission(from_folder(EXAMPLE), base)
            ps = build_passages(((d, f.part) for f, d in files if d.readable and f.role != "self_analysis"),
                                splitter, cfg.passages)
            example = map_evidence(rubric, ps, embedder, cfg.mapping)
            ex_min = min(ev.best_score if ev.best_score is not None else -1.0 for ev in example)
            ex_right = sum(_evidence_at(ev, answers.get(ev.detail_id, [])) for ev in example)
            ex_right3 = sum(_evidence_at(ev, answers.get(ev.detail_id, []), top=3) for ev in example)
            gap = min(min(present), ex_min) - max(absent)
            below = sum(1 for a in absent if a < min(min(present), ex_min))
            print_(f"| {cfg.name} | {max(absent):.3f} | {min(present):.3f} | {gap:+.3f} | {below}/{len(absent)} | "
                  f"{right}/{total} | {ex_min:.3f} | {ex_right}/{len(example)} | {ex_right3}/{len(example)} |")
        print_("\n* absent details scoring below every present detail, i.e. separable by one threshold")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
