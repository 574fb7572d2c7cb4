"""Details addressed only in general terms: met by similarity, weak as evidence.

Similarity to the rubric measures whether a passage is about a detail, not whether it shows
anything. "Trust matters a great deal to me. Teachers know my door is always open" is about
acting on teachers' curriculum feedback, and scores as met; an assessor reads it as a claim with
no evidence behind it. Independent candidates who leave an EO detail thin write exactly that:
one or two general sentences in the narrative or reflection, in the field's vocabulary, and no
artifact about it.

A detail whose every passage at or above the weak threshold is the candidate's own prose (the
narrative or the reflection) and names no particular (no person, date, number, document or
programme; the submission's own school is its setting, not a particular) is ``weak``. One
artifact passage, or one passage that says who, when or how many, keeps it met. The rule holds
for rubrics that ask for an artifact portfolio: a short-answer question has no artifacts and
answers it in general terms by design.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from .echo import RubricWording, particulars, setting_of
from .mapping import DetailEvidence, Status
from .passages import OWN_PROSE, Passage
from .rubric import Rubric

if TYPE_CHECKING:
    from spacy.language import Language

def general_only(
    evidence: Sequence[DetailEvidence], passages: Sequence[Passage], rubric: Rubric,
    load_nlp: "Callable[[], Language]", setting_min_passages: int | None,
) -> list[DetailEvidence]:
    """``evidence`` with each met detail that only general statements address set to weak
    (``features["general_only"] = 1``). ``passages`` are all the submission's scored passages
    (to tell its setting); ``load_nlp`` is called only when some met detail rests on the
    candidate's own prose alone."""
    if rubric.part("portfolio") is None:
        return list(evidence)
    todo = [i for i, ev in enumerate(evidence)
            if ev.status == Status.MET and ev.evidence and all(m.passage.part in OWN_PROSE for m in ev.evidence)]
    if not todo:
        return list(evidence)
    texts = {m.passage.id: m.passage.text for i in todo for m in evidence[i].evidence}
    wording = RubricWording.of(rubric)
    setting = setting_of([p.text for p in passages], setting_min_passages)
    ids = list(texts)
    concrete = {pid for pid, doc in zip(ids, load_nlp().pipe((texts[k] for k in ids), batch_size=64))
                if particulars(doc, wording, setting)}
    out = list(evidence)
    for i in todo:
        ev = out[i]
        if not any(m.passage.id in concrete for m in ev.evidence):
            out[i] = replace(ev, status=Status.WEAK, features={**ev.features, "general_only": 1.0})
    return out


__all__ = ["general_only"]
