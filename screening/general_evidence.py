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

A date and a title alone do not make a passage particular when all it says is that the event
took place ("On October 8 we held our early-release PD session titled Checking for
Understanding"; "We held our mid-year PL check-in on January 13 and completed the PL Monitoring
Log"): with ``occurrences_are_general``, a passage whose only particulars are dates, times and
names of events or documents, and whose every verb says that something took place (held,
attended, completed, received …), names nothing of what happened there.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from .echo import RubricWording, particulars, setting_of
from .mapping import DetailEvidence, Match, Status
from .passages import OWN_PROSE, Passage
from .rubric import Rubric

if TYPE_CHECKING:
    import numpy as np
    from spacy.language import Language

# Verbs that say an event took place, or name it, and nothing of what happened there.
_OCCURRENCE_VERBS = frozenset("""
hold holds held holding attend attends attended attending complete completes completed receive receives received
host hosts hosted schedule schedules scheduled take takes took taken place meet meets met continue continues
continued begin begins began start starts started launch launches launched title titled call called name named
offer offers offered go goes went have has had be is are was were been being do does did
""".split())
# What a dated notice of an event has for particulars: its date and its (or a document's) name.
_OCCURRENCE_PARTICULARS = frozenset({"DATE", "WHEN", "TIME", "ORG", "WORK_OF_ART", "EVENT", "name"})
# What says roughly when, and nothing of who, what or how many: "In September we followed up with
# a second session on formative assessment" is as general as the sentence without its month
# (particulars() calls a date without a day or a year WHEN; "October 8" stays a DATE).
_WHEN_ONLY = frozenset({"WHEN", "ORDINAL"})
# What says when something happened, and nothing of who, what or how many.
_DATES_ONLY = frozenset({"DATE", "WHEN", "TIME", "ORDINAL"})


_COPIED_MIN_WORDS = 6  # a shorter sentence (a label, a heading) may well recur in an artifact by chance
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def _normalised(text: str) -> str:
    """Lower-case words separated by single spaces, padded, so that containment is by whole words."""
    return f" {_NOT_WORD.sub(' ', text.lower()).strip()} "


def _dated_occurrence(doc: "object", found: tuple[str, ...]) -> bool:
    """Whether the passage only dates and names an event or document: its particulars are dates,
    times and names, and every verb in it says that something took place."""
    verbs = [t.lower_ for t in doc if t.tag_.startswith("VB") or t.tag_ == "MD"]  # type: ignore[attr-defined]
    return bool(verbs) and set(found) <= _OCCURRENCE_PARTICULARS and bool({"DATE", "WHEN"} & set(found)) \
        and all(v in _OCCURRENCE_VERBS for v in verbs)


def concrete_texts(
    texts: Sequence[str], rubric: Rubric, submission_texts: Sequence[str], load_nlp: "Callable[[], Language]",
    setting_min_passages: int | None, occurrences_are_general: bool = True, when_is_general: bool = False,
    rubric_acronyms: bool = False, dates_are_general: bool = False,
) -> list[bool]:
    """Whether each text names a particular (person, date, number, document or programme; not the
    submission's own setting, read from ``submission_texts``), under the rules of
    :func:`general_only`; with ``dates_are_general``, a text whose only particulars are dates and
    times is general."""
    if not texts:
        return []
    wording = RubricWording.of(rubric)
    setting = setting_of(list(submission_texts), setting_min_passages)
    out = []
    for doc in load_nlp().pipe(texts, batch_size=64):
        found = particulars(doc, wording, setting, acronyms=rubric_acronyms)
        out.append(bool(found) and not (occurrences_are_general and _dated_occurrence(doc, found))
                   and not (when_is_general and set(found) <= _WHEN_ONLY)
                   and not (dates_are_general and set(found) <= _DATES_ONLY))
    return out


def general_only(
    evidence: Sequence[DetailEvidence], passages: Sequence[Passage], rubric: Rubric,
    load_nlp: "Callable[[], Language]", setting_min_passages: int | None, occurrences_are_general: bool = True,
    reflection_is_missing: bool = False, met_threshold: float | None = None,
    raw_scores: "np.ndarray | None" = None, about_margin: float | None = None,
    when_is_general: bool = False, rubric_acronyms: bool = False, paragraph_min: float | None = None,
    paragraph_about: float = 0.0, copied_artifacts: bool = False, prose_lends_min: float | None = None,
) -> list[DetailEvidence]:
    """``evidence`` with each met detail that only general statements address set to weak
    (``features["general_only"] = 1``), and, with ``reflection_is_missing``, each met or weak
    detail that only general statements of the reflection address set to missing
    (``features["reflection_only"] = 1``): the reflection says what the candidate learned, and
    "I now see assessment as a system" is no evidence of any practice. ``passages`` are all the
    submission's scored passages (to tell its setting); ``load_nlp`` is called only when some
    detail rests on the candidate's own prose alone. With ``met_threshold``, a met detail is judged
    by its passages at that level only: a loose passage (a survey form, a calendar line) does not
    lend its particulars to the general sentence that makes the detail met. With ``about_margin``
    and ``raw_scores`` (``passages`` × details in rubric order, without competition), a passage with
    a particular keeps a detail met only if its score for the detail is within the margin of its
    best score for any detail: a concrete sentence about a neighbouring detail says nothing
    particular of this one. With ``when_is_general``, a passage whose only particulars are dates
    without a day or a year and ordinals is general; with ``rubric_acronyms``, the abbreviation of
    a rubric phrase ("PD", "PL") is no name. With ``paragraph_min`` and ``raw_scores``, a general
    sentence is not judged alone when another passage of its paragraph names a particular other
    than a date, scores at least that for the detail without competition, and is about it (within
    ``paragraph_about`` of its best score for any detail): "Teachers identified our needs." opens
    a paragraph that goes on with "In May, 27 of 29 staff completed a needs survey …", and the
    paragraph is what an assessor reads. The sentences after a topic sentence say what happened,
    in words of their own, so they score lower against the rubric than the topic sentence does.
    With ``copied_artifacts``, an artifact passage whose every sentence the candidate's own prose
    says word for word is the candidate's prose too: "Our teams always make sure our tests are
    rigorous and match the way we teach." on a blueprint's last page and in the narrative is one
    claim written twice, not a document that shows it. With ``prose_lends_min``, a passage of the
    candidate's prose that names a particular keeps a detail met only when it scores at least that
    for the detail: "The monthly curriculum walkthroughs gave Dana Kirby and me a reason to talk
    to teachers about pacing" (0.59 for acting on teachers' feedback) names someone, but is about
    something else, and lends nothing to "I always listen to teachers' feedback". An artifact
    passage at the weak threshold still keeps the detail met: it is a document, not a claim."""
    if rubric.part("portfolio") is None:
        return list(evidence)

    def deciding(ev: DetailEvidence) -> tuple[Match, ...]:
        if met_threshold is None or ev.status != Status.MET:
            return ev.evidence
        return tuple(m for m in ev.evidence if m.score >= met_threshold) or ev.evidence

    prose = _normalised(" ".join(p.text for p in passages if p.part in OWN_PROSE)) if copied_artifacts else ""

    def restated(p: Passage) -> bool:
        return bool(prose) and p.part not in OWN_PROSE and all(
            len(t.split()) >= _COPIED_MIN_WORDS and _normalised(t) in prose for t in (p.sentences or (p.text,)))

    def own_prose_only(ev: DetailEvidence) -> bool:
        return bool(ev.evidence) and all(m.passage.part in OWN_PROSE or restated(m.passage) for m in deciding(ev))

    def reflection_only(ev: DetailEvidence) -> bool:
        return reflection_is_missing and bool(ev.evidence) and all(m.passage.part == "reflection" for m in ev.evidence)

    todo = [i for i, ev in enumerate(evidence)
            if ev.status == Status.MET and own_prose_only(ev) or ev.status == Status.WEAK and reflection_only(ev)]
    if not todo:
        return list(evidence)
    by_paragraph: dict[tuple[str, int | None, int], list[int]] = {}
    if paragraph_min is not None and raw_scores is not None and raw_scores.size > 0:
        for k, p in enumerate(passages):
            if p.part in OWN_PROSE:
                by_paragraph.setdefault((p.file, p.page, p.paragraph), []).append(k)

    def siblings(m: Match) -> list[int]:
        """Rows of the other passages of the match's paragraph."""
        p = m.passage
        return [k for k in by_paragraph.get((p.file, p.page, p.paragraph), []) if passages[k].id != p.id]

    texts = {m.passage.id: m.passage.text for i in todo for m in deciding(evidence[i])}
    ids = list(texts)
    flags = concrete_texts([texts[k] for k in ids], rubric, [p.text for p in passages], load_nlp, setting_min_passages,
                           occurrences_are_general, when_is_general, rubric_acronyms)
    concrete = {pid for pid, yes in zip(ids, flags) if yes}
    # A sibling must say more than when: "I shared curriculum updates with staff in my September 5
    # newsletter" after "We value teacher feedback" dates a thin claim and shows nothing of it.
    rest = {passages[k].id: passages[k].text for i in todo for m in deciding(evidence[i]) for k in siblings(m)}
    rest_ids = list(rest)
    said = {pid for pid, yes in zip(rest_ids, concrete_texts(
        [rest[k] for k in rest_ids], rubric, [p.text for p in passages], load_nlp, setting_min_passages,
        occurrences_are_general, when_is_general, rubric_acronyms, dates_are_general=True)) if yes}
    judge_about = about_margin is not None and raw_scores is not None and raw_scores.size > 0
    row_of = {p.id: k for k, p in enumerate(passages)} if judge_about else {}
    column = {d.id: j for j, (_, d) in enumerate(rubric.details())}  # raw_scores' columns: rubric order

    def about(m: Match, detail_id: str) -> bool:
        if not judge_about:
            return True
        k, j = row_of.get(m.passage.id), column.get(detail_id)
        if k is None or j is None:
            return True
        return float(raw_scores[k, j]) >= float(raw_scores[k].max()) - about_margin  # type: ignore[index,operator]

    def paragraph_says(m: Match, detail_id: str) -> bool:
        j = column.get(detail_id)
        return j is not None and any(
            passages[k].id in said and float(raw_scores[k, j]) >= paragraph_min  # type: ignore[index,operator]
            and float(raw_scores[k, j]) >= float(raw_scores[k].max()) - paragraph_about  # type: ignore[index]
            for k in siblings(m))

    def lends(m: Match, ev: DetailEvidence) -> bool:
        # only a met detail is judged this way: a weak one is below the met threshold throughout,
        # and its reflection passages are judged by whether they name anything at all
        return prose_lends_min is None or ev.status != Status.MET or m.passage.part not in OWN_PROSE \
            or m.score >= prose_lends_min

    out = list(evidence)
    for i in todo:
        ev = out[i]
        if any(m.passage.id in concrete and about(m, ev.detail_id) and lends(m, ev) for m in deciding(ev)):
            continue
        if by_paragraph and any(paragraph_says(m, ev.detail_id) for m in deciding(ev)):
            continue
        if reflection_only(ev):
            out[i] = replace(ev, status=Status.MISSING, evidence=(), closest=ev.evidence[0],
                             features={**ev.features, "general_only": 1.0, "reflection_only": 1.0})
        else:
            out[i] = replace(ev, status=Status.WEAK, features={**ev.features, "general_only": 1.0})
    return out


__all__ = ["concrete_texts", "general_only"]
