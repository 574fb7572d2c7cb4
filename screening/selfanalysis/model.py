"""The data a self-analysis reading produces: citations, locations and problems.

Plain frozen data (picklable, no library objects) so it can cross a process boundary and be
written into a report as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Location:
    """One place inside an artifact.

    ``kind`` is ``page``, ``slide``, ``row`` (of a spreadsheet or table), ``time`` or ``whole``.
    Pages, slides and rows are 1-based integers; times are seconds. ``end`` is None for a single page, slide or instant; ``whole``
    has neither start nor end. ``raw`` is the phrase it was parsed from, as written (a list such as
    "pp. 4, 7" gives two locations sharing that raw text).
    """

    kind: str
    start: float | None
    end: float | None
    raw: str


@dataclass(frozen=True)
class Citation:
    row: int  # 1-based row as the candidate sees it (spreadsheet/table row; list position for JSON/YAML)
    detail_ids: tuple[str, ...]  # resolved against the rubric, in rubric order
    target_raw: str  # what the row said it evidences
    artifact_raw: str
    locations: tuple[Location, ...]
    unparsed_locations: tuple[str, ...]  # verbatim, never guessed
    explanation: str


class ProblemCode(StrEnum):
    """Codes of :class:`SelfAnalysisProblem`. Public: the pipeline maps them to report flags."""

    UNREADABLE = "unreadable"  # params: reason
    NO_TABLE = "no_table"  # params: reason
    NO_HEADER = "no_header"  # params: seen (the first cells found), expected
    MISSING_COLUMN = "missing_column"  # params: role, expected
    NO_TARGET = "no_target"  # row; params: artifact
    UNKNOWN_TARGET = "unknown_target"  # row; params: target, closest ("" or "2.1 (0.41)")
    TARGET_BY_WORDING = "target_by_wording"  # row; params: target, detail_id, score (info)
    NO_ARTIFACT = "no_artifact"  # row; params: target
    NO_LOCATION = "no_location"  # row; params: target
    UNPARSED_LOCATION = "unparsed_location"  # row; params: text, target
    ARTIFACT_IN_LOCATION = "artifact_in_location"  # row; params: artifact, location
    NO_EXPLANATION = "no_explanation"  # row; params: target
    DETAIL_NOT_CITED = "detail_not_cited"  # no row; params: detail_id, detail_text
    TOO_MANY_ROWS = "too_many_rows"  # no row; params: limit


@dataclass(frozen=True)
class SelfAnalysisProblem:
    """Something to tell the assessor about the self-analysis. ``row`` is None for the file."""

    code: str
    row: int | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SelfAnalysis:
    citations: tuple[Citation, ...]
    columns: dict[str, str]  # role -> header as written
    problems: tuple[SelfAnalysisProblem, ...]

    def problem_codes(self) -> list[str]:
        return [p.code for p in self.problems]
