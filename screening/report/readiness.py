"""The readiness summary at the top of every report: counts, and the fixes most worth making
first.

Made from the report's own details, parts and flags (never pipeline internals), so the same
report always gives the same summary. Fixes are ordered by what costs the candidate most if left:
students' data first (it must never reach an assessor), then anything the assessor cannot read
at all, then absent content, then citations the assessor cannot follow, then thin content. The
wording says what to do, never whether the submission will pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Sequence

from ..locations import mmss
from .model import DetailResult, Fix, Flag, PartSummary, Readiness

FILE_CODES = frozenset({
    "file_unreadable", "file_unsupported", "file_empty", "no_text_layer", "file_too_large",
    "no_speech", "language", "low_confidence_transcript", "media_too_long",
})
CITATION_CODES = frozenset({
    "citation_missing_row", "citation_unknown_target", "citation_missing_artifact",
    "citation_page_out_of_range", "citation_time_out_of_range", "citation_unparsed",
    "citation_wrong_location", "explanation_too_short", "self_analysis_unreadable",
})


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _listed(items: Sequence[str], limit: int = 4) -> str:
    items = list(dict.fromkeys(items))  # unique, in order
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _place(f: Flag) -> str:
    name = PurePosixPath(f.file).name if f.file else "?"
    loc = f.location
    if loc is None:
        return name
    if loc.start_s is not None:
        return f"{name} at {mmss(loc.start_s)}"
    if loc.page is not None:
        return f"{name} p. {loc.page}"
    return name


def _rows(flags: Sequence[Flag]) -> str:
    rows = sorted({f.location.row for f in flags if f.location is not None and f.location.row is not None})
    return ("row " if len(rows) == 1 else "rows ") + _listed([str(r) for r in rows], 6) if rows else ""


@dataclass(frozen=True)
class _Rule:
    codes: frozenset[str]
    text: Callable[[list[Flag], Sequence[PartSummary]], str]


def _privacy(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    return (f"Redact students' personal data before submitting, in {_plural(len(fs), 'place')}: "
            f"{_listed([_place(f) for f in fs])}.")


def _files(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    names = [PurePosixPath(f.file).name for f in fs if f.file]
    return (f"Replace or fix {_plural(len(set(names)) or len(fs), 'file')} the screener could not read in full: "
            f"{_listed(names) or 'see the flags'}, so the assessor can read what you meant to show.")


def _parts(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    return "Add what is missing: " + "; ".join(dict.fromkeys(f.message.rstrip(".") for f in fs)) + "."


def _missing(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    ids = [f.detail_id for f in fs if f.detail_id]
    return (f"Add evidence for {_plural(len(ids), 'detail')} where no passage was found: {_listed(ids, 8)} "
            "(describe what you did, or cite where an artifact shows it).")


def _words(fs: list[Flag], parts: Sequence[PartSummary]) -> str:
    short = [p for p in parts if p.meets_minimum is False and p.minimum is not None]
    if not short:
        return "Lengthen the parts below their word minimum."
    return "Lengthen " + "; ".join(
        f"the {p.title.lower()} by at least {p.minimum - p.words:,} words ({p.words:,} of {p.minimum:,})"  # type: ignore[operator]
        for p in short
    ) + "."


def _citations(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    kinds = {
        "citation_missing_row": ("detail with no row", "details with no row"),
        "citation_unknown_target": ("row naming no known detail", "rows naming no known detail"),
        "citation_missing_artifact": ("file not in the submission", "files not in the submission"),
        "citation_page_out_of_range": ("page that does not exist", "pages that do not exist"),
        "citation_time_out_of_range": ("time stamp past the end", "time stamps past the end"),
        "citation_unparsed": ("location that could not be read", "locations that could not be read"),
        "self_analysis_unreadable": ("table that could not be read", "tables that could not be read"),
    }
    counts: dict[str, int] = {}
    for f in fs:
        counts[f.code] = counts.get(f.code, 0) + 1
    what = ", ".join(f"{n} {kinds[c][n != 1]}" for c, n in counts.items())
    rows = _rows(fs)
    return (f"Fix {_plural(len(fs), 'citation problem')} in the evidence self-analysis ({what})"
            + (f": {rows}" if rows else "") + ".")


def _wrong_place(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    ids = [f.detail_id for f in fs if f.detail_id]
    return (f"Check the cited places for {_plural(len(ids), 'detail')} ({_listed(ids)}): the evidence seems to be "
            f"elsewhere ({_rows(fs)}).")


def _echo(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    return (f"Rewrite {_plural(len(fs), 'paragraph')} that {'restates' if len(fs) == 1 else 'restate'} the rubric with what you actually did "
            f"({_listed([_place(f) for f in fs])}); they are not counted as evidence.")


def _weak(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    ids = [f.detail_id for f in fs if f.detail_id]
    return (f"Add concrete particulars (who, when, how many, what changed) for {_plural(len(ids), 'loosely addressed detail')}: "
            f"{_listed(ids, 8)}.")


def _explanations(fs: list[Flag], _: Sequence[PartSummary]) -> str:
    return f"Expand {_plural(len(fs), 'short or generic explanation')} in the self-analysis ({_rows(fs)})."


_RULES: tuple[_Rule, ...] = (
    _Rule(frozenset({"student_privacy"}), _privacy),
    _Rule(FILE_CODES, _files),
    _Rule(frozenset({"part_missing"}), _parts),
    _Rule(frozenset({"missing_evidence"}), _missing),
    _Rule(frozenset({"word_minimum"}), _words),
    _Rule(CITATION_CODES - {"citation_wrong_location", "explanation_too_short"}, _citations),
    _Rule(frozenset({"citation_wrong_location"}), _wrong_place),
    _Rule(frozenset({"rubric_echo"}), _echo),
    _Rule(frozenset({"weak_evidence"}), _weak),
    _Rule(frozenset({"explanation_too_short"}), _explanations),
)


def readiness(details: Sequence[DetailResult], parts: Sequence[PartSummary], flags: Sequence[Flag],
              max_fixes: int = 5) -> Readiness:
    fixes: list[Fix] = []
    # Guidance on derived details (missing or weak evidence demoted to info, and a general row for
    # such a detail) is not a fix to make, nor is an artifact's paragraph in the rubric's words (set
    # aside as evidence, nothing to rewrite).
    flags = [f for f in flags if not (f.severity == "info" and f.code in {
        "missing_evidence", "weak_evidence", "rubric_echo", "explanation_too_short"})]
    for rule in _RULES:
        matched = [f for f in flags if f.code in rule.codes]
        if matched:
            fixes.append(Fix(priority=len(fixes) + 1, text=rule.text(matched, parts),
                             codes=sorted({f.code for f in matched}), flags=len(matched)))
    count = lambda codes: sum(1 for f in flags if f.code in codes)  # noqa: E731
    return Readiness(
        details_strong=sum(d.status == "met" for d in details),
        details_weak=sum(d.status == "weak" for d in details),
        details_missing=sum(d.status == "missing" for d in details),
        citation_problems=count(CITATION_CODES),
        word_minimum_problems=count({"word_minimum"}),
        privacy_warnings=count({"student_privacy"}),
        echo_passages=count({"rubric_echo"}),
        file_problems=count(FILE_CODES | {"part_missing"}),
        fixes=fixes[:max_fixes],
        more_fixes=max(0, len(fixes) - max_fixes),
    )
