"""Rubric echo: passages that restate the rubric are flagged and do not count as evidence;
genuine evidence that shares the rubric's vocabulary is neither flagged nor discounted."""

from __future__ import annotations

import pytest

from screening.echo import RubricWording, _stem, assess_texts, content_stems
from screening.pipeline import screen
from screening.settings import EchoSettings
from screening.submission import from_folder

from .fixtures.pl_by_eo import write_submission


def test_stemmer_joins_inflections_and_spellings():
    assert _stem("engages") == _stem("engaged") == _stem("engaging") == _stem("engage")
    assert _stem("analyse") == _stem("analyze") and _stem("analysing") == _stem("analyzing")
    assert _stem("collaboratively") == _stem("collaborative")


def test_content_stems_drop_stop_words_and_filler():
    assert content_stems("I strongly believe it is essential to always ensure trust") == [_stem("trust")]


def test_rubric_wording_shares(pl_rubric):
    wording = RubricWording.of(pl_rubric)
    detail = pl_rubric.detail("1.4")
    word_share, phrase_share, n, closest = wording.shares(detail.text)
    assert word_share == 1.0 and phrase_share == 1.0 and closest == "1.4" and n > 3
    word_share, *_ = wording.shares("Lunch duty rotates among the custodians on Fridays in the gym.")
    assert word_share < 0.3


ECHOES = [
    # verbatim detail 1.4, light paraphrase of 2.1, rubric phrases with filler, a future promise
    "The principal establishes structures and time for teachers to collaborate.",
    "Teachers take part in identifying our professional learning needs through needs surveys and team data reviews.",
    "I strongly believe it is essential to build trust among staff through shared norms, transparency and follow-through.",
    "In the future I will make sure our professional learning plan has implementation timelines and monitoring.",
]
GENUINE_WITH_RUBRIC_WORDS = [
    "To establish structures and time for teachers to collaborate, I rebuilt the master schedule in May 2025 so "
    "all six grade-level teams share a 50-minute planning block every Wednesday.",
    "Teachers took part in identifying our professional learning needs: 43 of 46 staff completed the needs survey "
    "in April and the Grade 7 team reviewed MAP Growth data with me.",
    "I build trust through follow-through: at each faculty meeting Ms. Ortega reads back the decisions from the "
    "log, and the pulse survey rose from 52% to 85%.",
]


@pytest.mark.models
def test_echo_judged_by_particulars_not_vocabulary(pl_rubric, settings):
    from screening.models import spacy_entity_pipeline

    nlp = spacy_entity_pipeline(settings.models)
    echoes = assess_texts(ECHOES, pl_rubric, nlp, settings.echo)
    assert [a.is_echo for a in echoes] == [True] * len(ECHOES)
    assert all(a.particulars == () for a in echoes)
    genuine = assess_texts(GENUINE_WITH_RUBRIC_WORDS, pl_rubric, nlp, settings.echo)
    assert [a.is_echo for a in genuine] == [False] * len(genuine)
    # either its wording is its own, or it names particulars
    assert all(a.word_share < settings.echo.min_word_share or a.particulars for a in genuine)


def test_no_model_loads_when_nothing_looks_like_the_rubric(pl_rubric):
    texts = ["Lunch duty rotates among the custodians on Fridays in the gym and the cafeteria."]
    [a] = assess_texts(texts, pl_rubric, None, EchoSettings())
    assert not a.is_echo and a.particulars == ()


def _with_narrative_paragraphs(folder, extra: list[str]) -> None:
    narrative = folder / "narrative.txt"
    narrative.write_text(narrative.read_text().rstrip("\n") + "\n\n" + "\n\n".join(extra) + "\n")


@pytest.mark.models
def test_echo_paragraph_flagged_with_location_and_not_counted(tmp_path, pl_rubric, settings):
    layout = write_submission(tmp_path / "sub", exclude=frozenset({"4"}))  # EO 4's evidence is absent
    echo_text = ("I collaboratively develop a strategic professional learning plan with implementation timelines. "
                 "The plan has a monitoring process and an evaluation of its impact on teacher practice.")
    _with_narrative_paragraphs(layout.folder, [echo_text])
    report = screen(from_folder(layout.folder), pl_rubric, settings).report
    echoes = [f for f in report.flags if f.code == "rubric_echo"]
    assert len(echoes) == 1
    [flag] = echoes
    assert flag.file == "narrative.txt" and flag.part == "narrative"
    text = (layout.folder / "narrative.txt").read_text()
    start = text.index(echo_text[:40])
    assert flag.location.char_start == start and flag.location.char_end == start + len(echo_text)
    assert "paragraph 4" in flag.message and "not counted as evidence" in flag.message
    assert flag.eo == "4" and (flag.detail_id is None or flag.detail_id.startswith("4."))  # the EO it restates
    # the echo is nowhere among the evidence, and EO 4 (evidenced only by the echo) stays missing
    for d in report.details:
        assert all(echo_text[:40] not in ev.text for ev in d.evidence), d.id
    assert {d.id: d.status for d in report.details if d.eo == "4"} == {"4.1": "missing", "4.2": "missing", "4.3": "missing"}
    assert report.readiness.echo_passages == 1
    assert any("1 paragraph that restates the rubric" in fx.text for fx in report.readiness.fixes)


@pytest.mark.models
def test_genuine_evidence_sharing_rubric_words_counts(tmp_path, pl_rubric, settings):
    layout = write_submission(tmp_path / "sub", exclude=frozenset({"1"}))
    genuine = GENUINE_WITH_RUBRIC_WORDS[0]
    _with_narrative_paragraphs(layout.folder, [genuine])
    report = screen(from_folder(layout.folder), pl_rubric, settings).report
    assert [f for f in report.flags if f.code == "rubric_echo"] == []
    d14 = next(d for d in report.details if d.id == "1.4")
    assert d14.status in ("met", "weak") and any(genuine[:40] in ev.text for ev in d14.evidence)


@pytest.mark.models
def test_rubric_vocabulary_without_its_phrasing_is_a_note_not_a_warning(tmp_path, pl_rubric, settings):
    # Generic, in the field's words (which are the rubric's), but no phrase of the rubric copied:
    # still set aside as evidence, raised as info; the same paragraph is a warning once the
    # tier is switched off.
    generic = "Trust matters in our building, and teachers know they can take risks and share ideas with each other."
    layout = write_submission(tmp_path / "sub")
    _with_narrative_paragraphs(layout.folder, [generic])
    report = screen(from_folder(layout.folder), pl_rubric, settings).report
    [flag] = [f for f in report.flags if f.code == "rubric_echo"]
    assert flag.severity == "info" and "few of the rubric's phrases" in flag.message
    assert all(generic[:40] not in ev.text for d in report.details for ev in d.evidence)
    strict = settings.model_copy(update={"echo": settings.echo.model_copy(
        update={"warn_min_phrase_share": None, "warn_word_share_floor": None})})
    [warned] = [f for f in screen(from_folder(layout.folder), pl_rubric, strict).report.flags if f.code == "rubric_echo"]
    assert warned.severity == "warning"


@pytest.mark.models
def test_echo_check_can_be_turned_off(tmp_path, pl_rubric, settings):
    layout = write_submission(tmp_path / "sub")
    _with_narrative_paragraphs(layout.folder, [ECHOES[0]])
    on = screen(from_folder(layout.folder), pl_rubric, settings).report
    off_settings = settings.model_copy(update={"echo": EchoSettings(enabled=False)})
    off = screen(from_folder(layout.folder), pl_rubric, off_settings).report
    assert [f.code for f in on.flags].count("rubric_echo") == 1
    assert "rubric_echo" not in [f.code for f in off.flags]


def test_key_elements_kept_from_candidates_are_not_echo_material(pl_rubric):
    # A short-answer item's key elements are the marker's: an answer in their words found them
    # itself. Echo compares only with what the candidate sees (the question, the overview).
    detail = pl_rubric.details()[0][1]
    shown = RubricWording.of(pl_rubric)
    hidden = RubricWording.of(pl_rubric.model_copy(update={"details_shown_to_candidates": False}))
    only_in_detail = set(content_stems(detail.text)) - set(content_stems(
        " ".join([pl_rubric.overview] + [f"{eo.title}. {eo.text}" for eo in pl_rubric.essential_outcomes])))
    assert only_in_detail and only_in_detail <= shown.stems
    assert not (only_in_detail & hidden.stems)


@pytest.mark.models
def test_a_paragraph_that_narrates_what_happened_is_context_not_echo(pl_rubric, settings):
    # From an independently written reflection (bench/independent dev3): the field's vocabulary,
    # no names or numbers, but it tells what happened. Without the narration rule it is an echo.
    from screening.models import spacy_entity_pipeline

    nlp = spacy_entity_pipeline(settings.models)
    text = ("I have had to let go of leading every session. In past years I presented most of our professional "
            "learning myself. This year teachers led every session, and their sessions were better, because they "
            "used examples from their own classrooms.")
    [narrated] = assess_texts([text], pl_rubric, nlp, settings.echo)
    assert narrated.narrates and not narrated.is_echo
    [without] = assess_texts([text], pl_rubric, nlp, settings.echo.model_copy(update={"narration_min_past_verbs": None}))
    assert without.is_echo
    # the rule does not excuse a restatement in the present tense
    assert all(a.is_echo and not a.narrates for a in assess_texts(ECHOES, pl_rubric, nlp, settings.echo))


def test_a_question_a_heading_and_table_cells_are_not_prose_to_judge():
    from screening.echo import prose
    from screening.passages import Passage

    p = Passage(id="p", file="slides.pdf", file_sha256="0", part="portfolio", page=2, char_start=0, char_end=10,
                text="", words=20, sentences=("Formative, interim, summative: who uses the result, and when?",
                                              "Teachers sorted 18 assessments into the three columns."))
    assert prose(p) == "Teachers sorted 18 assessments into the three columns."
    # a plan table's column as extracted: cells without a stop (bench/independent dev5)
    cells = "Goal Lessons teach the learning targets in the pacing guide Every unit target has a matching assessment"
    p = Passage(id="p", file="plan.pdf", file_sha256="0", part="portfolio", page=1, char_start=0, char_end=10,
                text="", words=30, sentences=("Plan: Aligning Instruction (2025-26)", cells,
                                              "Unit plans with target-to-item tables on file: 26 of 29 EOC units."))
    assert prose(p) == "Unit plans with target-to-item tables on file: 26 of 29 EOC units."


def test_the_submissions_own_school_named_in_a_restatement_is_not_a_particular(pl_rubric, settings):
    # "Professional learning at Maple Hollow changes as ..." pins down no more than "our school"
    # would: a name the submission uses all through is its setting. Named once, it is a particular.
    from screening.echo import find_echoes
    from screening.models import spacy_entity_pipeline
    from screening.passages import Passage

    nlp = spacy_entity_pipeline(settings.models)

    def passage(i: int, text: str) -> Passage:
        return Passage(id=f"p{i}", file="narrative.md", file_sha256="0", part="narrative", page=None, paragraph=i,
                       char_start=0, char_end=len(text), text=text, words=len(text.split()), sentences=(text,))

    restating = ("Professional learning at Maple Hollow changes as students' needs change, in response to new "
                 "assessment results. Learning is ongoing and job-embedded, with coaching and follow-up.")
    others = ["Maple Hollow serves 410 students in grades K-5.", "In October the Maple Hollow team met twice.",
              "Our Maple Hollow staff surveyed 31 teachers in August."]
    passages = [passage(0, restating)] + [passage(i + 1, t) for i, t in enumerate(others)]
    assert [e.passage.id for e in find_echoes(passages, pl_rubric, lambda: nlp, settings.echo)] == ["p0"]
    assert find_echoes(passages[:1], pl_rubric, lambda: nlp, settings.echo) == []
    off = settings.echo.model_copy(update={"setting_min_passages": None})
    assert find_echoes(passages, pl_rubric, lambda: nlp, off) == []


def test_an_artifact_restating_the_rubric_is_set_aside_without_a_warning(pl_rubric):
    """A plan or minutes state the school's goals in the state's language on purpose: not the
    candidate's restatement to rewrite. It is an info note, and not a fix in the readiness list."""
    import numpy as np

    from screening.checks.base import ScreeningContext
    from screening.checks.echo import RubricEcho
    from screening.echo import Echo, EchoAssessment
    from screening.passages import Passage
    from screening.report.readiness import readiness
    from screening.report.model import Flag
    from screening.settings import Settings

    def echo(part: str, file: str) -> Echo:
        text = "The principal establishes structures and time for teachers to collaborate."
        p = Passage(id=file, file=file, file_sha256="0" * 64, part=part, page=1 if part == "portfolio" else None,
                    char_start=0, char_end=len(text), text=text, words=10)
        return Echo(p, EchoAssessment(word_share=1.0, phrase_share=1.0, content_words=6, particulars=(),
                                      closest="1.4", is_echo=True))

    ctx = ScreeningContext(rubric=pl_rubric, settings=Settings(), files=(), ignored=(), passages=(), evidence=(),
                           words_by_part={}, scores=np.zeros((0, 0)),
                           echoes=(echo("narrative", "narrative.md"), echo("portfolio", "artifacts/plan.pdf")))
    flags = {f.file: f for f in RubricEcho().run(ctx)}
    assert flags["narrative.md"].severity is None  # the code's own level: a warning
    assert flags["artifacts/plan.pdf"].severity == "info" and "artifact" in (flags["artifacts/plan.pdf"].note or "")
    as_report = [Flag(code="rubric_echo", severity=s, message="m", hint="", check="t") for s in ("warning", "info")]
    fixes = readiness([], [], as_report).fixes
    assert [fx.flags for fx in fixes if "rubric_echo" in fx.codes] == [1]


def test_an_echo_with_a_fifth_of_its_words_its_own_is_a_note():
    # Independent corpus (688 submissions): every echo warning with under 80% of its words from
    # the rubric was false, mostly paragraphs planted as weak evidence; every planted echo was at
    # 86% or more, copied phrases or not.
    from screening.checks.echo import _vocabulary_only

    cfg = EchoSettings()
    assert _vocabulary_only(0.7, 0.5, cfg)["severity"] == "info"  # copies phrases, but 30% its own words
    assert _vocabulary_only(0.86, 0.5, cfg) == {}  # a warning
    assert _vocabulary_only(0.95, 0.0, cfg) == {}  # nearly all the rubric's words, whatever the phrasing
    assert _vocabulary_only(0.7, 0.5, cfg.model_copy(update={"warn_word_share_floor": None})) == {}
