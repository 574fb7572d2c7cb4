"""What assessors see instead of a candidate's identity: file aliases and scrubbed text.

Assessors never see a candidate's name, email or the names the files were uploaded under. Files
are shown as ``<part>-<n>.<ext>`` (``artifact-2.pdf``), numbered per part in upload order, and the
same alias replaces the file's name everywhere in the report (file list, parts, evidence, flags).
The candidate's name (whole and each part of it), their email and its local part, and any other
email address are replaced in every string an assessor is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Iterable

from .models import StoredFile, User

NAME_MARK = "[candidate]"
EMAIL_MARK = "[email]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Extensions by the kind decided from content (never from the uploaded name).
_EXT = {"pdf": ".pdf", "docx": ".docx", "text": ".txt", "markdown": ".md"}
_SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,5}$")


def alias_extension(f: StoredFile) -> str:
    if f.kind in _EXT:
        return _EXT[f.kind]
    ext = PurePath(f.original_name).suffix.lower()
    return ext if _SAFE_EXT.match(ext) else ""


def file_aliases(files: Iterable[StoredFile]) -> dict[str, str]:
    """File id → alias; ``files`` in upload order (created_at, id)."""
    counts: dict[str, int] = {}
    out: dict[str, str] = {}
    for f in files:
        counts[f.role] = counts.get(f.role, 0) + 1
        out[f.id] = f"{f.role.replace('_', '-')}-{counts[f.role]}{alias_extension(f)}"
    return out


@dataclass
class Scrubber:
    """Replaces identifying strings: file names by aliases, the candidate's name and email by marks."""

    names: dict[str, str] = field(default_factory=dict)  # uploaded file name → alias
    person: list[str] = field(default_factory=list)  # the candidate's name, its parts, email, email local part

    def __post_init__(self) -> None:
        names = sorted(self.names, key=len, reverse=True)  # longest first: "a b.pdf" before "b.pdf"
        self._names = re.compile("|".join(re.escape(n) for n in names)) if names else None
        words = sorted({p for p in self.person if len(p) >= 2}, key=len, reverse=True)
        # Whole words only, any case, any run of spaces inside a multi-word name (PDF text varies).
        alts = [r"\s+".join(re.escape(w) for w in p.split()) for p in words]
        self._person = re.compile(r"(?<!\w)(" + "|".join(alts) + r")(?!\w)", re.IGNORECASE) if alts else None

    @classmethod
    def for_candidate(cls, candidate: User | None, files: Iterable[StoredFile]) -> "Scrubber":
        files = list(files)
        aliases = file_aliases(files)
        person: list[str] = []
        if candidate is not None:
            if candidate.display_name:
                person.append(candidate.display_name)
                person += re.split(r"[\s,.]+", candidate.display_name)
            local = candidate.email.split("@")[0]
            person += [local, *re.split(r"[._+-]+", local)]
        return cls(names={f.original_name: aliases[f.id] for f in files}, person=[p for p in person if p])

    def text(self, s: str) -> str:
        if self._names is not None:
            s = self._names.sub(lambda m: self.names[m.group(0)], s)
        s = _EMAIL.sub(EMAIL_MARK, s)
        if self._person is not None:
            s = self._person.sub(NAME_MARK, s)
        return s

    def spans(self, s: str) -> list[tuple[int, int]]:
        """Where in ``s`` something would be replaced (for redacting page images)."""
        found = [m.span() for m in _EMAIL.finditer(s)]
        for pattern in (self._names, self._person):
            if pattern is not None:
                found += [m.span() for m in pattern.finditer(s)]
        return sorted(found)

    def json(self, value: Any) -> Any:
        """Every string in a JSON value scrubbed (keys too: a report may key by file name)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.json(v) for k, v in value.items()}
        return value
