"""One settings object for the library, the CLI and (later) the service.

Sources, highest priority first: keyword arguments, environment variables
(``SCREENING_`` prefix, ``__`` between nested names, e.g. ``SCREENING_MAPPING__MET_THRESHOLD``),
a TOML file (``SCREENING_CONFIG`` names it; else ``screening.toml`` in the working directory if
present), then the defaults below. Every threshold, limit and model path lives here; modules
take a ``Settings`` rather than reading the environment themselves.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .privacy import KINDS as PRIVACY_KINDS

if TYPE_CHECKING:
    from .ingest.archive import ArchiveLimits

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mc-screening"


def _default_rubric_dirs() -> list[Path]:
    dirs = []
    bundled = Path(__file__).resolve().parent / "bundled_rubrics"  # wheel installs
    if bundled.is_dir():
        dirs.append(bundled)
    if (REPO_ROOT / "rubrics").is_dir():  # a checkout / editable install
        dirs.append(REPO_ROOT / "rubrics")
    return dirs


def _default_program_dirs() -> list[Path]:
    dirs = []
    bundled = Path(__file__).resolve().parent / "bundled_programs"  # wheel installs
    if bundled.is_dir():
        dirs.append(bundled)
    if (REPO_ROOT / "programs").is_dir():  # a checkout / editable install
        dirs.append(REPO_ROOT / "programs")
    return dirs


class ModelSettings(BaseModel):
    """Where models come from. ``None`` means the bundled package's copy."""

    model_config = ConfigDict(frozen=True)  # hashable: model loaders are cached per settings

    embedding_path: Path | None = Field(
        None, description="Folder of a sentence-transformers model; default: the bundled all-MiniLM-L6-v2."
    )
    spacy_path: Path | None = Field(
        None, description="Folder of a spaCy pipeline; default: the bundled en_core_web_sm 3.8."
    )
    sentence_splitter: Literal["rules", "senter"] = Field(
        "rules",
        description="How passages are cut into sentences: 'rules' (punctuation on spaCy's tokenizer, "
        "screening/sentences.py) or 'senter' (the spaCy pipeline's statistical sentence recogniser, about 60 "
        "times slower; no better on the quality benchmarks, bench/RESULTS.md).",
    )
    embedding_backend: Literal["auto", "torch-fp32", "torch-bf16", "openvino-fp32", "openvino-bf16"] = Field(
        "auto",
        description="What runs the embedding model. 'auto': openvino-bf16 on a CPU with bf16 instructions "
        "(avx512_bf16 or amx_bf16) when openvino is installed, else torch-bf16 on such a CPU, else torch-fp32 "
        "(also whenever device is not 'cpu'). Every backend's vectors agree with torch-fp32 at cosine >= 0.999 "
        "(docs/speed.md); the cache keeps them apart.",
    )
    export_dir: Path | None = Field(
        None, description="Where model files built locally from the bundled weights (the OpenVINO export) are kept; "
        "default: <cache_dir>/openvino. Safe to share between cache folders and processes.",
    )
    device: str = Field(
        "cpu", description="Torch device for embeddings with a torch backend, e.g. 'cuda'. Only 'cpu' has been run; GPUs are untested."
    )
    embed_batch_size: int = Field(
        16, ge=1, description="Texts per batch for the torch backends. Small batches pad less: 16 was fastest on 2 CPU cores (bench/RESULTS.md)."
    )
    openvino_batch_size: int = Field(
        32, ge=1, description="Texts per batch for the OpenVINO backends (texts are sorted by token count first)."
    )
    openvino_requests: int = Field(
        2, ge=1, description="OpenVINO inference requests kept in flight at once (one per CPU stream)."
    )
    memory_cache_entries: int = Field(
        50_000, ge=0, description="Embeddings kept in memory per process (about 1.5 KiB each); the disk cache keeps all."
    )
    torch_threads: int | None = Field(
        None, ge=1, description="Threads for embedding (torch intra-op threads; OpenVINO inference threads); default: the library's own choice."
    )


class MappingSettings(BaseModel):
    """How passages are scored against EO details and scores turned into met / weak / missing.
    Uncalibrated defaults, chosen on the repository's two labelled submissions
    (bench/mapping_omission.py; docs/mapping.md)."""

    met_threshold: float = Field(0.62, ge=-1, le=1, description="Best score at or above: met.")
    weak_threshold: float = Field(0.58, ge=-1, le=1, description="Best score at or above (and below met): weak; below: missing.")
    competition_margin: float | None = Field(
        0.0, ge=0, le=2,
        description="A passage (or sentence) counts for a detail only if its score for that detail is within this "
        "margin of its best score for any detail of the rubric; None turns competition off.",
    )
    detail_text_weight: float = Field(
        0.0, ge=0, le=1,
        description="A text's score for a detail is its best similarity to the detail's text and look-fors, moved "
        "this far toward its similarity to the detail's own text (0: the best query alone).",
    )
    sentence_scores: bool = Field(
        True, description="Also score each sentence of a passage on its own; a passage's score is the best of both."
    )
    sentence_min_words: int = Field(
        6, ge=1,
        description="With sentence_scores: a sentence shorter than this many words is scored only as part of its passage.",
    )
    heading_sentences: bool = Field(
        False,
        description="With sentence_scores: also score a heading of the narrative or reflection (a line without "
        "closing punctuation) on its own. A candidate's heading names an EO's theme in the rubric's words on purpose "
        "(\"Keeping assessments matched to what we teach\") and shows nothing; it still counts as part of its "
        "passage.",
    )
    heading_in_passage: bool = Field(
        False,
        description="Score a passage of the narrative or reflection with the heading it opens with. Off (the "
        "default since 2026-12-06): the heading is left out of the passage's own score too, so a short first "
        "paragraph under a heading in the rubric's words (\"Growing teachers' assessment know-how\") is judged on "
        "what it says.",
    )
    heading_lifts_to_weak: bool = Field(
        False,
        description="With heading_in_passage off: a passage scored with its heading may still reach weak (never "
        "met), so a thin paragraph under a heading in the rubric's words is weak evidence, not missing. Off: on the "
        "dev and read held-out batches it found 3 thin details weak but hid 6 missing ones behind their headings.",
    )
    clause_scores: bool = Field(
        False,
        description="With sentence_scores: also score each clause or list item of a sentence that has several, so "
        "one sentence can evidence several details (\"we chart the data, analyse errors, set a goal\").",
    )
    clause_min_words: int = Field(
        2, ge=1, description="With clause_scores: a shorter clause is scored together with the one before it.",
    )
    sentence_top_details: int | None = Field(
        None, ge=1,
        description="With sentence_scores: a sentence counts for a detail only if the detail is among its passage's "
        "this many best details as a whole; None: for any detail. (3 until 2026-12: on both dev halves of the "
        "independent corpus None has the same recall and fewer false flags: a passage's one sentence on a "
        "detail its passage is not mainly about is often the candidate's best evidence for it.)",
    )
    claimed_weak_min: float | None = Field(
        0.40, ge=-1, le=1,
        description="A detail a self-analysis row names (not only a row for its whole EO), with no passage at the weak "
        "threshold but one more about it than about any other detail scoring at least this, is weak evidence, not "
        "missing (screening/claimed_evidence.py): a candidate with nothing for a detail leaves its row out. None: "
        "similarity alone decides.",
    )
    claimed_weak_near_min: float | None = Field(
        0.50, ge=-1, le=1,
        description="…failing that, the passage nearest to the claimed detail, even one more about another detail, "
        "when it scores at least this for it. None: only passages more about the detail than any other count.",
    )
    general_claim_min: float | None = Field(
        0.65, ge=-1, le=1,
        description="A met detail whose own self-analysis row names no particular and says what the detail's best "
        "passage says (similarity at least this), that passage being the candidate's prose and naming none either, "
        "and no artifact passage reaching the met threshold for it, is weak (screening/claimed_evidence.py): the "
        "candidate offers a general statement as the evidence. Independent corpus, dev and read batches (352 "
        "submissions): 7 more planted weak details flagged at their own detail, no new flag on a clean submission "
        "(without the artifact condition: 13 more, 6 of them on well-evidenced details). None: off.",
    )
    general_claim_dated_rows: bool = Field(
        True,
        description="With general_claim_min: a row whose only particulars are dates and times (\"The August 12 agenda "
        "includes a block on formative assessment\") names no particular: it says when, not who, what or how many. "
        "Independent corpus, 400 dev, read and unseen-then-read submissions: 2 more planted weak details flagged at "
        "their own detail, no other flag changed.",
    )
    claimed_location_min: float | None = Field(
        0.65, ge=-1, le=1,
        description="A detail weak only by its row's claim is shown at the passage of the narrative or reflection "
        "most similar to the row's explanation, when that similarity is at least this (screening/claimed_evidence.py): "
        "the candidate's row names the sentence they meant, which often is not the passage nearest to the detail. "
        "Independent corpus, dev and read batches (352 submissions): of 37 planted weak details made weak this way, 14 "
        "more flags name the file the truth names and none fewer; at 0.56-0.65 three planted flags moved to a "
        "reflection sentence. None: the nearest passage.",
    )
    unclaimed_missing_margin: float | None = Field(
        0.06, ge=-1, le=1,
        description="A detail no self-analysis row cites (not even a row for its whole EO), whose every counted passage "
        "scores less than this much higher for it than for some other detail, is missing evidence, not met or weak "
        "(screening/claimed_evidence.py): those passages are the candidate's evidence for the other detail. 0.03 "
        "until 2026-12-07 (fourteenth session): on the unseen test112-test117, 4 of 5 planted missing details with no "
        "row were met or weak on introduction and reflection passages 0.035-0.052 more about them; at 0.06 the 400 dev, "
        "read and those submissions change at planted missing details only (6 more on dev and read). None: "
        "similarity alone decides.",
    )
    derived_guidance_min_met: int | None = Field(
        1, ge=1,
        description="Details marked derived: true (not published by the program, which judges whole EOs): when an "
        "EO has at least this many met details, its derived details' missing_evidence and weak_evidence are "
        "info-level guidance, not errors or warnings. None: derived details are flagged like published ones.",
    )
    derived_guidance_min_addressed: int | None = Field(
        2, ge=1,
        description="…or at least this many of its details addressed (met or weak): an EO whose evidence the "
        "screener finds for most of its derived details, only loosely, is evidenced as a whole too. None: met "
        "details only.",
    )
    derived_guidance_min_described: float | None = Field(
        0.7, ge=0, le=1,
        description="…or a self-analysis row for the EO has an explanation whose distinctive terms (at least "
        "citations.explanation_described_min_terms) are at least this share at the place it cites: the candidate "
        "says what is there and it is. Independent corpus: 3 EOs of clean held-out submissions (read after their run) "
        "had error-level missing_evidence this way; no planted missing EO's row qualified. None: not used.",
    )
    derived_guidance_min_cited: float | None = Field(
        0.53, ge=-1, le=1,
        description="…or the self-analysis cites, for one of its details, a place whose best similarity to that detail "
        "(without competition) is at least this: the candidate points at the EO's evidence and the screener finds it "
        "near, only below the weak threshold. None: cited places do not count.",
    )
    general_evidence_weak: bool = Field(
        True,
        description="For rubrics with an artifact portfolio: a met detail whose every passage at or above the weak "
        "threshold is narrative or reflection prose naming no particular (person, date, number, document) is weak "
        "(screening/general_evidence.py). False: similarity alone decides.",
    )
    general_evidence_occurrences: bool = Field(
        True,
        description="With general_evidence_weak: a passage whose only particulars are dates and names of events or "
        "documents, and whose every verb says something took place (\"On October 8 we held our PD session titled "
        "Checking for Understanding\"), counts as general.",
    )
    general_reflection_missing: bool = Field(
        True,
        description="With general_evidence_weak: a met or weak detail whose every passage at or above the weak "
        "threshold is the reflection's, naming no particular, is missing: the reflection says what the candidate "
        "learned (\"I now see assessment as a system\"), which is no evidence of the practice.",
    )
    general_evidence_met_level: bool = Field(
        False,
        description="With general_evidence_weak: a met detail is judged by its passages at or above the met threshold "
        "only, so a loosely related artifact passage (a survey form, an agenda line) does not keep a detail met that "
        "only general sentences address at the met level. Independent corpus, dev and read batches: 4 more planted "
        "weak or missing details found, no new false flag, the same flags on clean submissions; but in the test "
        "fixture's full submission an artifact page that evidences two details concretely, at 0.61 and 0.59, no longer "
        "kept them met beside a practice the narrative describes without a name or number, so it is off. False: every "
        "passage at or above the weak threshold counts.",
    )
    general_evidence_paragraph_min: float | None = Field(
        0.35, ge=-1, le=1,
        description="With general_evidence_weak: a general sentence of the candidate's prose keeps its detail met when "
        "another passage of its paragraph names a particular, scores at least this for the detail without competition "
        "and is about it (general_evidence_paragraph_about): a topic sentence (\"Teachers identified our needs.\", often "
        "joined to the heading above it) is followed by its evidence, in words of its own that score lower against the "
        "rubric. None: each passage is judged alone, as until 2026-12-07.",
    )
    general_evidence_paragraph_about: float = Field(
        0.02, ge=0, le=1,
        description="…and that passage's score for the detail is within this of its best score for any detail.",
    )
    general_evidence_copied_artifacts: bool = Field(
        True,
        description="With general_evidence_weak: an artifact passage whose every sentence (of 6 words or more) the "
        "narrative or reflection says word for word counts as the candidate's prose, so a general claim copied onto an "
        "artifact page does not keep its detail met (added 2026-12-07, eighteenth session, from a planted weak detail "
        "of test155, read after its run). False: every artifact passage is a document that shows something.",
    )
    general_evidence_prose_lends_min: float | None = Field(
        None, ge=-1, le=1,
        description="With general_evidence_weak: a passage of the narrative or reflection that names a particular "
        "keeps a detail met that otherwise only general sentences address only when it scores at least this for the "
        "detail (the met threshold): a concrete sentence that is only loosely about the detail (\"The monthly "
        "curriculum walkthroughs gave Dana Kirby and me a reason to talk to teachers about pacing\", 0.59 for acting "
        "on teachers' feedback) lends it nothing. Artifact passages keep it met at any level. Tried 2026-12-07 "
        "(nineteenth session) from planted weak details of test180 and test181, read after their one run: at 0.62 it "
        "found those two, but on 760 earlier corpus submissions it found no planted weak or missing detail and added "
        "11 info-level notes on clean submissions, so it is off. None: any such passage at or above the weak "
        "threshold counts.",
    )
    general_evidence_about_margin: float | None = Field(
        None, ge=0, le=1,
        description="With general_evidence_weak: a passage of the candidate's prose that names a particular keeps a "
        "detail met only if it is about that detail: its similarity to the detail (without competition) is within this "
        "of its best similarity to any detail. \"In September the grade 3 team wrote a common formative assessment on "
        "RL.3.1\" is about common assessments, and lends no particular to the general sentence on checking for "
        "understanding during lessons. Measured 2026-12-07 at 0.05 on the dev and read batches (256 submissions): 1 more "
        "planted weak detail found, no new warning, and 2 new info-level notes on clean submissions, so it is off. None: "
        "any such passage at or above the weak threshold counts.",
    )
    general_evidence_when_is_general: bool = Field(
        True,
        description="With general_evidence_weak: a passage whose only particulars are dates without a day or a year "
        "(a month, season or weekday) and ordinals (\"In September we followed up with a second session on formative "
        "assessment\") names no particular: it says roughly when, not who, what or how many. \"October 8\" and "
        "\"2025-26\" still count.",
    )
    general_evidence_rubric_acronyms: bool = Field(
        True,
        description="With general_evidence_weak: an all-capitals abbreviation of one of the rubric's phrases (\"PD\", "
        "\"PL\", \"PLC\") is the rubric's term, not a name, so \"formative assessment was one of the topics on our "
        "PD calendar\" names no particular.",
    )
    evidence_per_detail: int = Field(3, ge=1, le=20, description="Passages listed as evidence for each detail.")
    evidence_parts: list[str] = Field(
        default_factory=lambda: ["narrative", "portfolio", "reflection"],
        description="Submission parts whose passages may count as evidence.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> "MappingSettings":
        if self.weak_threshold > self.met_threshold:
            raise ValueError("mapping.weak_threshold must not exceed mapping.met_threshold")
        return self


class PassageSettings(BaseModel):
    max_words: int = Field(60, ge=10, description="A passage grows sentence by sentence up to this many words.")
    max_sentences: int = Field(2, ge=1, description="At most this many sentences per passage.")
    min_words: int = Field(4, ge=1, description="Shorter fragments (headings, page numbers) are merged or dropped from mapping.")


class CitationSettings(BaseModel):
    """Checks of the evidence self-analysis's citations."""

    min_explanation_words: int = Field(
        6, ge=0, description="An explanation shorter than this is too short to guide an assessor. (12 until "
        "2026-12: independent candidates' clean self-analyses explain well in 8-11 words; the too-short ones "
        "are 1-5 words, 'See artifact.', 'Data.'.)",
    )
    explanation_on_page_min: float | None = Field(
        0.8, ge=0, le=1,
        description="An explanation in the detail's own wording, or a short general one, that lists three things or "
        "more is not explanation_too_short when at least this share of its content words (at least "
        "explanation_on_page_min_words of them) are on the page or slide it cites: it says what the assessor will "
        "find there (\"Written plan with goals, actions, responsibilities and timelines\" over a plan whose columns "
        "say so). None: the page is not read.",
    )
    spoken_opening_when_stays: bool = Field(
        True,
        description="A row citing a recording's opening whose explanation says when the meeting took place (\"the day "
        "after the walkthrough\", \"the next morning\") is never sent elsewhere in the recording, by similarity or by the "
        "opening rule: the opening says when, however the recogniser heard it. False: such rows are judged like any other.",
    )
    explanation_rubric_acronyms: bool = Field(
        False,
        description="An all-capitals abbreviation of one of the rubric's phrases (\"PD\", \"PL\") in a row's explanation "
        "is the rubric's term, not a particular an assessor can look for: \"Formative assessment was part of our PD and "
        "teachers use it in their lessons\" names nothing. Measured 2026-12-07 on the dev and read batches: 2 more planted "
        "generic rows found, 1 new warning on a row listing what its page holds (\"PL team of teachers with the sessions "
        "each one leads\"), so it is off. False: every capitalised abbreviation is a particular.",
    )
    explanation_min_content_words: int | None = Field(
        6, ge=1, description="An explanation with fewer content words than this, a quarter or more of them the "
        "detail's or EO's wording, a finite verb (a claim, not a description of the document cited) and no "
        "particular (a person, number, date or acronym) is a general claim (explanation_too_short). Independent "
        "dev rows: 0 of 516 clean explanations, 5 of 6 planted generic ones. "
        "None: off.",
    )
    whole_file_max_pages: int | None = Field(
        1, ge=1,
        description="A row citing all of a file (\"throughout\", \"entire document\") is citation_unparsed when the file "
        "has more pages than this: the program asks for the exact place. Null: any whole-file citation is accepted "
        "(as until 2026-12-07).",
    )
    whole_file_max_seconds: float | None = Field(
        60.0, ge=0,
        description="…and when a cited recording is longer than this many seconds. Null: whole recordings are accepted.",
    )
    artifact_match_min: float = Field(
        0.8, ge=0, le=1, description="A cited name must match an artifact's file name at least this well (0–1)."
    )
    artifact_exact_name_min: float | None = Field(
        0.9, ge=0, le=1,
        description="A name the self-analysis writes as a file's name, with its extension (\"Walkthrough_Data_Fall.pdf\"), "
        "that matches an artifact at citations.artifact_match_min or better but below this (by the words it holds or "
        "its spelling, not its letters and digits) is citation_missing_artifact at warning level: the row is still "
        "checked against that file, and the candidate is asked to write its exact name. None: off.",
    )
    file_flags_take_cited_eo: bool = Field(
        True, description="A flag about an artifact (a language stretch, student data on a page, a scanned page, an "
        "unreadable file) takes the EO of the self-analysis rows citing the flagged place, or the file when no row cites "
        "that place, when they name one EO (and the detail, when the rows citing that place name one), with a note "
        "naming the rows (added 2026-12-07, twelfth session: the assessor reads EO by EO; on the read batches "
        "test90-test99, 7 more planted language and privacy problems were found with the EO their author gave, and "
        "none lost it). False: such flags name no EO.",
    )
    wrong_location_max_cited: float = Field(
        0.43, ge=-1, le=1,
        description="citation_wrong_location only when the cited place's best similarity to the detail is below this.",
    )
    wrong_location_cited_other_margin: float | None = Field(
        0.05, ge=0, le=2,
        description="citation_wrong_location by similarity only when the cited place is more about another detail than "
        "the row's targets, by at least this (its best similarity to any other detail minus its best to the targets): "
        "a page most about the row's detail is not wrong for it however low it scores, as a data table or a tally "
        "does against every detail (added 2026-12-07, eighteenth session, from a clean row of the unseen test165, "
        "read after its run). Null: off.",
    )
    wrong_location_near_found: float = Field(
        0.55, ge=-1, le=1,
        description="…and another page of the cited file scores at least mapping.met_threshold, or at least this with "
        "wrong_location_near_margin more than the cited place (added 2026-12-06, eighth session: on the dev and read "
        "batches, 2 more planted wrong pages found, the nearest row of a clean submission fell 0.015 short of the margin).",
    )
    wrong_location_near_margin: float = Field(
        0.2, ge=0, le=2, description="…the margin a page below the met threshold needs over the cited place.",
    )
    title_slide_never_found: bool = Field(
        True, description="A row citing a deck by slide is never sent, by similarity, to the deck's first page: a title "
        "slide names the session and scores on every detail it announces, as a recording's opening does (added "
        "2026-12-07, twelfth session, from a clean row of the held-out test103 read after its run). False: the title "
        "slide may be offered as the right place.",
    )
    spoken_opening_never_found_by_words: bool = Field(
        True, description="A row citing a later stretch of a recording is never sent, by its explanation's words, to "
        "the recording's opening: the opening says who met, when and where, the words a row uses to say which meeting it "
        "cites (\"In the January 13 committee meeting, two teachers agree to lead the February session\"; added "
        "2026-12-07, fifteenth session, from a clean row of the held-out test128 read after its run). False: the "
        "opening may be offered as the right place.",
    )
    wrong_location_spoken_max_cited: float = Field(
        0.3, ge=-1, le=1,
        description="For a recording cited by time: citation_wrong_location when the cited stretch's best similarity to "
        "the row's targets is below this…",
    )
    wrong_location_spoken_min_found: float = Field(
        0.45, ge=-1, le=1,
        description="…and another stretch of the same recording scores at least this (and wrong_location_margin "
        "more). Transcripts score lower against the rubric than typed pages (misheard words, no headings).",
    )
    explanation_copied_min: float = Field(
        0.8, ge=0, le=1,
        description="explanation_on_page_min does not read an explanation this similar, character for character, to "
        "a cited detail's text: a copy of the detail (0.9-1.0) says nothing of the page; candidates' descriptions "
        "of a plan in the detail's terms are 0.45-0.6.",
    )
    generic_explanation_guidance: bool = Field(
        True,
        description="A row whose explanation is general or restates the detail (explanation_too_short, not the too-few-"
        "words kind) is guidance (info) when every detail it cites is one whose weak or missing evidence is guidance "
        "only (a derived detail of an EO evidenced as a whole): the general row is that detail's thin evidence seen "
        "from the self-analysis, and the program judges the EO. Independent dev and read batches: of 64 such rows, "
        "34 matched no planted problem (their authors planted weak evidence for the detail instead); 12 of the 248 "
        "planted explanation_too_short are now found only by such a note. False: a warning, as until 2026-12-07.",
    )
    spoken_words_confirm: bool = Field(
        True,
        description="A recording cited by time is not sent to another stretch by similarity to the detail when the "
        "row's explanation shares more of its distinctive words with the cited stretch than with that one: the "
        "candidate's words are heard where they cite: at least two more of them (leaving out the words of the recording's "
        "opening, which name the occasion) than at that stretch (independent corpus, test74: a clean row citing a "
        "committee's spring decisions was sent to the stretch before, which mentions co-teachers, 0.55 against 0.29). "
        "Rows citing the opening itself are the opening rule's. False: the similarity rule alone, as until 2026-12-07.",
    )
    explanation_on_page_min_words: int = Field(
        4, ge=1, description="explanation_on_page_min reads an explanation only with at least this many content words.",
    )
    explanation_described_min_terms: int = Field(
        6, ge=1,
        description="A row's explanation counts as describing the place it cites (mapping.derived_guidance_min_described) "
        "only with at least this many distinctive terms.",
    )
    explanation_min_terms: int = Field(
        4, ge=1,
        description="A row's explanation is compared with the artifacts' pages word for word only when it has at "
        "least this many distinctive terms (content words not in the rubric's wording, numbers).",
    )
    explanation_occasion_terms: bool = Field(
        False,
        description="Count, in the explanation-to-page rule, the words of a clause saying when or by whom the artifact "
        "was presented or approved (\"presented to faculty Aug 8\", \"approved by the Curriculum Council Aug 11\"). Off: "
        "they are left out, since a deck's title slide or the minutes of that meeting hold them, not the evidence the "
        "row describes (independent submissions: clean rows citing a plan slide were sent to the title slide).",
    )
    explanation_min_figures: int | None = Field(
        2, ge=1,
        description="citation_wrong_location when a row's explanation quotes at least this many figures (percentages, "
        "numbers of two or more digits, not years), none of them on the cited page and all on one other page; "
        "null turns the figures rule off.",
    )
    explanation_contained_extra: int | None = Field(
        2, ge=1,
        description="citation_wrong_location when another page of the cited file holds every distinctive term of "
        "the row's explanation that the cited page holds, at least this many more, and at least "
        "explanation_contained_min of them all: the cited page is a neighbour that shares the topic, the other "
        "page is the one described (added 2026-12-07, eighteenth session: a row citing the page of another "
        "detail in the same PDF). Null turns the rule off.",
    )
    explanation_contained_min: float = Field(
        0.8, ge=0, le=1, description="…see explanation_contained_extra.",
    )
    explanation_cited_confirms: float = Field(
        0.5, ge=0, le=1,
        description="When at least this share of the explanation's distinctive terms is on the cited page, the "
        "citation is taken as right (no citation_wrong_location from similarity scores).",
    )
    explanation_elsewhere_min: float = Field(
        0.55, ge=0, le=1,
        description="citation_wrong_location from the explanation: another page holds at least this share of its "
        "distinctive terms… (0.6, 0.4 and 0.35 for the three bounds until 2026-12-06: independent corpus, dev and "
        "read batches, 6 more planted wrong places found, and 3 of the 5 missed in the unseen test38-test41, with no "
        "new false flag)",
    )
    spoken_opening_margin: float | None = Field(
        0.10, ge=0, le=2,
        description="citation_wrong_location for a row citing the opening of a recording (its first transcript "
        "segment onward) when its explanation's embedding similarity to another stretch of the recording as long "
        "as the cited one is at least this much above its similarity to the cited stretch. None: off. (0.15 until "
        "2026-12-06, fifth session: on 139 rows citing recordings in 32 batches, the planted opening citations it "
        "missed were 0.12 and 0.12 closer elsewhere, and no clean opening citation was more than 0.085.)",
    )
    spoken_opening_cited_max: float = Field(
        0.45, ge=-1, le=1, description="…and its similarity to the cited stretch is at most this.",
    )
    explanation_cited_max: float = Field(0.45, ge=0, le=1, description="…the cited page at most this share…")
    explanation_margin: float = Field(0.3, ge=0, le=1, description="…and the other page this much more.")
    wrong_location_margin: float = Field(
        0.15, ge=0, le=1,
        description="citation_wrong_location needs the best place elsewhere to score this much above the cited place.",
    )


class EchoSettings(BaseModel):
    """Rubric echo: passages whose wording comes mostly from the rubric and that name no
    particulars (screening/echo.py). Measured on the labelled set (bench/echo.py)."""

    enabled: bool = Field(True, description="Look for rubric echo; echo passages do not count as evidence.")
    min_word_share: float = Field(
        0.6, ge=0, le=1, description="A passage whose content words come from the rubric's wording at least this "
        "much may be an echo.",
    )
    min_phrase_share: float = Field(
        0.3, ge=0, le=1, description="…or whose three-word sequences are copied from the rubric at least this much.",
    )
    max_particulars: int = Field(
        0, ge=0, description="An echo names at most this many particulars (names, dates, numbers, places).",
    )
    min_content_words: int = Field(4, ge=1, description="Shorter passages (headings) are never called echo.")
    setting_min_passages: int | None = Field(
        3, ge=1,
        description="An organisation or place named in at least this many of the submission's passages (its school, "
        "district, state) is its setting, not a particular that makes a passage concrete. None: every name counts.",
    )
    narration_min_past_verbs: int | None = Field(
        2, ge=1, description="A paragraph with at least this many verbs in the past tense narrates what happened "
        "(\"this year teachers led every session, and their sessions were better\"): the candidate's own context, "
        "never echo, however much of the field's vocabulary it uses. On the labelled set no echo has two (49 of 51 "
        "have none); 28 of 47 evidence passages in the rubric's vocabulary do. None: no such rule.",
    )
    shared_words_from: int = Field(
        6, ge=1,
        description="A passage with fewer content words is echo only by copied phrases (min_phrase_share), not by "
        "shared words alone (a table header or label in the rubric's vocabulary).",
    )
    warn_min_phrase_share: float | None = Field(
        0.2, ge=0, le=1,
        description="A candidate's paragraph judged echo is a warning only when at least this share of its "
        "content-word three-word sequences is copied from the rubric, or warn_min_word_share of its words come from "
        "it; one that shares the rubric's vocabulary but little of its phrasing is an info-level note (still not "
        "counted as evidence): the field's vocabulary is the rubric's. Independent corpus, dev and read batches: every "
        "echo flag copying at least 0.34 of its phrases was planted (83); of those copying under 0.08, 12 of 16 were "
        "not, with word shares 0.62-0.83. None: every echo is a warning.",
    )
    warn_min_word_share: float = Field(
        0.9, ge=0, le=1,
        description="…or at least this share of its content words comes from the rubric: nearly nothing in it is the "
        "candidate's own, whatever its phrasing.",
    )
    warn_word_share_floor: float | None = Field(
        0.8, ge=0, le=1,
        description="…and in either case at least this share of its content words comes from the rubric; a paragraph "
        "with more of its own words than that is an info-level note (still not counted as evidence). Independent "
        "corpus, 688 submissions (2026-12-07): every echo warning under 0.8 was false (4, all in files with planted "
        "weak evidence), every planted one was at 0.86 or more. None: no floor.",
    )


class DuplicateSettings(BaseModel):
    """Shared and duplicate evidence across candidates' submissions (screening/duplicates.py,
    docs/duplicates.md). Thresholds chosen on bench/independent's dev split (bench/duplicates.py)."""

    enabled: bool = Field(True, description="The service indexes submitted work and looks for shared or duplicate evidence when it is screened.")
    passages: bool = Field(True, description="Compare passages too (false: identical files only).")
    passage_similarity: float = Field(
        0.82, ge=-1, le=1, description="Two passages of different candidates are near-duplicates at or above this "
        "cosine similarity (with lexical_overlap).",
    )
    lexical_overlap: float = Field(
        0.7, ge=0, le=1, description="…and when at least this share of the shorter one's distinctive words (content "
        "words that are not the rubric's) are the other's too: two candidates writing about one EO in their own words do not match.",
    )
    min_words: int = Field(12, ge=1, description="Shorter passages (headings, labels, form fields) are not compared.")
    min_distinctive_words: int = Field(
        5, ge=1, description="A passage with fewer distinctive words (content words that are not the rubric's) is boilerplate: not compared.",
    )
    max_rubric_share: float = Field(
        0.6, ge=0, le=1, description="A passage whose content words come from the rubric more than this is rubric echo: not compared.",
    )
    template_similarity: float = Field(
        0.82, ge=-1, le=1, description="With template_min_submissions: how close a passage must be to others' to count toward a template.",
    )
    template_min_submissions: int = Field(
        3, ge=2, description="A passage this close to passages of at least this many other candidates is shared template "
        "or handout wording, not reported.",
    )
    max_matches: int = Field(50, ge=1, description="Passage matches kept per screened submission (best first).")
    block_rows: int = Field(
        65536, ge=1024, description="Stored passages compared per matrix product (in the exact product, int8 converted "
        "to float32 block by block: about 100 MB of scratch memory at the default with the bundled 384-dimension model).",
    )
    prefilter_dims: int = Field(
        64, ge=0, description="Dimensions of the projection whose cosine upper bound picks the pairs that get the exact "
        "product (0: the exact product of every pair). Exact either way; more dimensions, fewer pairs to check but a "
        "larger first product and 4 bytes more per stored passage each.",
    )
    prefilter_min_rows: int = Field(
        50_000, ge=0, description="Stored passages from which the two-stage check is used (below, the exact product of "
        "every pair is as fast).",
    )


class CalibrationSettings(BaseModel):
    """Calibrated statuses (docs/calibration.md): used when a calibration file matches the rubric's
    id, version and content hash; otherwise the mapping's thresholds decide."""

    enabled: bool = Field(True, description="Use a calibration when one exists for the rubric; false: always the thresholds.")
    dir: Path | None = Field(
        None, description="Folder of calibration files `<rubric_id>-<version>.json`; default: the repository's models/calibrations.",
    )

    @property
    def folder(self) -> Path:
        return self.dir or REPO_ROOT / "models" / "calibrations"


class ReportSettings(BaseModel):
    max_fixes: int = Field(5, ge=1, le=20, description="Fixes listed in the readiness summary at the top of a report.")


class PrivacySettings(BaseModel):
    """Likely student personal data (student_privacy): a heuristic aid to redaction, not a FERPA
    compliance guarantee (docs/privacy.md)."""

    enabled: bool = Field(True, description="Look for likely student personal data and flag it (student_privacy).")
    kinds: list[str] = Field(
        default_factory=lambda: list(PRIVACY_KINDS),
        description="Kinds of personal data looked for: student_name, student_id, date_of_birth, email, phone.",
    )
    min_confidence: float = Field(
        0.6, ge=0, le=1, description="Findings the detector is less sure of than this are not reported or redacted."
    )
    spoken_names: bool = Field(
        True,
        description="In a recording's transcript, a full name spoken next to talk about students (in its sentence or "
        "the one before or after) is a student's, unless the speaker introduces, titles or lists the person with "
        "adults, or the person makes the plan (docs/privacy.md).",
    )
    other_language_names: bool = Field(
        False,
        description="Read student names in a stretch of a recording flagged as another language (language). False: "
        "not there, since the English-only model writes speech it cannot follow as English-looking words, "
        "capitalised fragments among them, and the language flag already asks the assessor to listen to it.",
    )
    misheard_staff_names: bool = Field(
        True,
        description="In a recording's transcript, a name whose first word is a staff member's first name (one the "
        "submission names as leading, presenting or with a title) with one letter added, dropped or changed is that "
        "staff member: a recogniser spells names its own way (\"Lorna Colleen\" for \"Lorena co-lead\"); and a name "
        "in one list with a staff member named in full (\"Ellen Sandoval, Rosa de la Cua and Nate Ridley\") is staff: "
        "the recogniser garbles the roll call's \"Present are\".",
    )
    media_window_s: float = Field(
        60.0, gt=0, description="In a recording, findings within this many seconds of each other make one flag."
    )
    warning_min_confidence: float = Field(
        0.7, ge=0, le=1,
        description="A page's student_privacy flag is a warning when some finding is at least this sure; when every "
        "finding is less sure (a name whose only cue is student data in its clause, or a grade in brackets), it is "
        "an info-level note asking the candidate to check.",
    )

    @model_validator(mode="after")
    def _known_kinds(self) -> "PrivacySettings":
        unknown = [k for k in self.kinds if k not in PRIVACY_KINDS]
        if unknown:
            raise ValueError(f"privacy.kinds: unknown kind(s) {unknown}; known: {', '.join(PRIVACY_KINDS)}")
        return self


class LimitSettings(BaseModel):
    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Files larger than this are not read.")
    max_pdf_pages: int = Field(600, ge=1, description="Pages read per PDF; the rest are reported, not read.")
    max_text_chars: int = Field(5_000_000, ge=1000, description="Characters read per file.")
    max_archive_bytes: int = Field(
        256 * 1024 * 1024, ge=1, description="A DOCX, XLSX or PPTX (ZIP inside) that would unpack to more than this "
        "is not opened, for screening or for cleaning (file_too_large).",
    )
    max_archive_ratio: float = Field(
        200.0, gt=1, description="Nor one that unpacks to more than 10 MB at more than this many times its packed "
        "size (a decompression bomb; ordinary documents stay far below).",
    )
    max_archive_entries: int = Field(10_000, ge=1, description="Nor one with more parts than this.")

    def archive_limits(self) -> "ArchiveLimits":
        from .ingest.archive import ArchiveLimits

        return ArchiveLimits(self.max_archive_bytes, self.max_archive_ratio, self.max_archive_entries)
    ingest_timeout_s: float = Field(120.0, gt=0, description="Processing-time limit for extracting one file, in CPU seconds (a stalled worker is stopped after 1.5x this plus 10 s of wall-clock time).")
    ingest_memory_mb: int = Field(2048, ge=128, description="Address-space limit of the extraction process.")
    isolate_ingest: bool = Field(
        True, description="Extract files in a child process, so a hostile file cannot hang or exhaust the screener."
    )


class MediaSettings(BaseModel):
    """Transcription of audio and video (faster-whisper). Only the CPU is tested."""

    model_config = ConfigDict(frozen=True)  # hashable: the Whisper model is cached per settings

    whisper_path: Path | None = Field(
        None, description="Folder of a CTranslate2 Whisper model; default: the bundled tiny.en. "
        "Name a multilingual model (e.g. small) here to transcribe speech that is not English.",
    )
    device: str = Field("cpu", description="'cpu' (tested) or 'cuda' (untested here).")
    compute_type: str = Field(
        "float32",
        description="CTranslate2 compute type. float32 (the default since 2026-12-06): the same transcript under every "
        "CPU instruction set, at about 1.2x the time of int8, whose kernels differ from one CPU kind to the next; "
        "float16 on GPU (untested).",
    )
    cpu_threads: int = Field(2, ge=1, description="Threads for one transcription.")
    parallel_files: int = Field(
        2, ge=1, description="Media files transcribed at once (each with cpu_threads / parallel_files threads, at least 1)."
    )
    beam_size: int = Field(1, ge=1, description="Beam width; 1 is greedy decoding (fastest).")
    vad_filter: bool = Field(True, description="Skip silence with Silero VAD before decoding.")
    max_duration_s: float = Field(3 * 3600, gt=0, description="Longer media is not transcribed (media_too_long).")
    max_bytes: int = Field(4 * 1024**3, ge=1, description="Larger media files are not opened (media_too_long).")
    low_confidence_logprob: float = Field(
        -1.0, description="Segments whose average log-probability is below this are low-confidence."
    )
    low_confidence_share: float = Field(
        0.3, ge=0, le=1, description="Flag low_confidence_transcript when this share of speech time is low-confidence."
    )
    min_speech_s: float = Field(1.0, ge=0, description="Less detected speech than this: no_speech.")
    language_min_probability: float = Field(
        0.6, ge=0, le=1, description="With a multilingual model: a detected non-English language at or above this "
        "probability is flagged (language).",
    )
    language_evidence_min: float = Field(
        1.0, description="With an English-only model: speech whose evidence of not being English (signs such as "
        "low confidence, repetition loops, repeated phrases, an implausible speech rate, unknown words; docs/media.md) "
        "reaches this score is flagged (language). Dev set: English below 0.9, other languages above 1.3 but one; "
        "a fresh set also flags English the model cannot follow (bench/RESULTS.md).",
    )
    unrecognised_speech_s: float = Field(
        3.0, ge=0, description="With an English-only model: at least this much detected speech in which no English "
        "word was recognised is flagged as language rather than no_speech.",
    )
    acoustic_probe: bool = Field(
        True, description="With an English-only model that has a fitted probe (the bundled tiny.en): also ask its "
        "encoder whether the speech sounds English (docs/media.md). Off: the transcript's signs decide alone.",
    )
    acoustic_other_min: float = Field(
        0.9, ge=0, le=1, description="A 5-second window of speech whose probe probability of not being English reaches "
        "this counts as another language.",
    )
    acoustic_other_s: float = Field(
        4.0, ge=0, description="Windows at acoustic_other_min covering a stretch this long flag the recording (language), "
        "whatever the transcript's signs say.",
    )
    acoustic_english_max: float = Field(
        0.9, ge=0, le=1, description="When the transcript's signs reach language_evidence_min but no window of the "
        "stretches they point at (acoustic_other_s of speech or more) reaches this probe probability, the speech sounds "
        "English: no language flag (a poor transcript is then low_confidence_transcript's to report). At "
        "acoustic_other_min (the default) the probe decides whenever it heard enough speech; lower, the signs decide "
        "where the probe is unsure (English the model cannot follow is then flagged, docs/media.md).",
    )


class ExportSettings(BaseModel):
    """Open Badges 3.0 and CASE exports (docs/exports.md)."""

    base_url: str = Field(
        "https://mc-screening.example", description="Absolute URL the exported ids (OB 3.0 achievements, "
        "results and credentials; CASE URIs) are made under. Set it to the deployment's public address before "
        "publishing exports: ids derive from it, the rubric id, version and element id.",
    )
    issuer_name: str = Field(
        "Micro-credential program", min_length=1, description="Name of the issuing organisation in OB 3.0 "
        "credentials (its profile id is base_url + '/issuer'). Set it to the program's name.",
    )
    ob3_schema: Path | None = Field(
        None, description="1EdTech's OB 3.0 achievementcredential.schema.json; when set, `screening export-rubric "
        "--format ob3` validates against it before writing (not shipped: its licence allows redistribution "
        "only by registered users).",
    )


class ServiceSettings(BaseModel):
    """The web service (``service/``): database, stored uploads, accounts and background jobs."""

    data_dir: Path | None = Field(
        None, description="Folder for the service's SQLite database and uploads; default: $XDG_DATA_HOME/mc-screening "
        "or ~/.local/share/mc-screening.",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/db; default: a SQLite "
        "file service.db in data_dir.",
    )
    storage_dir: Path | None = Field(
        None, description="Folder where uploaded files are stored (under random names); default: uploads/ in data_dir."
    )
    storage: Literal["local", "s3"] = Field(
        "local", description="'local': uploads in storage_dir; 's3': in an S3-compatible bucket (s3_* settings; "
        "credentials from the usual AWS environment variables or files).",
    )
    s3_bucket: str | None = Field(None, description="Bucket for storage = 's3' (it must exist).")
    s3_prefix: str = Field("", description="Prefix of every object key, e.g. 'uploads/'.")
    s3_endpoint_url: str | None = Field(
        None, description="Endpoint of an S3-compatible server (MinIO, Ceph, ...); default: AWS S3."
    )
    s3_region: str | None = Field(None, description="Region of the bucket; default: the AWS configuration's.")
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Largest accepted upload, per file.")
    max_files_per_submission: int = Field(40, ge=1, description="Files one submission may hold.")
    max_rubric_bytes: int = Field(1024 * 1024, ge=1, description="Largest rubric YAML an admin may upload.")
    token_lifetime_s: int = Field(8 * 3600, ge=60, description="Seconds a sign-in token stays valid.")
    password_hash_time_cost: int = Field(3, ge=1, description="argon2id passes per password hash (with the next "
        "two: RFC 9106's low-memory profile, ~0.1-0.2 s per hash on one core). Raising a cost re-hashes each password "
        "at its next sign-in.")
    password_hash_memory_kib: int = Field(65536, ge=8, description="argon2id memory per password hash, in KiB.")
    password_hash_parallelism: int = Field(4, ge=1, description="argon2id lanes per password hash.")
    sign_in_free_failures: int = Field(
        5, ge=1, description="Wrong passwords for one account heard without delay; after them each further one "
        "doubles the wait before the next attempt is heard (1 s, 2 s, 4 s, ...).",
    )
    sign_in_free_failures_per_client: int = Field(
        20, ge=1, description="The same, per client address, across all accounts (guessing many accounts' passwords).",
    )
    sign_in_max_wait_s: float = Field(900.0, gt=0, description="The longest wait after failed sign-ins.")
    sign_credentials: bool = Field(
        True, description="Sign Open Badges 3.0 credentials with an eddsa-rdfc-2022 Data Integrity proof and give each "
        "a place in the revocation list; the issuer's keys and profile are managed by admins (docs/exports.md).",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="The pages' session cookie is Secure: 'auto' when the request came over HTTPS (behind a "
        "proxy: start uvicorn with --proxy-headers), 'always', or 'never'.",
    )
    worker: Literal["thread", "none", "celery"] = Field(
        "thread", description="'thread': screen in a background thread of the server process; 'none': only queue "
        "jobs (other processes run `python -m service worker`); 'celery': send each job to Celery workers over "
        "broker_url.",
    )
    broker_url: str | None = Field(
        None, description="Celery broker for worker = 'celery', e.g. redis://host:6379/0."
    )
    job_resend_s: float = Field(
        30.0, gt=0, description="worker = 'celery': how often the server re-sends jobs that wait too long or whose "
        "worker died (a lost or duplicate message is harmless: the database decides who runs a job).",
    )
    job_lease_s: float = Field(
        60.0, gt=0, description="A running job whose worker sent no heartbeat for this long is taken up again."
    )
    job_heartbeat_s: float = Field(10.0, gt=0, description="Seconds between a worker's heartbeats on its job.")
    job_poll_s: float = Field(1.0, gt=0, description="Seconds an idle worker waits before looking for jobs again.")
    webhook_url: str | None = Field(
        None, description="POSTed to (HMAC-signed) when a submitted work's screening report is ready; unset: no webhook."
    )
    webhook_secret: str | None = Field(
        None, description="Shared secret for the webhook's HMAC-SHA256 signature; required with webhook_url."
    )
    webhook_max_attempts: int = Field(8, ge=1, description="Deliveries tried before a webhook is given up.")
    webhook_backoff_s: float = Field(
        5.0, gt=0, description="Wait before the first retry; each further retry waits twice as long (at most 1 hour)."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for the receiver's answer.")
    job_max_attempts: int = Field(
        3, ge=1, description="A job whose worker died this many times fails with worker_lost instead of running again."
    )
    claim_minutes: float = Field(
        60.0, gt=0, description="Minutes an assessor's claim on a submission lasts; then anyone may claim it."
    )
    second_marking: list[str] = Field(
        default_factory=list, description="Rubric ids whose submissions need two independent assessors and then a "
        "reconciler; '*' for every rubric. Fixed per submission when its assessment starts.",
    )
    agreement_bar: float = Field(
        0.8, ge=0, le=1, description="Share of details and EO levels on which two markers must agree; below it the "
        "queue shows the submission as needing reconciliation.",
    )
    program_figures_min_group: int = Field(
        5, ge=1, description="Program designers' per-stack figures: a stack followed by fewer candidates is not "
        "shown, a smaller count reads 'fewer than N', and a time needs at least this many candidates.",
    )
    # Retention (docs/service.md, Retention): per rubric id, '*' for every other rubric; unset: kept.
    retention_draft_days: dict[str, int] = Field(
        default_factory=dict, description="Days a draft may go untouched (no upload, self-check or change) before it "
        "and its files are deleted, per rubric id or '*', e.g. {\"*\": 365}; none: drafts are kept.",
    )
    retention_released_files_days: dict[str, int] = Field(
        default_factory=dict, description="Days after a decision's release when the submission's uploaded files are "
        "deleted (the decision and the screening report stay), per rubric id or '*'; none: files are kept.",
    )
    retention_check_s: float = Field(
        3600.0, gt=0, description="How often the server (and `python -m service worker`) applies the retention "
        "settings; `python -m service purge` applies them once.",
    )

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / "mc-screening"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolved_data_dir() / 'service.db'}"

    def resolved_storage_dir(self) -> Path:
        return self.storage_dir or self.resolved_data_dir() / "uploads"

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> "ServiceSettings":
        if self.job_heartbeat_s >= self.job_lease_s:
            raise ValueError("service.job_heartbeat_s must be shorter than service.job_lease_s")
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("service.storage = 's3' needs service.s3_bucket")
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("service.webhook_url needs service.webhook_secret to sign its requests")
        if self.worker == "celery" and not self.broker_url:
            raise ValueError("service.worker = 'celery' needs service.broker_url (e.g. redis://localhost:6379/0)")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCREENING_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    rubric_dirs: list[Path] = Field(
        default_factory=_default_rubric_dirs,
        description="Folders searched for rubric YAML files; default: the bundled rubrics/ folder.",
    )
    program_dirs: list[Path] = Field(
        default_factory=_default_program_dirs,
        description="Folders searched for program YAML files (docs/program-format.md); default: the bundled programs/ folder.",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Embedding cache and other derived data; default: $XDG_CACHE_HOME/mc-screening or ~/.cache/mc-screening.",
    )
    use_cache: bool = Field(True, description="Cache extracted text and embeddings on disk by content hash.")
    models: ModelSettings = Field(default_factory=ModelSettings)
    mapping: MappingSettings = Field(default_factory=MappingSettings)
    passages: PassageSettings = Field(default_factory=PassageSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    citations: CitationSettings = Field(default_factory=CitationSettings)
    echo: EchoSettings = Field(default_factory=EchoSettings)
    duplicates: DuplicateSettings = Field(default_factory=DuplicateSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = config_file_path()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    def public_dict(self) -> dict[str, Any]:
        """The settings that shape a report's content, for recording in the report."""
        return {
            "mapping": self.mapping.model_dump(mode="json"),
            "passages": self.passages.model_dump(mode="json"),
            "citations": self.citations.model_dump(mode="json"),
            "privacy": self.privacy.model_dump(mode="json"),
            "echo": self.echo.model_dump(mode="json"),
            "calibration": {"enabled": self.calibration.enabled},
        }


def config_file_path() -> Path | None:
    named = os.environ.get("SCREENING_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"SCREENING_CONFIG names {path}, which does not exist")
        return path
    local = Path("screening.toml")
    return local if local.is_file() else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
