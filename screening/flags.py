"""Every flag code the screener can raise, defined once.

Flag codes are a public interface: reports, the service and other tools key on them. A code is
never renamed, renumbered or reused; a retired code stays here as a comment. Messages are
advisory: they say what was found and where, never a verdict on the candidate.

Message templates use named ``{placeholders}`` filled from a flag's params; ``hint`` tells the
candidate what they could do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How much attention a flag asks for (not a judgment of the work).

    error: something the MC asks for appears to be absent or could not be read;
    warning: present but thin, or worth a second look;
    info: for the record.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class FlagCode:
    code: str
    severity: Severity
    template: str
    hint: str
    summary: str


_CODES: tuple[FlagCode, ...] = (
    FlagCode(
        "missing_evidence",
        Severity.ERROR,
        "No passage found that addresses detail {detail_id} ({detail_text}).{closest}",
        "Describe what you did for this detail, or cite the artifact page or time stamp that shows it.",
        "An EO detail with no passage that seems to address it.",
    ),
    FlagCode(
        "weak_evidence",
        Severity.WARNING,
        "Detail {detail_id} ({detail_text}) is addressed only loosely: {why}",
        "Add concrete particulars for this detail: who, what, when, how many, and what changed.",
        "An EO detail whose best passage is only loosely related, or that only general statements in the "
        "candidate's own words address.",
    ),
    FlagCode(
        "word_minimum",
        Severity.ERROR,
        "The {part_title} has {words} words; the minimum is {minimum}.",
        "Extend the {part_title} by at least {shortfall} words, answering the guiding questions.",
        "A part below its word minimum.",
    ),
    FlagCode(
        "part_missing",
        Severity.ERROR,
        "No file was provided for the {part_title}.",
        "Add the {part_title} to the submission.",
        "A required part of the MC has no file.",
    ),
    FlagCode(
        "file_unreadable",
        Severity.ERROR,
        "{file} could not be read: {reason}.",
        "Open the file yourself to check it, then export or save it again and re-upload it.",
        "A file that is corrupt, truncated or password-protected.",
    ),
    FlagCode(
        "file_unsupported",
        Severity.ERROR,
        "{file} is {detected}, which the screener cannot read.",
        "Upload it as PDF, DOCX, plain text or Markdown.",
        "A file whose type (decided by its content) is not supported.",
    ),
    FlagCode(
        "file_empty",
        Severity.ERROR,
        "{file} contains no text.",
        "Check that you uploaded the right file.",
        "A file with no bytes, or with no text at all.",
    ),
    FlagCode(
        "no_text_layer",
        Severity.WARNING,
        "{file}: no text layer on {page_list} (scanned images?), so that content was not screened.",
        "Run OCR on the scan or export the original document as PDF, so its text can be read.",
        "PDF pages with no extractable text.",
    ),
    FlagCode(
        "file_too_large",
        Severity.ERROR,
        "{file} exceeds the limit of {limit}; {consequence}.",
        "Split the file or remove material that is not evidence for this MC.",
        "A file over the configured size or page limit.",
    ),
    FlagCode(
        "file_type_mismatch",
        Severity.INFO,
        "{file} is named like {extension} but its content is {detected}; it was read as {detected}.",
        "Rename the file so its extension matches its content, so assessors can open it.",
        "A file whose extension disagrees with its content.",
    ),
    FlagCode(
        "no_speech",
        Severity.WARNING,
        "{file}: {reason}; nothing from it was screened.",
        "Check that the recording has sound; an assessor can listen to it directly.",
        "A recording with no (or too little) detected speech.",
    ),
    FlagCode(
        "language",
        Severity.WARNING,
        "{file}: the speech seems not to be in English ({language}; {probability} by {method}; at {time_ranges}), "
        "so its transcript may not reflect what was said.",
        "An assessor should listen to it. To transcribe other languages, an administrator can set {setting} to a "
        "multilingual Whisper model.",
        "Speech that seems not to be English (the bundled tiny.en model transcribes English only).",
    ),
    FlagCode(
        "low_confidence_transcript",
        Severity.WARNING,
        "{file}: the transcript is uncertain for {share} of the speech ({low_s}), at {time_ranges}; watch those "
        "parts rather than reading the transcript.",
        "A clearer recording (closer microphone, less background noise) transcribes better.",
        "A recording whose transcript is uncertain for a large share of its speech.",
    ),
    FlagCode(
        "media_too_long",
        Severity.ERROR,
        "{file} ({duration}) exceeds the limit of {limit} for audio and video ({setting}); it was not transcribed.",
        "Trim the recording to the part that shows the evidence, or split it.",
        "A recording over the configured duration or size limit (checked before decoding).",
    ),
    FlagCode(
        "self_analysis_unreadable",
        Severity.ERROR,
        "{file}: the evidence self-analysis could not be read as a table: {reason}.",
        "Give the self-analysis as a table with columns for the EO detail, the artifact, the location and the explanation.",
        "A self-analysis file with no readable table of citations.",
    ),
    FlagCode(
        "citation_missing_row",
        Severity.ERROR,
        "No self-analysis row cites detail {detail_id} ({detail_text}).",
        "Add a row naming the artifact and the page or time stamp that shows this detail, with an explanation.",
        "An EO detail that no row of the self-analysis cites.",
    ),
    FlagCode(
        "citation_unknown_target",
        Severity.WARNING,
        "Row {row} names “{target}”, which is not a detail or EO of this rubric.{closest}",
        "Name the detail by its number (for example 2.1) or the EO by “EO 2”.",
        "A self-analysis row whose detail or EO could not be matched to the rubric.",
    ),
    FlagCode(
        "citation_missing_artifact",
        Severity.ERROR,
        "Row {row} cites “{artifact}”, which is not among the submission's artifacts.{suggestion}",
        "Upload the cited file, or correct its name in the self-analysis so it matches the uploaded file.",
        "A citation of a file that is not in the submission.",
    ),
    FlagCode(
        "citation_page_out_of_range",
        Severity.ERROR,
        "Row {row} cites {location} of {file}, which has {pages} pages.",
        "Check the page number against the uploaded file.",
        "A cited page beyond the end of the cited PDF.",
    ),
    FlagCode(
        "citation_time_out_of_range",
        Severity.ERROR,
        "Row {row} cites {location} in {file}, which lasts {duration}.",
        "Check the time stamp against the uploaded recording.",
        "A cited time beyond the end of the cited recording.",
    ),
    FlagCode(
        "citation_wrong_location",
        Severity.WARNING,
        "Row {row}: the evidence for {detail_id} appears to be {found}, not {cited} as cited.{basis}",
        "Check where this evidence is and correct the location, so the assessor finds it first time.",
        "A cited place that does not seem to address the detail while another place does.",
    ),
    FlagCode(
        "citation_unparsed",
        Severity.WARNING,
        "Row {row}: the location “{text}” could not be read as a page, slide or time stamp.",
        "Write locations like “p. 4”, “pages 4-6”, “slide 3” or “12:30-14:05”.",
        "A citation location that could not be parsed (reported verbatim, never guessed).",
    ),
    FlagCode(
        "explanation_too_short",
        Severity.WARNING,
        "Row {row} ({target}): the explanation {problem}.",
        "Say what the cited evidence shows for this detail: who did what, when, and with what result.",
        "A self-analysis explanation too short or too generic to guide an assessor.",
    ),
    FlagCode(
        "rubric_echo",
        Severity.WARNING,
        "{where} mostly restates the rubric's wording ({closest}): {share}% of its content words come from the "
        "rubric and it names no particulars (who, when, how many). It is not counted as evidence on its own.",
        "Replace the restated wording with what you actually did: who was involved, when, how many, and what changed.",
        "A passage that restates the rubric instead of describing practice; not counted as evidence.",
    ),
    FlagCode(
        "student_privacy",
        Severity.WARNING,
        "{file}{where} appears to contain students' personal data: {found}.",
        "Redact students' names, ID numbers, dates of birth and contact details (or replace them with codes) "
        "before submitting; the report does not repeat them.",
        "Likely student personal data (names in student context, ID numbers, dates of birth, emails, phone "
        "numbers) on a page or in a stretch of a recording (FERPA).",
    ),
    FlagCode(
        "file_ignored",
        Severity.INFO,
        "{file} is not in a place of the submission folder that belongs to a part, so it was not screened.",
        "Put artifacts under artifacts/, or name the file narrative, reflection or self-analysis.",
        "A file in a submission folder that fits no part.",
    ),
)

CODES: dict[str, FlagCode] = {c.code: c for c in _CODES}


def get(code: str) -> FlagCode:
    try:
        return CODES[code]
    except KeyError:
        raise KeyError(f"unknown flag code {code!r}; known codes: {', '.join(sorted(CODES))}") from None


class _Default(dict):
    def __missing__(self, key: str) -> str:  # a missing param never crashes a report
        return "{" + key + "}"


def render(code: str, params: dict[str, object]) -> tuple[str, str]:
    """Return (message, hint) for a flag code filled with params."""
    fc = get(code)
    values = _Default({k: str(v) for k, v in params.items()})
    return fc.template.format_map(values), fc.hint.format_map(values)
