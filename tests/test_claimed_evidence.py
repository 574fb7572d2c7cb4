"""A detail the self-analysis claims, with a passage about it under the weak threshold, is weak; a
detail no row cites, found only in passages as much about another detail, is missing."""

from __future__ import annotations

import numpy as np

from screening.claimed_evidence import (CLAIM_MATCH, CLAIMED_ONLY, GENERAL_CLAIM, UNCLAIMED_SHARED, cited_details,
                                       claimed_details, claimed_weak, generally_claimed, located_by_claim,
                                       unclaimed_missing)
from screening.mapping import DetailEvidence, Match, Status
from screening.passages import Passage
from screening.selfanalysis import Citation, SelfAnalysis


def _passage(text: str, part: str = "narrative", file: str = "narrative.md", *sentences: str) -> Passage:
    return Passage(id=text, file=file, file_sha256="0" * 64, part=part, page=None, char_start=0,
                   char_end=len(text), text=text, words=len(text.split()), sentences=sentences or (text,))


def _evidence(detail: str, score: float | None, eo: str | None = None, **features: float) -> DetailEvidence:
    closest = None if score is None else Match(_passage(f"passage for {detail}"), score)
    return DetailEvidence(eo=eo or detail.split(".")[0], detail_id=detail, text="…", derived=True, status=Status.MISSING,
                          best_score=score, evidence=(), closest=closest, features=dict(features))


def _row(*details: str, explanation: str = "We value teachers' feedback.") -> Citation:
    return Citation(row=2, detail_ids=details, target_raw=", ".join(details), artifact_raw="narrative",
                    locations=(), unparsed_locations=(), explanation=explanation)


def test_a_claimed_detail_with_a_passage_about_it_is_weak_and_an_unclaimed_one_stays_missing(pl_rubric):
    eo3 = tuple(d.id for eo, d in pl_rubric.details() if eo.id == "3")
    assert len(eo3) > 1
    rows = (_row("1.1", "1.2"), _row("2.1"), _row(*eo3))  # the last: one row for all of EO 3
    claimed = claimed_details([SelfAnalysis(citations=rows, columns={}, problems=())], pl_rubric)
    assert claimed == {"1.1", "1.2", "2.1"}  # a row for a whole EO claims the EO, not each detail
    evidence = [
        _evidence("1.1", 0.48),  # claimed, a passage more about it than any other detail: weak
        _evidence("1.2", 0.31),  # claimed, but the passage is too far from it: still missing
        _evidence("1.3", 0.55),  # no row: the passage is incidental, the detail missing
        _evidence("2.1", None),  # claimed, no passage is about it at all
        _evidence("2.2", 0.50, reflection_only=1.0),  # only the reflection, in general terms: judged already
    ]
    out = {ev.detail_id: ev for ev in claimed_weak(evidence, claimed | {"2.2"}, 0.40)}
    assert {d: ev.status for d, ev in out.items()} == {
        "1.1": Status.WEAK, "1.2": Status.MISSING, "1.3": Status.MISSING, "2.1": Status.MISSING, "2.2": Status.MISSING}
    assert out["1.1"].features[CLAIMED_ONLY] == 1.0
    assert [m.passage.text for m in out["1.1"].evidence] == ["passage for 1.1"]  # the flag points at it
    assert claimed_weak(evidence, claimed, None) == evidence


def test_the_weak_flag_says_the_detail_is_claimed_and_the_eo_is_not_counted_as_addressed(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    details = [(eo.id, d.id) for eo, d in pl_rubric.details()]
    evidence = claimed_weak([_evidence(d, 0.45, eo) for eo, d in details], {d for _, d in details},
                            settings.mapping.claimed_weak_min)
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=tuple(evidence), words_by_part={})
    flags = EvidenceStatus().run(ctx)
    assert {f.code for f in flags} == {"weak_evidence"}
    # every detail is weak only by its row: nothing the screener found makes the EO evidenced as a
    # whole, so its derived details' flags stay warnings, not guidance
    assert {f.severity for f in flags} == {None}
    assert all("the self-analysis claims it" in f.params["why"] for f in flags)


def test_an_uncited_detail_found_only_in_passages_about_another_detail_is_missing(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    ids = [d.id for _, d in pl_rubric.details()]
    a, b, c = ids.index("1.1"), ids.index("1.2"), ids.index("1.3")
    shared, own, listed = _passage("shared"), _passage("own"), _passage("listed")
    passages = [shared, own, listed]
    raw = np.full((len(passages), len(ids)), 0.2)
    raw[0, a], raw[0, b] = 0.60, 0.72  # "shared" is clearly more about 1.2 than about any other detail
    raw[1, c], raw[1, b] = 0.70, 0.50  # "own" is about 1.3
    raw[2, a] = 0.65  # "listed" is about 1.1

    def met(detail: str, passage: Passage) -> DetailEvidence:
        return DetailEvidence(eo=detail.split(".")[0], detail_id=detail, text="…", derived=True, status=Status.MET,
                              best_score=0.66, evidence=(Match(passage, 0.66),), closest=Match(passage, 0.66))
    evidence = [met("1.1", listed), met("1.2", shared), met("1.3", own)]  # rubric order
    cited = cited_details([SelfAnalysis(citations=(_row("1.1"), _row("2.1")), columns={}, problems=())])
    assert cited == {"1.1", "2.1"}
    assert [ev.status for ev in unclaimed_missing(evidence, cited, passages, raw, 0.03)] == [Status.MET] * 3
    # "shared" turns out as much about 1.1 (within the margin): with no row to claim 1.2, its
    # only passage is the candidate's evidence for 1.1
    raw[0, a] = 0.70
    out = {ev.detail_id: ev for ev in unclaimed_missing(evidence, cited, passages, raw, 0.03)}
    assert out["1.2"].status == Status.MISSING and out["1.2"].features[UNCLAIMED_SHARED] == 1.0
    assert out["1.2"].closest.passage.text == "shared" and out["1.2"].evidence == ()
    assert out["1.3"].status == Status.MET
    # a row cites 1.2: the screener's reading stands
    assert unclaimed_missing(evidence, cited | {"1.2"}, passages, raw, 0.03) == evidence
    # no self-analysis read, or the rule off: unchanged
    assert unclaimed_missing(evidence, set(), passages, raw, 0.03) == evidence
    assert unclaimed_missing(evidence, cited, passages, raw, None) == evidence
    # a rubric of one detail: no other detail for a passage to be about
    assert unclaimed_missing([evidence[1]], {"2.1"}, passages, raw[:, [b]], 0.03) == [evidence[1]]
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=(out["1.2"],), words_by_part={})
    flag = next(f for f in EvidenceStatus().run(ctx) if f.detail_id == "1.2")
    assert flag.code == "missing_evidence" and "No row of the self-analysis cites it" in flag.params["closest"]


def test_a_claimed_detail_near_a_passage_about_another_detail_is_weak(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    ids = [d.id for _, d in pl_rubric.details()]
    teams, far = _passage("our PLCs let each team pick its own focus"), _passage("the bus schedule")
    raw = np.full((2, len(ids)), 0.2)
    raw[0, ids.index("1.1")], raw[0, ids.index("1.2")] = 0.70, 0.55  # more about 1.1, near 1.2
    evidence = [_evidence(d, None) for d in ids]  # nothing more about any detail than about the others
    out = {ev.detail_id: ev for ev in claimed_weak(evidence, {"1.2", "1.3"}, 0.40, [teams, far], raw, 0.50)}
    assert out["1.2"].status == Status.WEAK and out["1.2"].evidence[0].passage is teams
    assert out["1.3"].status == Status.MISSING  # claimed, but nothing comes near it
    assert out["1.1"].status == Status.MISSING  # not claimed: similarity alone decides
    assert claimed_weak(evidence, {"1.2"}, 0.40, [teams, far], raw, None)[ids.index("1.2")].status == Status.MISSING
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=(out["1.2"],), words_by_part={})
    flag = next(f for f in EvidenceStatus().run(ctx) if f.detail_id == "1.2")
    assert flag.code == "weak_evidence" and "the self-analysis claims it" in flag.params["why"]


class _Vectors:
    """An embedder of fixed unit vectors, one per text: the rule's logic without a model's scores."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = {t: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for t, v in vectors.items()}

    def encode(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def test_a_claimed_detail_is_shown_at_the_sentence_its_row_describes(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    ids = [d.id for _, d in pl_rubric.details()]
    i = ids.index("3.3")
    said = "Teachers could choose the learning that fit their needs."
    planning = _passage("The biggest change is that I stopped planning alone.", part="reflection", file="reflection.md")
    own, deck = _passage(said), _passage("Choose the learning that fits your needs", part="portfolio", file="deck.pdf")
    row = "Teachers chose learning that fit their needs."
    embedder = _Vectors({said: [1, 0.1, 0], planning.text: [0, 1, 0], deck.text: [1, 0, 0], row: [1, 0, 0],
                         "Our plan has it.": [0, 0, 1]})
    raw = np.full((3, len(ids)), 0.2)
    raw[0, i], raw[1, i], raw[2, i] = 0.55, 0.45, 0.50  # the reflection's sentence is the nearest to the detail
    evidence = [_evidence(d, None) for d in ids]
    evidence = claimed_weak(evidence, {"3.3"}, 0.40, [planning, own, deck], raw, 0.50)
    assert evidence[i].evidence[0].passage is planning
    analyses = [SelfAnalysis(citations=(_row("3.3", explanation=row),), columns={}, problems=())]
    out = located_by_claim(evidence, analyses, pl_rubric, [planning, own, deck], raw, embedder, 0.65)
    # the candidate's own sentence, not the artifact line that says the same: weak evidence is
    # the candidate's claim, and an artifact would have made the detail met
    assert out[i].status == Status.WEAK and out[i].evidence[0].passage is own
    assert out[i].best_score == 0.45 and out[i].features[CLAIM_MATCH] > 0.65
    assert [ev for k, ev in enumerate(out) if k != i] == [ev for k, ev in enumerate(evidence) if k != i]
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=(out[i],), words_by_part={})
    flag = next(f for f in EvidenceStatus().run(ctx) if f.detail_id == "3.3")
    assert flag.file == "narrative.md" and "the passage that says what its row says (narrative.md" in flag.params["why"]
    # the sentence the row restates may restate the rubric too: it is shown as such, not with a score
    from screening.echo import Echo, EchoAssessment

    echo = Echo(own, EchoAssessment(0.8, 0.5, 6, (), "3.3", True))
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=(out[i],), words_by_part={}, echoes=(echo,))
    flag = next(f for f in EvidenceStatus().run(ctx) if f.detail_id == "3.3")
    assert "restates the rubric's wording" in flag.params["why"] and "scored" not in flag.params["why"]
    # a row saying nothing like any passage, a row for the whole EO, or the rule off: the nearest passage stays
    vague = [SelfAnalysis(citations=(_row("3.3", explanation="Our plan has it."),), columns={}, problems=())]
    eo3 = tuple(d.id for eo, d in pl_rubric.details() if eo.id == "3")
    whole = [SelfAnalysis(citations=(_row(*eo3, explanation=row),), columns={}, problems=())]
    for analyses_, least in ((vague, 0.65), (whole, 0.65), (analyses, None)):
        assert located_by_claim(evidence, analyses_, pl_rubric, [planning, own, deck], raw, embedder, least) == evidence


def test_the_row_wording_finds_the_candidates_sentence_with_the_bundled_model(pl_rubric, settings):
    from screening.embedding import get_embedder

    ids = [d.id for _, d in pl_rubric.details()]
    i = ids.index("3.3")
    passages = [
        _passage("Impact on my practice The biggest change in my practice is that I stopped planning professional "
                 "learning alone.", part="reflection", file="reflection.md"),
        _passage("We also try to meet each teacher where they are. Teachers could choose the learning that fit their "
                 "needs, and we tried to make sure everyone was growing.", "narrative", "narrative.md",
                 "We also try to meet each teacher where they are.",
                 "Teachers could choose the learning that fit their needs, and we tried to make sure everyone was growing."),
        _passage("In October the committee moved the late-start sessions to Wednesdays so that coaches could attend."),
    ]
    raw = np.full((3, len(ids)), 0.2)
    raw[0, i] = 0.55
    evidence = claimed_weak([_evidence(d, None) for d in ids], {"3.3"}, 0.40, passages, raw, 0.50)
    analyses = [SelfAnalysis(citations=(_row("3.3", explanation="Teachers chose learning that fit their needs."),),
                             columns={}, problems=())]
    out = located_by_claim(evidence, analyses, pl_rubric, passages, raw, get_embedder(settings),
                           settings.mapping.claimed_location_min)
    assert out[i].evidence[0].passage is passages[1]


def test_a_met_detail_whose_row_offers_the_general_sentence_is_weak(pl_rubric, settings):
    from screening.checks.base import ScreeningContext
    from screening.checks.evidence import EvidenceStatus

    general = _passage("We also talked about formative assessment in the classroom.")
    card_sort = _passage("Sarah Pohlman and I led a card sort of our 31 assessments.")  # about a neighbouring detail
    agenda = _passage("Aug 11: formative assessment - exit tickets, hinge questions", "portfolio", "agenda.pdf")
    row = "The August PD included formative assessment in the classroom."
    dated = "At the August 11 PD, 22 teachers wrote exit tickets for formative assessment in the classroom."
    embedder = _Vectors({general.text: [1, 0.2], row: [1, 0.1], dated: [1, 0.15], "Our plan has it.": [0, 1]})
    concrete = {general.text: False, row: False, card_sort.text: True, dated: True, "Our plan has it.": False}

    def judge(texts):
        return [concrete[t] for t in texts]

    def met(*matches: Match) -> DetailEvidence:
        return DetailEvidence(eo="1", detail_id="1.2", text="…", derived=True, status=Status.MET,
                              best_score=matches[0].score, evidence=matches, closest=matches[0])

    def analyses(explanation: str, *details: str) -> list[SelfAnalysis]:
        return [SelfAnalysis(citations=(_row(*(details or ("1.2",)), explanation=explanation),), columns={},
                             problems=())]

    ev = met(Match(general, 0.81), Match(card_sort, 0.66))
    out = generally_claimed([ev], analyses(row), pl_rubric, [general, card_sort], embedder, judge, 0.65, 0.62)
    assert out[0].status == Status.WEAK and out[0].features[GENERAL_CLAIM] > 0.65
    assert out[0].evidence[0].passage is general  # the flag points at the sentence the row offers
    ctx = ScreeningContext(rubric=pl_rubric, settings=settings, files=(), ignored=(), passages=(),
                           evidence=tuple(out), words_by_part={})
    flag = next(f for f in EvidenceStatus().run(ctx) if f.detail_id == "1.2")
    assert flag.code == "weak_evidence" and "its row in the self-analysis names no person" in flag.params["why"]
    unchanged = [
        # the row names a particular: the candidate points at something an assessor can check
        (ev, analyses(dated)),
        # the row says something else
        (ev, analyses("Our plan has it.")),
        # an artifact passage at the met level evidences the detail beyond the candidate's claim
        (met(Match(general, 0.81), Match(agenda, 0.66)), analyses(row)),
        # a row for the whole EO claims the EO, not this detail
        (ev, analyses(row, *(d.id for eo, d in pl_rubric.details() if eo.id == "1"))),
    ]
    for evidence, rows in unchanged:
        assert generally_claimed([evidence], rows, pl_rubric, [general, card_sort, agenda], embedder, judge, 0.65,
                                 0.62) == [evidence]
    assert generally_claimed([ev], analyses(row), pl_rubric, [general, card_sort], embedder, judge, None, 0.62) == [ev]
    # a row that only dates the general sentence's occasion offers it all the same, where dates are no particulars
    dated_only = "The August 12 agenda has formative assessment in the classroom."
    embedder.vectors[dated_only] = embedder.vectors[row]
    concrete[dated_only] = True

    def dates_general(texts):
        return [False if t == dated_only else concrete[t] for t in texts]
    assert generally_claimed([ev], analyses(dated_only), pl_rubric, [general, card_sort], embedder, judge, 0.65,
                             0.62) == [ev]
    out = generally_claimed([ev], analyses(dated_only), pl_rubric, [general, card_sort], embedder, judge, 0.65, 0.62,
                            dates_general)
    assert out[0].status == Status.WEAK
