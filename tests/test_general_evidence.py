"""A detail that only general statements in the candidate's own words address is weak, not
met: similarity says the passage is about the detail, not that it shows anything."""

from __future__ import annotations

import pytest

from screening.general_evidence import general_only
from screening.mapping import DetailEvidence, Match, Status
from screening.passages import Passage

GENERAL = "Trust matters a great deal to me. Teachers know my door is always open and that I value their input."
CONCRETE = ("In the May 2025 survey 41 of 46 teachers asked for common planning time, and Ms. Ortega's team "
            "rewrote the grade 7 pacing guide in June.")


def _passage(pid: str, text: str, part: str = "narrative") -> Passage:
    return Passage(id=pid, file=f"{part}.md", file_sha256="0" * 64, part=part, page=None, char_start=0,
                   char_end=len(text), text=text, words=len(text.split()))


def _met(detail_id: str, *passages: Passage) -> DetailEvidence:
    return DetailEvidence(eo="1", detail_id=detail_id, text="", derived=True, status=Status.MET, best_score=0.7,
                          evidence=tuple(Match(p, 0.7 - 0.01 * i) for i, p in enumerate(passages)), closest=None)


@pytest.fixture
def nlp(settings):
    from screening.models import spacy_entity_pipeline

    return spacy_entity_pipeline(settings.models)


@pytest.mark.models
def test_general_prose_alone_is_weak_and_a_particular_or_an_artifact_keeps_it_met(pl_rubric, nlp):
    general, concrete = _passage("g", GENERAL), _passage("c", CONCRETE)
    artifact = _passage("a", "Teachers share their ideas about the plan with the team.", part="portfolio")
    evidence = [
        _met("1.1", general),
        _met("1.2", general, concrete),
        _met("1.3", general, artifact),
        _met("1.4", _passage("r", "I learned that teachers want to be heard.", part="reflection")),
    ]
    out = general_only(evidence, [general, concrete, artifact], pl_rubric, lambda: nlp, 3)
    assert [e.status for e in out] == [Status.WEAK, Status.MET, Status.MET, Status.WEAK]
    assert out[0].features["general_only"] == 1.0 and "general_only" not in out[1].features


@pytest.mark.models
def test_the_submissions_own_school_is_its_setting_not_a_particular(pl_rubric, nlp):
    """A school named all through a submission pins nothing down that "our school" would not."""
    school = _passage("s", "At Lakeview Middle School teachers know my door is always open.")
    others = [_passage(f"o{i}", f"Lakeview Middle School serves families well ({i}).") for i in range(3)]
    out = general_only([_met("1.1", school)], [school, *others], pl_rubric, lambda: nlp, 3)
    assert out[0].status == Status.WEAK
    # named once, it is a particular the candidate chose to give
    out = general_only([_met("1.1", school)], [school], pl_rubric, lambda: nlp, 3)
    assert out[0].status == Status.MET


def test_rubrics_without_a_portfolio_and_unmet_details_are_left_alone(pl_rubric):
    """A short-answer question has no artifacts and is answered in general terms by design; no
    spaCy is loaded when nothing rests on prose alone."""
    def no_nlp():  # pragma: no cover - must not be called
        raise AssertionError("spaCy loaded")

    general = _passage("g", GENERAL)
    short_answer = pl_rubric.model_copy(update={"parts": tuple(p for p in pl_rubric.parts if p.kind != "portfolio")})
    assert general_only([_met("1.1", general)], [general], short_answer, no_nlp, 3)[0].status == Status.MET
    weak = DetailEvidence(eo="1", detail_id="1.1", text="", derived=True, status=Status.WEAK, best_score=0.6,
                          evidence=(Match(general, 0.6),), closest=None)
    assert general_only([weak], [general], pl_rubric, no_nlp, 3) == [weak]


@pytest.mark.models
def test_a_dated_event_that_only_took_place_is_general_and_what_happened_there_is_not(pl_rubric, nlp):
    # independent corpus dev16: weak evidence written as a date and a title
    held = _passage("h", "We held our mid-year PL check-in on January 13 and completed the PL Monitoring Log.")
    did = _passage("d", "On January 13 teachers compared the walkthrough data with the plan's targets and moved the "
                        "coaching cycles to grade 7.")
    out = general_only([_met("1.1", held), _met("1.2", did)], [held, did], pl_rubric, lambda: nlp, 3)
    assert [e.status for e in out] == [Status.WEAK, Status.MET]
    out = general_only([_met("1.1", held)], [held], pl_rubric, lambda: nlp, 3, occurrences_are_general=False)
    assert out[0].status == Status.MET


@pytest.mark.models
def test_a_detail_only_the_reflection_speaks_of_in_general_terms_is_missing(pl_rubric, nlp):
    # The reflection says what the candidate learned; "I now see assessment as a system" is no
    # evidence of the practice. A reflection naming a particular, or a narrative passage beside
    # it, keeps the detail weak or met as before.
    learned = _passage("r", "I now see that trust is built one conversation at a time.", part="reflection")
    dated = _passage("d", "In May 41 of 46 teachers asked me for common planning time.", part="reflection")
    weak = [_met("1.1", learned), _met("1.2", dated), _met("1.3", learned, _passage("g", GENERAL))]
    weak = [DetailEvidence(**{**e.__dict__, "status": Status.WEAK}) for e in weak]
    out = general_only([*weak, _met("1.4", learned)], [learned, dated], pl_rubric, lambda: nlp, 3,
                       reflection_is_missing=True)
    assert [e.status for e in out] == [Status.MISSING, Status.WEAK, Status.WEAK, Status.MISSING]
    assert out[0].evidence == () and out[0].closest is not None and out[0].features["reflection_only"] == 1.0
    off = general_only(weak, [learned, dated], pl_rubric, lambda: nlp, 3)
    assert [e.status for e in off] == [Status.WEAK, Status.WEAK, Status.WEAK]


@pytest.mark.models
def test_at_the_met_level_a_loose_artifact_passage_does_not_keep_a_general_detail_met(pl_rubric, nlp):
    general, concrete = _passage("g", GENERAL), _passage("c", CONCRETE)
    artifact = _passage("a", "Teachers share their ideas about the plan with the team.", part="portfolio")

    def met(detail_id: str, *scored: tuple[Passage, float]) -> DetailEvidence:
        return DetailEvidence(eo="1", detail_id=detail_id, text="", derived=True, status=Status.MET, best_score=0.7,
                              evidence=tuple(Match(p, s) for p, s in scored), closest=None)

    evidence = [met("1.1", (general, 0.70), (artifact, 0.60)),  # the artifact only loosely about it
                met("1.2", (general, 0.70), (artifact, 0.65)),  # the artifact at the met level
                met("1.3", (general, 0.70), (concrete, 0.60))]  # a particular, but loosely about it
    judged = general_only(evidence, [general, concrete, artifact], pl_rubric, lambda: nlp, 3, met_threshold=0.62)
    assert [e.status for e in judged] == [Status.WEAK, Status.MET, Status.WEAK]
    everything = general_only(evidence, [general, concrete, artifact], pl_rubric, lambda: nlp, 3)
    assert [e.status for e in everything] == [Status.MET, Status.MET, Status.MET]


@pytest.mark.models
def test_with_the_about_margin_a_particular_about_another_detail_does_not_keep_a_general_detail_met(pl_rubric, nlp):
    import numpy as np

    general, concrete = _passage("g", GENERAL), _passage("c", CONCRETE)
    evidence = [_met("1.1", general, concrete), _met("1.2", general, concrete)]
    # raw scores, passages × details in rubric order: the concrete passage is most about 1.2
    raw = np.full((2, len(pl_rubric.details())), 0.3)
    raw[0, 0] = raw[0, 1] = 0.7
    raw[1, 0], raw[1, 1] = 0.60, 0.72
    judged = general_only(evidence, [general, concrete], pl_rubric, lambda: nlp, 3, raw_scores=raw, about_margin=0.05)
    assert [e.status for e in judged] == [Status.WEAK, Status.MET]
    assert [e.status for e in general_only(evidence, [general, concrete], pl_rubric, lambda: nlp, 3,
                                           raw_scores=raw)] == [Status.MET, Status.MET]


@pytest.mark.models
def test_a_date_alone_says_when_not_what_and_a_count_or_a_name_says_more(pl_rubric, nlp):
    # independent corpus dev19: "In September we followed up with a second session …"
    when = _passage("w", "In September we followed up with a second session on feedback, and teachers have been "
                         "sharing their ideas about the plan since then.")
    count = _passage("n", "In September 14 of our 22 teachers asked for a second session on feedback, and we added it.")
    named = _passage("p", "In September Ms. Okafor asked for a second session on feedback, and we added it.")
    evidence = [_met("1.1", when), _met("1.2", count), _met("1.3", named)]
    passages = [when, count, named]
    assert [e.status for e in general_only(evidence, passages, pl_rubric, lambda: nlp, 3)] == [Status.MET] * 3
    out = general_only(evidence, passages, pl_rubric, lambda: nlp, 3, when_is_general=True)
    assert [e.status for e in out] == [Status.WEAK, Status.MET, Status.MET]


@pytest.mark.models
def test_an_abbreviation_of_the_rubrics_own_phrase_is_no_name(pl_rubric, nlp):
    # independent corpus dev17: "… one of the topics on our PD calendar" (an assessment MC)
    from screening.echo import RubricWording

    assert {"PL", "PLC"} <= RubricWording.of(pl_rubric).acronyms
    abbreviated = _passage("a", "Feedback was one of the topics of our PL team, and teachers know their ideas matter.")
    named = _passage("b", "Feedback was one of the topics of the Cardinal team, and teachers know their ideas matter.")
    evidence = [_met("1.1", abbreviated), _met("1.2", named)]
    assert [e.status for e in general_only(evidence, [abbreviated, named], pl_rubric, lambda: nlp, 3)] \
        == [Status.MET, Status.MET]
    out = general_only(evidence, [abbreviated, named], pl_rubric, lambda: nlp, 3, rubric_acronyms=True)
    assert [e.status for e in out] == [Status.WEAK, Status.MET]


@pytest.mark.models
def test_a_length_said_in_words_is_as_particular_as_in_digits(pl_rubric, nlp):
    # the test fixture's full submission: a weekday beside a length in words stays a particular
    block = _passage("b", "Each grade-level team now has a protected fifty-minute collaboration block every Wednesday, "
                          "with a shared agenda protocol.")
    out = general_only([_met("1.1", block)], [block], pl_rubric, lambda: nlp, 3, when_is_general=True)
    assert out[0].status == Status.MET


@pytest.mark.models
def test_a_text_that_only_dates_an_occasion_is_general_where_dates_are_no_particulars(pl_rubric, nlp):
    from screening.general_evidence import concrete_texts

    texts = ["The August 12 agenda includes a block on formative assessment strategies.",
             "Kemi Oyelaran and I led 22 teachers through a card sort on August 12."]
    assert concrete_texts(texts, pl_rubric, texts, lambda: nlp, 3, True, True, True) == [True, True]
    assert concrete_texts(texts, pl_rubric, texts, lambda: nlp, 3, True, True, True, dates_are_general=True) == [False, True]


@pytest.mark.models
def test_a_topic_sentence_is_judged_with_the_rest_of_its_paragraph(pl_rubric, nlp):
    # bench/independent (test153 plearn-349 and 145 more): "Teachers identified our needs." opens
    # a paragraph that goes on with the survey and its counts; the topic sentence, joined to the
    # heading above it, scores highest for the detail, and the paragraph is the evidence
    import numpy as np
    from dataclasses import replace

    topic = _passage("t", "Teachers design and lead the program Teachers identified our needs.")
    rest = replace(_passage("r", CONCRETE), char_start=70)
    elsewhere = replace(_passage("e", CONCRETE), paragraph=5)
    raw = np.full((3, len(pl_rubric.details())), 0.3)
    raw[0, 0], raw[1, 0], raw[2, 0] = 0.71, 0.60, 0.60
    evidence = [_met("1.1", topic)]

    def judged(passages, scores, paragraph_min=0.35):
        return general_only(evidence, passages, pl_rubric, lambda: nlp, 3, raw_scores=scores,
                            paragraph_min=paragraph_min, paragraph_about=0.02)[0].status

    assert judged([topic, rest, elsewhere], raw) == Status.MET
    assert judged([topic, rest, elsewhere], raw, None) == Status.WEAK  # each passage alone, as before
    # the same particulars in another paragraph say nothing of this one
    assert judged([topic, elsewhere], raw[[0, 2]]) == Status.WEAK
    # nor does a paragraph whose particulars are about another detail, or about none
    other = raw.copy()
    other[1, 0], other[1, 1] = 0.40, 0.55
    assert judged([topic, rest, elsewhere], other) == Status.WEAK
    other[1, 0], other[1, 1] = 0.30, 0.30
    assert judged([topic, rest, elsewhere], other) == Status.WEAK
    # a sibling that only dates a thin claim shows nothing of it (bench/independent dev22)
    dated = replace(_passage("d", "I shared curriculum updates with staff in my September 5 newsletter."), char_start=70)
    assert judged([topic, dated, elsewhere], raw) == Status.WEAK


@pytest.mark.models
def test_a_general_claim_copied_onto_an_artifact_is_still_the_candidates_prose(pl_rubric, nlp):
    # bench/independent test155 (read after its run): the narrative's general sentence is also
    # the only line about the detail on the blueprint's last page
    claim = "Our teams always make sure our tests are rigorous and match the way we teach."
    said = _passage("n", GENERAL + " " + claim)
    copied = _passage("a", claim, part="portfolio")
    other = _passage("o", "Teachers share their ideas about the plan with the team.", part="portfolio")
    evidence = [_met("1.1", said, copied), _met("1.2", said, other)]
    passages = [said, copied, other]
    judged = general_only(evidence, passages, pl_rubric, lambda: nlp, 3, copied_artifacts=True)
    assert [e.status for e in judged] == [Status.WEAK, Status.MET]  # a document of its own keeps 1.2 met
    assert [e.status for e in general_only(evidence, passages, pl_rubric, lambda: nlp, 3)] == [Status.MET, Status.MET]


@pytest.mark.models
def test_a_concrete_prose_sentence_below_the_met_level_lends_nothing_but_an_artifact_does(pl_rubric, nlp):
    # independent corpus test181 (read after its one run): a general claim about acting on teachers'
    # feedback, kept met by a reflection sentence naming a colleague that is about walkthroughs
    general = _passage("g", GENERAL)
    loose = _passage("c", CONCRETE, part="reflection")
    artifact = _passage("a", CONCRETE, part="portfolio")

    def met(*matches: tuple[Passage, float]) -> DetailEvidence:
        return DetailEvidence(eo="1", detail_id="1.1", text="", derived=True, status=Status.MET, best_score=0.8,
                              evidence=tuple(Match(p, s) for p, s in matches), closest=None)

    def judged(ev: DetailEvidence, lends: float | None) -> Status:
        return general_only([ev], [general, loose, artifact], pl_rubric, lambda: nlp, 3, prose_lends_min=lends)[0].status

    assert judged(met((general, 0.8), (loose, 0.59)), 0.62) == Status.WEAK
    assert judged(met((general, 0.8), (loose, 0.59)), None) == Status.MET
    assert judged(met((general, 0.8), (loose, 0.66)), 0.62) == Status.MET  # about the detail: it counts
    assert judged(met((general, 0.8), (artifact, 0.59)), 0.62) == Status.MET  # a document keeps it met
    # a weak detail is below the met threshold throughout: a reflection passage that names someone
    # keeps it weak, as without the rule (only a general one makes it missing)
    weak = DetailEvidence(eo="1", detail_id="1.1", text="", derived=True, status=Status.WEAK, best_score=0.6,
                          evidence=(Match(loose, 0.6),), closest=None)
    assert general_only([weak], [loose], pl_rubric, lambda: nlp, 3, reflection_is_missing=True,
                        prose_lends_min=0.62)[0].status == Status.WEAK
