"""Column headers: which header means which of the four roles.

Candidates head their columns in many ways ("EO Detail #", "Evidence location (page/time
stamp)", "Explaination"). A header is normalised (case, punctuation, "&"), then scored against
each role's known phrases: an exact phrase scores highest, a known phrase inside the header
next (longer phrases and phrases the header starts with count more, so "Evidence location"
is a location and not an artifact), then a difflib ratio for misspellings.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

ROLES = ("detail", "artifact", "location", "explanation")

_PHRASES: dict[str, tuple[str, ...]] = {
    "detail": (
        "eo detail", "eo details", "detail", "details", "outcome", "outcomes", "essential outcome",
        "essential outcomes", "essential outcome detail", "outcome detail", "eo", "eos", "eo detail id",
        "detail id", "detail number", "eo number", "criterion", "criteria", "component", "indicator",
        "eo and detail", "eo detail number", "target", "eo id",
    ),
    "artifact": (
        "artifact", "artifacts", "artefact", "artefacts", "evidence", "file", "files", "file name",
        "filename", "document", "documents", "artifact name", "artifact title", "artifact file",
        "uploaded artifact", "uploaded artifacts", "evidence artifact", "evidence file", "source",
        "title", "artifact s",
    ),
    "location": (
        "location", "locations", "evidence location", "where", "page", "pages", "page number",
        "page numbers", "time stamp", "timestamp", "time stamps", "timestamps", "slide", "slides",
        "page slide time stamp", "page time stamp", "location in artifact", "specific location",
        "page or time stamp", "where in artifact", "page no", "pg", "specific evidence",
    ),
    "explanation": (
        "explanation", "explanations", "how it shows proficiency", "how the evidence demonstrates proficiency",
        "demonstrates proficiency", "proficiency", "rationale", "notes", "note", "comments", "comment",
        "description", "justification", "explanation of proficiency", "why", "reasoning", "reflection",
        "how it demonstrates proficiency", "how this shows proficiency", "self analysis", "analysis",
        "how it shows", "how this shows", "what it shows", "how it demonstrates", "how this demonstrates",
    ),
}

_FUZZY_MIN = 0.8  # difflib ratio below which a header is not taken as a misspelt phrase
_LONG_HEADER_WORDS = 12  # a "header" this long is a sentence of data, not a header


def normalise_header(text: str) -> str:
    text = text.lower().replace("&", " and ")
    return " ".join(re.findall(r"[a-z0-9]+", text))


def role_score(header: str) -> tuple[str | None, float]:
    """The best role for one header and its score in [0, 1]; (None, 0) when nothing fits."""
    norm = normalise_header(header)
    if not norm or len(norm.split()) > _LONG_HEADER_WORDS:
        return None, 0.0
    best: tuple[str | None, float] = (None, 0.0)
    padded = f" {norm} "
    for role, phrases in _PHRASES.items():
        for phrase in phrases:
            if norm == phrase:
                score = 1.0
            elif f" {phrase} " in padded:
                words = len(phrase.split())
                score = 0.8 + 0.04 * min(words, 3) + (0.05 if norm.startswith(phrase + " ") else 0.0)
            else:
                # the upper bounds first: every data row is asked whether it repeats the header,
                # and its cells are mostly too long or too unlike any phrase to need the full ratio
                ratio = 0.0
                if 2 * min(len(norm), len(phrase)) >= _FUZZY_MIN * (len(norm) + len(phrase)):  # real_quick_ratio
                    match = difflib.SequenceMatcher(None, norm, phrase)
                    ratio = match.ratio() if match.quick_ratio() >= _FUZZY_MIN else 0.0
                score = 0.75 * ratio if ratio >= _FUZZY_MIN else 0.0
            if score > best[1]:
                best = (role, score)
    return best


@dataclass(frozen=True)
class HeaderMap:
    """Where each role's column is: role -> column index, and role -> header as written."""

    index: dict[str, int]
    headers: dict[str, str]

    @property
    def missing(self) -> list[str]:
        return [r for r in ROLES if r not in self.index]


def map_headers(cells: list[str]) -> HeaderMap | None:
    """Map a row of cells to roles, or None when fewer than two roles are recognised (then it
    is not a header row). Each role takes one column; the best-scoring claims win."""
    claims = []
    for i, cell in enumerate(cells):
        role, score = role_score(cell)
        if role is not None:
            claims.append((score, -i, role, i))
    index: dict[str, int] = {}
    for _score, _neg, role, i in sorted(claims, reverse=True):
        if role not in index and i not in index.values():
            index[role] = i
    if len(index) < 2:
        return None
    # Detail, artifact and location named and one more column headed in the candidate's own words
    # ("How this shows the detail", "Connection to the EO"): that is the explanation, the column
    # candidates head most freely. Without this every row's explanation reads as missing. Only the
    # explanation is filled so: a "Reviewer" column beside a table without locations is no location.
    unclaimed = [i for i, cell in enumerate(cells) if i not in index.values() and _names_a_column(cell)]
    if [r for r in ROLES if r not in index] == ["explanation"] and len(unclaimed) == 1:
        index["explanation"] = unclaimed[0]
    index = dict(sorted(index.items(), key=lambda kv: ROLES.index(kv[0])))
    return HeaderMap(index, {role: " ".join(cells[i].split()) for role, i in index.items()})


def _names_a_column(cell: str) -> bool:
    """A header in words, not a row number's ("#", "No.", "Row")."""
    norm = normalise_header(cell)
    return bool(re.search(r"[a-z]{3}", norm)) and norm not in {"row", "rows", "number", "item", "items", "num"}


def find_header(rows: list[list[str]], look: int = 10) -> tuple[int, HeaderMap] | None:
    """The first of the first ``look`` rows that is a header: (its position, its map)."""
    for pos, cells in enumerate(rows[:look]):
        hmap = map_headers(cells)
        if hmap is not None:
            return pos, hmap
    return None
