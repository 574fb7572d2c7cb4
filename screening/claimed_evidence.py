"""Details the candidate claims: a self-analysis row for a detail, with a passage about it that
scores under the weak threshold, makes the detail weak evidence rather than missing.

Similarity alone cannot tell a detail the candidate addressed thinly ("we value teacher feedback",
a date and a title) from one they never addressed: on the independent corpus both kinds score
0.40-0.58, a third of each above 0.5. What tells them apart is the claim. A candidate who has
nothing for a detail leaves its row out (every planted missing detail but one had no row); a
candidate with thin evidence writes the row and points at it (every planted weak detail had one).
So the closest passage of a detail its own row claims is taken as the evidence the candidate meant, weak;
an unclaimed detail's closest passage is incidental, and the detail stays missing.

The same reading works the other way: a detail that no row cites, not even a row for its whole EO
(citation_missing_row), found only in passages about as much about another detail as about it
("This year I learned that a principal cannot hand teachers an assessment framework" for
"builds teachers' skill in gathering evidence of learning"), is missing, not met: those passages
are the candidate's evidence for the other detail.

The row's words also say where the candidate's evidence is, and what it is: a detail weak by its
claim is shown at the sentence the row restates (``located_by_claim``), and a met detail whose row
offers a general sentence, which the screener matched to it, is weak (``generally_claimed``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

import numpy as np

from .mapping import DetailEvidence, Match, Status, uncompeted_best
from .passages import OWN_PROSE, Passage
from .rubric import Rubric
from .selfanalysis import SelfAnalysis

if TYPE_CHECKING:
    from .embedding import Embedder

CLAIMED_ONLY = "claimed_only"  # the feature marking a detail made weak by its row
GENERAL_CLAIM = "general_claim"  # the feature marking a met detail made weak by its row's general claim
CLAIM_MATCH = "claim_match"  # the similarity of the passage saying what the row claims to the row's explanation
UNCLAIMED_SHARED = "unclaimed_shared"  # the feature marking a detail made missing by the lack of one


def _eo_rows(rubric: Rubric) -> list[set[str]]:
    """The detail sets of the rubric's EOs of several details: a row naming one of them cites the EO."""
    whole: dict[str, set[str]] = {}
    for eo, d in rubric.details():
        whole.setdefault(eo.id, set()).add(d.id)
    return [ids for ids in whole.values() if len(ids) > 1]


def claimed_details(analyses: Iterable[SelfAnalysis], rubric: Rubric) -> set[str]:
    """Every detail some row of a self-analysis names. A row for a whole EO ("EO 3", or all its
    details) claims the EO, not each detail: a candidate who has nothing for one of them still
    writes that row (independent corpus: 6 planted missing details sat in EOs cited by one row)."""
    eo_rows = _eo_rows(rubric)
    return {d for analysis in analyses for c in analysis.citations if set(c.detail_ids) not in eo_rows
            for d in c.detail_ids}


def _claims(analyses: Sequence[SelfAnalysis], rubric: Rubric, detail_ids: Iterable[str]) -> dict[str, list[str]]:
    """The explanations of the rows naming each detail on its own (not a row for its whole EO)."""
    eo_rows = _eo_rows(rubric)
    return {d: [c.explanation.strip() for a in analyses for c in a.citations
                if d in c.detail_ids and set(c.detail_ids) not in eo_rows and c.explanation.strip()] for d in detail_ids}


def _units(p: Passage) -> tuple[str, ...]:
    """The passage and, when it has several, each of its sentences: what a row's words are matched to."""
    return (p.text, *p.sentences) if len(p.sentences) > 1 else (p.text,)


def _own_units(passages: Sequence[Passage]) -> list[tuple[int, str]]:
    """(passage index, text) for every passage of the candidate's own prose and each of its sentences."""
    return [(k, text) for k, p in enumerate(passages) if p.part in OWN_PROSE for text in _units(p)]


def generally_claimed(evidence: Sequence[DetailEvidence], analyses: Sequence[SelfAnalysis], rubric: Rubric,
                      passages: Sequence[Passage], embedder: "Embedder", concrete: Callable[[list[str]], list[bool]],
                      min_similarity: float | None, met_threshold: float,
                      row_concrete: Callable[[list[str]], list[bool]] | None = None) -> list[DetailEvidence]:
    """``evidence`` with each met detail made weak whose own row's explanation names no particular
    and says what its best passage says (similarity at least ``min_similarity``), that passage
    being the candidate's prose and naming none either, and no artifact passage reaching
    ``met_threshold`` for it: the candidate offers a general statement as the evidence.
    ``concrete`` says of each text whether it names a particular, ``row_concrete`` (default
    ``concrete``) of the row's explanation. ``min_similarity`` None: unchanged.

    The candidate's row says what they consider their evidence. "The August PD included formative
    assessment in the classroom" for the narrative's "We also talked about formative assessment in
    the classroom" offers the general sentence itself, while the concrete passages that keep the
    detail met by similarity (a card sort on the purposes of assessment) are about its neighbour."""
    if min_similarity is None or not len(passages):
        return list(evidence)
    todo = [i for i, ev in enumerate(evidence) if ev.status == Status.MET and ev.evidence
            and ev.evidence[0].passage.part in OWN_PROSE
            and not any(m.passage.part not in OWN_PROSE and m.score >= met_threshold for m in ev.evidence)]
    claims = _claims(analyses, rubric, (evidence[i].detail_id for i in todo))
    todo = [i for i in todo if claims[evidence[i].detail_id]]
    if not todo:
        return list(evidence)
    picked: list[tuple[int, str, str, float]] = []  # (detail, the row restating it, its best passage, similarity)
    for i in todo:
        best = evidence[i].evidence[0].passage
        said = claims[evidence[i].detail_id]
        sims = embedder.encode(list(_units(best))) @ embedder.encode(said).T
        if float(sims.max()) >= min_similarity:
            picked.append((i, said[int(np.argmax(sims.max(axis=0)))], best.text, float(sims.max())))
    if not picked:
        return list(evidence)
    # one parse of every text judged, not one per detail
    rows = (row_concrete or concrete)([row for _, row, _, _ in picked])
    bests = concrete([text for _, _, text, _ in picked])
    out = list(evidence)
    for (i, _, _, similarity), row_named, best_named in zip(picked, rows, bests):
        if not (row_named or best_named):
            out[i] = replace(out[i], status=Status.WEAK, features={**out[i].features, GENERAL_CLAIM: round(similarity, 4)})
    return out


def located_by_claim(evidence: Sequence[DetailEvidence], analyses: Sequence[SelfAnalysis], rubric: Rubric,
                     passages: Sequence[Passage], raw: np.ndarray, embedder: "Embedder",
                     min_similarity: float | None) -> list[DetailEvidence]:
    """``evidence`` with each detail made weak by its row's claim pointed at the passage of the
    candidate's own prose that says what the row says, where one does (similarity to the row's
    explanation at least ``min_similarity``, on the passage or one of its sentences).

    The passage nearest to a thinly addressed detail is often not the candidate's sentence about
    it: "Teachers could choose the learning that fit their needs" scores 0.45 for "differentiated
    to each teacher's growth goals", below a reflection sentence on planning. The candidate's own
    row ("Teachers chose learning that fit their needs") names the sentence they meant, and that
    is where an assessor should look. ``raw`` (passages × details, rubric order) gives the score the
    flag shows: without the echo mask, since the sentence a row restates may restate the rubric
    too. ``min_similarity`` None: unchanged."""
    if min_similarity is None or not len(passages):
        return list(evidence)
    todo = [i for i, ev in enumerate(evidence) if ev.features.get(CLAIMED_ONLY)]
    claims = _claims(analyses, rubric, (evidence[i].detail_id for i in todo))
    units = _own_units(passages)
    if not units or not any(claims.values()):
        return list(evidence)
    vectors = embedder.encode([t for _, t in units])
    out = list(evidence)
    for i in todo:
        ev = out[i]
        if not claims[ev.detail_id]:
            continue
        sims = (vectors @ embedder.encode(claims[ev.detail_id]).T).max(axis=1)
        j = int(np.argmax(sims))
        if float(sims[j]) < min_similarity:
            continue
        k = units[j][0]
        match = Match(passages[k], round(float(raw[k, i]), 4))
        out[i] = replace(ev, best_score=match.score, evidence=(match,), closest=match,
                         features={**ev.features, CLAIM_MATCH: round(float(sims[j]), 4)})
    return out


def claimed_weak(evidence: Sequence[DetailEvidence], claimed: set[str], min_score: float | None,
                 passages: Sequence[Passage] = (), raw: np.ndarray | None = None,
                 near_min: float | None = None) -> list[DetailEvidence]:
    """``evidence`` with each missing detail in ``claimed`` whose closest passage (one more about it
    than about any other detail) scores at least ``min_score`` made weak, that passage its evidence;
    failing that, with ``raw`` (the uncompeted matrix over ``passages``, rubric order) and
    ``near_min``, the passage nearest to it at least ``near_min`` whatever else it is about ("our
    PLCs let each team pick its own focus" for "differentiated to teachers' growth goals").
    A detail only the reflection speaks of, in general terms, stays missing: that rule
    (screening/general_evidence.py) has already judged the passage. ``min_score`` None: unchanged."""
    if min_score is None or not claimed:
        return list(evidence)
    out = []
    for i, ev in enumerate(evidence):
        if ev.status == Status.MISSING and ev.detail_id in claimed and not ev.features.get("reflection_only"):
            if ev.closest is not None and ev.closest.score >= min_score:
                ev = replace(ev, status=Status.WEAK, evidence=(ev.closest,), features={**ev.features, CLAIMED_ONLY: 1.0})
            elif near_min is not None and raw is not None and (near := uncompeted_best(passages, raw, i)) is not None \
                    and near.score >= near_min:
                ev = replace(ev, status=Status.WEAK, best_score=near.score, evidence=(near,), closest=near,
                             features={**ev.features, CLAIMED_ONLY: 1.0})
        out.append(ev)
    return out


def cited_details(analyses: Iterable[SelfAnalysis]) -> set[str]:
    """Every detail some row of a self-analysis cites, a row for a whole EO citing each of its
    details: the details citation_missing_row does not report."""
    return {d for analysis in analyses for c in analysis.citations for d in c.detail_ids}


def unclaimed_missing(evidence: Sequence[DetailEvidence], cited: set[str], passages: Sequence[Passage],
                      raw: np.ndarray, max_margin: float | None) -> list[DetailEvidence]:
    """``evidence`` with each met or weak detail that no row cites (``cited`` is not empty: a
    self-analysis was read) made missing when every passage counted for it scores less than
    ``max_margin`` higher for it than for some other detail in ``raw`` (the uncompeted matrix,
    rubric order). ``max_margin`` None: unchanged."""
    if max_margin is None or not cited or not len(passages) or raw.shape[1] < 2:
        return list(evidence)  # a rubric of one detail has no other detail to be about
    row = {p.id: k for k, p in enumerate(passages)}
    out = []
    for i, ev in enumerate(evidence):
        if ev.status != Status.MISSING and ev.detail_id not in cited and ev.evidence:
            others = np.delete(raw, i, axis=1)
            margins = [raw[row[m.passage.id], i] - others[row[m.passage.id]].max()
                       for m in ev.evidence if m.passage.id in row]
            if margins and max(margins) < max_margin:
                ev = replace(ev, status=Status.MISSING, evidence=(), closest=ev.evidence[0],
                             features={**ev.features, UNCLAIMED_SHARED: 1.0})
        out.append(ev)
    return out


__all__ = ["CLAIMED_ONLY", "CLAIM_MATCH", "GENERAL_CLAIM", "UNCLAIMED_SHARED", "cited_details", "claimed_details",
           "claimed_weak", "generally_claimed", "located_by_claim", "unclaimed_missing"]
