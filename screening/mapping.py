"""Mapping: which passages seem to address each EO detail, and how strongly.

Each detail is represented by its text and its look-fors; a passage's score for the detail is
its highest cosine similarity to any of them, moved ``mapping.detail_text_weight`` toward its
similarity to the detail's own text, and kept only where the detail is (nearly) the
passage's best match among all the rubric's details (see ``_compete``). The detail's status
comes from its best passage:
``met`` at or above ``mapping.met_threshold``, ``weak`` at or above ``mapping.weak_threshold``,
else ``missing``. Thresholds are uncalibrated defaults (see docs/mapping.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Callable, Sequence

import numpy as np

from .embedding import Embedder
from .passages import OWN_PROSE, Passage, is_heading
from .rubric import Rubric
from .settings import MappingSettings


Progress = Callable[[int, int], None]


class Status(str, Enum):
    MET = "met"
    WEAK = "weak"
    MISSING = "missing"


@dataclass(frozen=True)
class Match:
    passage: Passage
    score: float


@dataclass(frozen=True)
class DetailEvidence:
    eo: str
    detail_id: str
    text: str
    derived: bool
    status: Status
    best_score: float | None
    evidence: tuple[Match, ...]  # passages at or above the weak threshold, best first
    closest: Match | None  # the best passage even when below threshold (for "closest was…")
    features: dict[str, float] = field(default_factory=dict)  # screening/calibration.py mapping_features


def detail_queries(rubric: Rubric) -> list[tuple[str, str]]:
    """(detail id, query text) pairs: the detail's own text, then each look-for."""
    out: list[tuple[str, str]] = []
    for _, detail in rubric.details():
        out.append((detail.id, detail.text))
        out.extend((detail.id, lf) for lf in detail.look_fors)
    return out


def status_for(score: float | None, cfg: MappingSettings) -> Status:
    if score is None or score < cfg.weak_threshold:
        return Status.MISSING
    return Status.MET if score >= cfg.met_threshold else Status.WEAK


def _unit_scores(
    rubric: Rubric, q: np.ndarray, texts: Sequence[str], embedder: Embedder, text_weight: float = 0.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """Matrix (texts × details) of each text's best similarity to each detail's queries ``q``,
    moved by ``text_weight`` toward its similarity to the detail's own text."""
    details = rubric.details()
    queries = detail_queries(rubric)
    p = embedder.encode(list(texts), progress)
    sims = p @ q.T  # unit vectors: dot product is cosine
    out = np.full((len(texts), len(details)), -1.0, dtype=np.float32)
    own = np.empty_like(out)
    col = {d.id: i for i, (_, d) in enumerate(details)}
    seen: set[int] = set()
    for j, (detail_id, _) in enumerate(queries):
        i = col[detail_id]
        if i not in seen:  # detail_queries puts the detail's own text first
            seen.add(i)
            own[:, i] = sims[:, j]
        np.maximum(out[:, i], sims[:, j], out=out[:, i])
    if text_weight:
        # A look-for names an artifact ("completed observation forms"); text that only names the
        # artifact (a form's footer) matches it as well as evidence does. Pulling the score toward
        # the detail's own wording asks the unit to be about what the detail requires too.
        out -= np.float32(text_weight) * (out - own)
    return out


def _compete(scores: np.ndarray, margin: float | None) -> np.ndarray:
    """Keep a unit's score for a detail only where the detail is (nearly) the unit's best match.

    Passages in one submission are all about school leadership, so every detail finds some
    passage with a respectable similarity. What sets real evidence apart is that the passage is
    *about this detail more than about the others*: without that, a detail whose content is
    absent would borrow evidence that belongs to a neighbouring detail.
    """
    if margin is None or scores.size == 0:
        return scores
    top = scores.max(axis=1, keepdims=True)
    return np.where(scores >= top - margin, scores, -1.0).astype(np.float32)


def _within_passage_top(sentence: np.ndarray, whole: np.ndarray, owners: np.ndarray, k: int | None) -> np.ndarray:
    """Keep a sentence's score for a detail only where the detail is among its passage's ``k``
    best details as a whole.

    A sentence lifted out of a passage about something else ("…and every team completes a
    standards analysis after each unit test" in a passage about a data protocol) can match a
    detail its passage is not about; counted, it links the passage to that detail too."""
    if k is None or sentence.size == 0 or k >= whole.shape[1]:
        return sentence
    top = np.argsort(-whole, axis=1, kind="stable")[:, :k]
    allowed = np.zeros(whole.shape, dtype=bool)
    np.put_along_axis(allowed, top, True, axis=1)
    return np.where(allowed[owners], sentence, -1.0).astype(np.float32)


def score_matrices(
    rubric: Rubric, passages: Sequence[Passage], embedder: Embedder, cfg: MappingSettings,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(competed, raw): matrices (passages × details) of each passage's evidence score for each
    detail, with and without competition across details, from one embedding pass.

    Scored on the whole passage and, with ``sentence_scores``, on each of its sentences; with
    competition each unit competes across details (``competition_margin``), and a sentence counts
    only for its passage's ``sentence_top_details`` best details, before a passage keeps its best
    unit.
    """
    n_details = len(rubric.details())
    if not passages:
        empty = np.zeros((0, n_details), dtype=np.float32)
        return empty, empty
    q = embedder.encode([t for _, t in detail_queries(rubric)])
    texts = [_scored_text(p, cfg) for p in passages]
    whole = _unit_scores(rubric, q, texts, embedder, cfg.detail_text_weight, progress)
    headed = [i for i, (p, t) in enumerate(zip(passages, texts)) if t != p.text]
    if headed and cfg.heading_lifts_to_weak:
        # A heading in the rubric's words over a paragraph that does not show the detail is thin
        # evidence, not none: with its heading the passage may reach weak, never met.
        with_heading = _unit_scores(rubric, q, [passages[i].text for i in headed], embedder, cfg.detail_text_weight)
        weak = np.float32(cfg.weak_threshold)
        if float(weak) < cfg.weak_threshold:  # float32 rounds 0.58 down: the lifted score must still reach weak
            weak = np.nextafter(weak, np.float32(1))
        whole[headed] = np.maximum(whole[headed], np.minimum(with_heading, weak))
    competed, raw = _compete(whole, cfg.competition_margin), whole.copy()
    if cfg.sentence_scores:
        scored = scored_sentences(passages, cfg)
        owners = [i for i, _ in scored]
        texts = [t for _, t in scored]
        if texts:
            sent = _unit_scores(rubric, q, texts, embedder, cfg.detail_text_weight, progress)
            rows = np.asarray(owners)
            kept = _within_passage_top(_compete(sent, cfg.competition_margin), whole, rows, cfg.sentence_top_details)
            np.maximum.at(competed, rows, kept)
            np.maximum.at(raw, rows, sent)
    return competed, raw


def detail_scores(
    rubric: Rubric, passages: Sequence[Passage], embedder: Embedder, cfg: MappingSettings,
    progress: Progress | None = None,
) -> np.ndarray:
    """The competed matrix of :func:`score_matrices`: what evidence status is decided on."""
    return score_matrices(rubric, passages, embedder, cfg, progress)[0]


def evidence_from_scores(
    rubric: Rubric, passages: Sequence[Passage], scores: np.ndarray, cfg: MappingSettings
) -> list[DetailEvidence]:
    """Evidence for every detail of the rubric, in rubric order, from a ``detail_scores`` matrix."""
    out: list[DetailEvidence] = []
    for i, (eo, detail) in enumerate(rubric.details()):
        column = scores[:, i] if len(passages) else np.zeros(0)
        order = np.argsort(-column, kind="stable")
        # -1 marks a passage that is about other details more than this one: not a candidate
        ranked = [Match(passages[k], round(float(column[k]), 4)) for k in order[: cfg.evidence_per_detail] if column[k] > -1]
        best = ranked[0].score if ranked else None
        evidence = tuple(m for m in ranked if m.score >= cfg.weak_threshold)
        out.append(
            DetailEvidence(
                eo=eo.id, detail_id=detail.id, text=detail.text, derived=detail.derived,
                status=status_for(best, cfg), best_score=best, evidence=evidence,
                closest=ranked[0] if ranked else None,
            )
        )
    return out


# Where a sentence lists several things: semicolons, colons and commas ("…chart the data by
# teacher, analyse errors, set a goal, and pick strategies"). A bare "and" is left alone: it
# joins nouns ("scope and sequence") as often as clauses.
_CLAUSE_BREAK = re.compile(r"\s*[;:]\s+|,\s+(?:(?:and|then|so|or|and then)\s+)?")


def clauses(sentence: str, min_words: int) -> list[str]:
    """The sentence's clauses or list items, each at least ``min_words`` words (a shorter piece
    joins the one before it); ``[]`` when the sentence does not divide."""
    pieces = [p for p in _CLAUSE_BREAK.split(sentence.strip()) if p and p.strip()]
    out: list[str] = []
    for piece in pieces:
        if out and (len(piece.split()) < min_words or len(out[-1].split()) < min_words):
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return out if len(out) > 1 else []


def with_uncompeted_closest(
    evidence: Sequence[DetailEvidence], passages: Sequence[Passage], raw: np.ndarray,
) -> list[DetailEvidence]:
    """Evidence whose ``closest`` is filled, where competition left none, with the detail's best
    passage in the ``raw`` (uncompeted) matrix."""
    out = []
    for i, ev in enumerate(evidence):
        if ev.closest is None and (best := uncompeted_best(passages, raw, i)) is not None:
            ev = replace(ev, closest=best)
        out.append(ev)
    return out


def uncompeted_best(passages: Sequence[Passage], raw: np.ndarray, i: int) -> Match | None:
    """The passage scoring highest for the ``i``-th detail in the ``raw`` (uncompeted) matrix,
    whatever else it is about; None when no passage is scored (all echoes, or none at all)."""
    if not len(passages) or raw[:, i].max() <= -1:
        return None
    k = int(np.argmax(raw[:, i]))
    return Match(passages[k], round(float(raw[k, i]), 4))


def _scored_text(p: Passage, cfg: MappingSettings) -> str:
    """The passage as scored whole: without the heading it opens with, in the candidate's own
    prose, unless ``heading_in_passage``."""
    if cfg.heading_in_passage or p.part not in OWN_PROSE or len(p.sentences) < 2 or not is_heading(p.sentences[0]):
        return p.text
    return " ".join(p.sentences[1:])


def scored_sentences(passages: Sequence[Passage], cfg: MappingSettings) -> list[tuple[int, str]]:
    """(passage index, unit) for every sentence scored on its own (``sentence_scores``) and, with
    ``clause_scores``, every clause or list item of a sentence that has several."""
    if not cfg.sentence_scores:
        return []
    out: list[tuple[int, str]] = []
    for i, p in enumerate(passages):
        for sentence in p.sentences or (p.text,):
            if not cfg.heading_sentences and p.part in OWN_PROSE and is_heading(sentence):
                continue  # in the candidate's own prose, a line without closing punctuation is their heading
            if len(p.sentences) > 1 and len(sentence.split()) >= cfg.sentence_min_words:
                out.append((i, sentence))
            if cfg.clause_scores:
                out.extend((i, c) for c in clauses(sentence, cfg.clause_min_words))
    return out


def usable_passages(passages: Sequence[Passage], cfg: MappingSettings) -> list[Passage]:
    """The passages that may count as evidence (``mapping.evidence_parts``)."""
    return [p for p in passages if p.part in cfg.evidence_parts]


def map_evidence(
    rubric: Rubric, passages: Sequence[Passage], embedder: Embedder, cfg: MappingSettings,
    progress: Progress | None = None,
) -> list[DetailEvidence]:
    """Evidence for every detail of the rubric, in rubric order."""
    usable = usable_passages(passages, cfg)
    return evidence_from_scores(rubric, usable, detail_scores(rubric, usable, embedder, cfg, progress), cfg)
