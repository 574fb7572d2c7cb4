"""Details the candidate claims: a self-analysis row for a detail, with a passage about it that
scores under the weak threshold, makes the detail weak evidence rather than missing.

Similarity alone cannot tell a detail the candidate addressed thinly ("we value teacher feedback",
a date and a title) from one they never addressed: on the independent corpus both kinds score
0.40-0.58, a third of each above 0.5. What tells them apart is the claim. A candidate who has
nothing for a detail leaves its row out (every planted missing detail but one had no row); a
candidate with thin evidence writes the row and points at it (every planted weak detail had one).
So the closest passage of a detail its own row claims is taken as the evidence the candidate meant, weak;
an unclaimed detail's closest passage is incidental, and the detail stays missing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from .mapping import DetailEvidence, Status
from .rubric import Rubric
from .selfanalysis import SelfAnalysis

CLAIMED_ONLY = "claimed_only"  # the feature marking a detail made weak by its row


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


def claimed_weak(evidence: Sequence[DetailEvidence], claimed: set[str], min_score: float | None) -> list[DetailEvidence]:
    """``evidence`` with each missing detail in ``claimed`` whose closest passage (one more about it
    than about any other detail) scores at least ``min_score`` made weak, that passage its evidence.
    A detail only the reflection speaks of, in general terms, stays missing: that rule
    (screening/general_evidence.py) has already judged the passage. ``min_score`` None: unchanged."""
    if min_score is None or not claimed:
        return list(evidence)
    out = []
    for ev in evidence:
        if (ev.status == Status.MISSING and ev.detail_id in claimed and ev.closest is not None
                and ev.closest.score >= min_score and not ev.features.get("reflection_only")):
            ev = replace(ev, status=Status.WEAK, evidence=(ev.closest,), features={**ev.features, CLAIMED_ONLY: 1.0})
        out.append(ev)
    return out


__all__ = ["CLAIMED_ONLY", "claimed_details", "claimed_weak"]
