"""The labelled micro-credential set through the real mapping: links, statuses and echo.

Data: ``bench/data/mc_passages.yaml`` (``bench.mcset.load()``; docs/labelled-set.md). Each
passage is scored as ``screening check`` scores it: ``screening.mapping.score_matrices`` (the
competed matrix), echo passages masked as in ``screening.pipeline.screen``, then
``evidence_from_scores`` for the statuses.

Three measurements:
- **links**: a passage -> detail link is predicted when the passage's (masked, competed) score for
  the detail reaches ``mapping.weak_threshold``; a true link is a detail the passage is labelled
  with. Precision/recall of "evidenced" per link.
- **statuses** on synthetic submissions: per rubric, all its passages together ("full"), and each
  EO left out in turn (every passage evidencing any detail of that EO removed; its planted echoes
  and the ``nothing`` passages stay), as bench/mapping_omission.py does with its fixture. A detail
  is expected evidenced when a remaining passage is labelled with it. Precision/recall of
  evidenced (met or weak) and of missing per detail.
- **the issue's targets**: planted echoes counted as evidence (any predicted link from an ``echo``
  passage; target 0), and left-out EOs with every detail reported missing (target all).

A passage's scores do not depend on the other passages of a submission (competition is across a
passage's details), so every submission is a row subset of one matrix per rubric.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from screening.echo import find_echoes
from screening.mapping import Status, evidence_from_scores, score_matrices
from screening.passages import Passage
from screening.rubric import Rubric, RubricCatalogue
from screening.settings import EchoSettings, MappingSettings, Settings

from ..mcset import LabelledPassage, load
from .record import Result


@dataclass(frozen=True)
class MappingConfig:
    name: str
    kind: str
    mapping: MappingSettings
    echo: EchoSettings

    @property
    def settings(self) -> dict[str, Any]:
        m, d = self.mapping, MappingSettings()
        changed = {k: v for k, v in m.model_dump().items() if v != d.model_dump()[k]}
        return {**changed, "echo": "on" if self.echo.enabled else "off"}


def default_configs() -> list[MappingConfig]:
    base = Settings()
    # the default at the start of 2026-11-24 (sentence_top_details did not exist: None)
    before = dict(competition_margin=0.01, sentence_min_words=1, sentence_top_details=None)
    return [
        MappingConfig("screening check default", "mapping", base.mapping, base.echo),
        MappingConfig("default without echo masking", "mapping", base.mapping, EchoSettings(enabled=False)),
        MappingConfig("competition margin 0.01, every sentence scored (the default before 2026-11-24)", "mapping",
                      MappingSettings(**before), base.echo),
        MappingConfig("a sentence counts for any detail (sentence_top_details off, before 2026-11-24)", "mapping",
                      MappingSettings(sentence_top_details=None), base.echo),
        MappingConfig("a sentence counts only for its passage's best detail", "mapping",
                      MappingSettings(sentence_top_details=1), base.echo),
        MappingConfig("a sentence counts for its passage's 2 best details", "mapping",
                      MappingSettings(sentence_top_details=2), base.echo),
        MappingConfig("competition margin 0.01, sentences of 6+ words", "mapping",
                      MappingSettings(competition_margin=0.01), base.echo),
        MappingConfig("competition margin 0, every sentence scored", "mapping",
                      MappingSettings(sentence_min_words=1), base.echo),
        MappingConfig("sentences of 8+ words", "mapping", MappingSettings(sentence_min_words=8), base.echo),
        MappingConfig("sentences of 10+ words", "mapping", MappingSettings(sentence_min_words=10), base.echo),
        MappingConfig("detail-text weight 0.1", "mapping", MappingSettings(detail_text_weight=0.1), base.echo),
        MappingConfig("detail-text weight 0.2", "mapping", MappingSettings(detail_text_weight=0.2), base.echo),
        MappingConfig("detail-text weight 0.3", "mapping", MappingSettings(detail_text_weight=0.3), base.echo),
        MappingConfig("competition margin 0.02", "mapping", MappingSettings(competition_margin=0.02), base.echo),
        MappingConfig("competition margin 0.03, every sentence for any detail (the default before bench.quality)",
                      "mapping", MappingSettings(competition_margin=0.03, sentence_min_words=1, sentence_top_details=None),
                      base.echo),
        MappingConfig("competition margin 0.05", "mapping", MappingSettings(competition_margin=0.05), base.echo),
        MappingConfig("no sentence scores", "mapping", MappingSettings(sentence_scores=False), base.echo),
        MappingConfig("thresholds weak 0.60 / met 0.64", "mapping",
                      MappingSettings(weak_threshold=0.60, met_threshold=0.64), base.echo),
        MappingConfig("thresholds weak 0.62 / met 0.66", "mapping",
                      MappingSettings(weak_threshold=0.62, met_threshold=0.66), base.echo),
        MappingConfig("plain MiniLM cosine (no competition, whole passage, no echo masking)", "baseline",
                      MappingSettings(competition_margin=None, sentence_scores=False), EchoSettings(enabled=False)),
    ]


def _as_passages(items: list[LabelledPassage], sentencize: Callable[[list[str]], list[tuple[str, ...]]]) -> list[Passage]:
    out = []
    for n, (p, sents) in enumerate(zip(items, sentencize([p.text for p in items])), start=1):
        sha = hashlib.sha256(p.text.encode()).hexdigest()
        # each labelled passage is a paragraph of its own (the echo check judges paragraphs)
        out.append(Passage(id=p.id, file=f"{p.source}.txt", file_sha256=sha, part="narrative", page=None,
                           char_start=0, char_end=len(p.text), text=p.text, words=p.words, sentences=sents,
                           paragraph=n))
    return out


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")


class MCMappingEvaluator:
    """Scores one mapping configuration on the labelled MC set; primary metric: F1 of
    "evidenced" per detail over the synthetic submissions."""

    dataset = "MC labelled passages"
    primary_metric = "status_f1_evidenced"

    def __init__(self, settings: Settings, embedder: Any, sentencize: Callable[[list[str]], list[tuple[str, ...]]],
                 load_ner: Callable[[], Any], rubrics: list[str] | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.load_ner = load_ner
        catalogue = RubricCatalogue(settings.rubric_dirs)
        by_rubric: dict[str, list[LabelledPassage]] = defaultdict(list)
        for p in load():
            if rubrics is None or p.rubric in rubrics:
                by_rubric[p.rubric].append(p)
        self.sets: list[tuple[Rubric, list[LabelledPassage], list[Passage]]] = [
            (catalogue.get(rid), items, _as_passages(items, sentencize)) for rid, items in sorted(by_rubric.items())
        ]

    def __call__(self, cfg: MappingConfig) -> Result:
        links, evidenced, missing = _Counts(), _Counts(), _Counts()
        echo_linked, echo_total, eo_missing, eo_total = 0, 0, 0, 0
        met_expected = weak_expected = 0
        for rubric, items, passages in self.sets:
            scores, _ = score_matrices(rubric, passages, self.embedder, cfg.mapping)
            echoes = find_echoes(passages, rubric, self.load_ner, cfg.echo)
            if echoes:
                masked = {e.passage.id for e in echoes}
                scores = scores.copy()
                scores[[p.id in masked for p in passages]] = -1.0
            details = [d.id for _, d in rubric.details()]
            predicted = scores >= cfg.mapping.weak_threshold
            for i, p in enumerate(items):
                for j, d in enumerate(details):
                    links.add(bool(predicted[i, j]), d in p.details)
                if p.label == "echo":
                    echo_total += 1
                    echo_linked += bool(predicted[i].any())
            eo_of = {d.id: eo.id for eo, d in rubric.details()}
            submissions: list[tuple[str | None, list[int]]] = [(None, list(range(len(items))))]
            for eo in dict.fromkeys(eo_of.values()):
                keep = [i for i, p in enumerate(items) if not any(eo_of[d] == eo for d in p.details)]
                submissions.append((eo, keep))
            for left_out, rows in submissions:
                sub = [passages[i] for i in rows]
                found = evidence_from_scores(rubric, sub, scores[rows], cfg.mapping)
                present = {d for i in rows for d in items[i].details}
                for ev in found:
                    expected = ev.detail_id in present
                    evidenced.add(ev.status != Status.MISSING, expected)
                    missing.add(ev.status == Status.MISSING, not expected)
                    if expected:
                        met_expected += ev.status == Status.MET
                        weak_expected += ev.status == Status.WEAK
                if left_out is not None:
                    eo_total += 1
                    eo_missing += all(ev.status == Status.MISSING for ev in found if ev.eo == left_out)
        f1 = 2 * evidenced.precision * evidenced.recall / (evidenced.precision + evidenced.recall) \
            if evidenced.tp else 0.0
        metrics = {
            "link_precision": links.precision, "link_recall": links.recall,
            "status_precision_evidenced": evidenced.precision, "status_recall_evidenced": evidenced.recall,
            "status_f1_evidenced": f1,
            "status_precision_missing": missing.precision, "status_recall_missing": missing.recall,
            "echo_counted_as_evidence": float(echo_linked), "echo_passages": float(echo_total),
            "left_out_eo_all_missing": float(eo_missing), "left_out_eos": float(eo_total),
            "evidenced_details_met": float(met_expected), "evidenced_details_weak": float(weak_expected),
        }
        return Result(dataset=self.dataset, method=cfg.name, kind=cfg.kind, metrics=metrics,
                      primary=self.primary_metric, model=self.embedder.model_key, settings=cfg.settings)
