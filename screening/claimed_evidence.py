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
are the candidate's evidence for the other detail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from .mapping import DetailEvidence, Status, uncompeted_best
from .passages import Passage
from .rubric import Rubric
from .selfanalysis import SelfAnalysis

CLAIMED_ONLY = "claimed_only"  # the feature marking a detail made weak by its row
UNCLAIMED_SHARED = "unclaimed_shared"  # the feature marking a detail made missing by the lack of one


def claimed_details(analyses: Iterable[SelfAnalysis], rubric: Rubric) -> set[str]:
    """Every detail some row of a self-analysis names. A row for a whole EO ("EO 3", or all its
    details) claims the EO, not each detail: a candidate who has nothing for one of them still
    writes that row (independent corpus: 6 planted missing details sat in EOs cited by one row)."""
    whole: dict[str, set[str]] = {}
    for eo, d in rubric.details():
        whole.setdefault(eo.id, set()).add(d.id)
    eo_rows = [ids for ids in whole.values() if len(ids) > 1]
    return {d for analysis in analyses for c in analysis.citations if set(c.detail_ids) not in eo_rows
            for d in c.detail_ids}


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


__all__ = ["CLAIMED_ONLY", "UNCLAIMED_SHARED", "cited_details", "claimed_details", "claimed_weak", "unclaimed_missing"]
