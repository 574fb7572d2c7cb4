"""What changed between two advisory reports of the same submission (a resubmission).

Details that moved between missing / weak / met, flags added and cleared, words per part, files
added, removed and changed, and whether the rubric version changed. Flags are matched by what
they are about (code, detail, file, self-analysis row, page), not by their message, so a reworded
message or a shifted character span is not a change. Like the reports, the diff says what the
automated reading found, not a judgment.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import Errors, ExportError, UsageError
from .model import READABLE_VERSIONS, Flag, Location, Report, RubricRef, load_report
from .render import STATUS_WORDS

DIFF_VERSION = "1.0"
Status = Literal["met", "weak", "missing"]
_RANK = {"missing": 0, "weak": 1, "met": 2}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DetailMove(_Model):
    detail_id: str
    eo: str
    old: Status
    new: Status
    direction: Literal["up", "down"] = Field(description="'up' when more evidence was found (toward met).")


class FlagEntry(_Model):
    code: str
    severity: Literal["error", "warning", "info"]
    message: str
    detail_id: str | None
    part: str | None
    file: str | None
    location: Location | None


class PartWords(_Model):
    part: str
    title: str
    old: int | None = Field(description="None when the old report had no such part.")
    new: int | None
    delta: int
    minimum: int | None
    old_meets_minimum: bool | None
    new_meets_minimum: bool | None


class FileRef(_Model):
    name: str
    sha256: str


class FileChange(_Model):
    name: str
    old_sha256: str
    new_sha256: str


class FileRename(_Model):
    old_name: str
    new_name: str
    sha256: str


class ReportDiff(_Model):
    diff_version: Literal["1.0"] = DIFF_VERSION
    rubric_id: str
    old_rubric: RubricRef
    new_rubric: RubricRef
    rubric_changed: bool = Field(description="The reports used different rubric versions or content.")
    old_generated_at: datetime
    new_generated_at: datetime
    details_moved: list[DetailMove]
    details_unchanged: int
    details_added: list[str] = Field(description="Detail ids only in the new report (rubric changed).")
    details_removed: list[str]
    flags_added: list[FlagEntry]
    flags_cleared: list[FlagEntry]
    flags_unchanged: int
    words: list[PartWords]
    files_added: list[FileRef]
    files_removed: list[FileRef]
    files_changed: list[FileChange]
    files_renamed: list[FileRename] = Field(description="Same content (sha256) under a new name.")
    files_unchanged: list[str]


def flag_key(flag: Flag) -> tuple[str, str | None, str | None, int | None, int | None]:
    loc = flag.location
    return (flag.code, flag.detail_id, flag.file, loc.row if loc else None, loc.page if loc else None)


def _entry(flag: Flag) -> FlagEntry:
    return FlagEntry(code=flag.code, severity=flag.severity, message=flag.message, detail_id=flag.detail_id,
                     part=flag.part, file=flag.file, location=flag.location)


def _unmatched(flags: list[Flag], others: list[Flag]) -> list[Flag]:
    """Flags of ``flags`` with no counterpart in ``others`` (as many times as they repeat)."""
    left = Counter(flag_key(f) for f in others)
    out = []
    for f in flags:
        key = flag_key(f)
        if left[key]:
            left[key] -= 1
        else:
            out.append(f)
    return out


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Compare two reports of the same rubric; ``ExportError`` (E021) if their rubric ids differ."""
    if old.rubric.id != new.rubric.id:
        raise ExportError(Errors.E021.format(old=old.rubric.id, new=new.rubric.id))
    old_details = {d.id: d for d in old.details}
    new_details = {d.id: d for d in new.details}
    moved, same = [], 0
    for d in new.details:
        before = old_details.get(d.id)
        if before is None:
            continue
        if before.status == d.status:
            same += 1
        else:
            moved.append(DetailMove(detail_id=d.id, eo=d.eo, old=before.status, new=d.status,
                                    direction="up" if _RANK[d.status] > _RANK[before.status] else "down"))
    added = _unmatched(new.flags, old.flags)
    cleared = _unmatched(old.flags, new.flags)

    old_parts = {p.part: p for p in old.parts}
    new_parts = {p.part: p for p in new.parts}
    words = []
    for kind in [p.part for p in new.parts] + [k for k in old_parts if k not in new_parts]:
        o, n = old_parts.get(kind), new_parts.get(kind)
        ref = n or o
        words.append(PartWords(
            part=kind, title=ref.title, old=o.words if o else None, new=n.words if n else None,  # type: ignore[union-attr]
            delta=(n.words if n else 0) - (o.words if o else 0), minimum=ref.minimum,  # type: ignore[union-attr]
            old_meets_minimum=o.meets_minimum if o else None, new_meets_minimum=n.meets_minimum if n else None))

    old_files = {f.name: f.sha256 for f in old.files}
    new_files = {f.name: f.sha256 for f in new.files}
    gone = {name: sha for name, sha in old_files.items() if name not in new_files}
    came = {name: sha for name, sha in new_files.items() if name not in old_files}
    renamed = []
    for name, sha in list(came.items()):
        match = next((o for o, s in gone.items() if s == sha), None)
        if match is not None:
            renamed.append(FileRename(old_name=match, new_name=name, sha256=sha))
            del gone[match], came[name]
    both = [name for name in new_files if name in old_files]
    return ReportDiff(
        rubric_id=new.rubric.id, old_rubric=old.rubric, new_rubric=new.rubric,
        rubric_changed=(old.rubric.version, old.rubric.content_hash) != (new.rubric.version, new.rubric.content_hash),
        old_generated_at=old.generated_at, new_generated_at=new.generated_at,
        details_moved=moved, details_unchanged=same,
        details_added=[i for i in new_details if i not in old_details],
        details_removed=[i for i in old_details if i not in new_details],
        flags_added=[_entry(f) for f in added], flags_cleared=[_entry(f) for f in cleared],
        flags_unchanged=len(new.flags) - len(added),
        words=words,
        files_added=[FileRef(name=n, sha256=s) for n, s in came.items()],
        files_removed=[FileRef(name=n, sha256=s) for n, s in gone.items()],
        files_changed=[FileChange(name=n, old_sha256=old_files[n], new_sha256=new_files[n])
                       for n in both if old_files[n] != new_files[n]],
        files_renamed=renamed,
        files_unchanged=[n for n in both if old_files[n] == new_files[n]],
    )


def read_report(path: Path) -> Report:
    """A report JSON file as a ``Report``; coded errors for a missing, unreadable or wrong file."""
    if not path.is_file():
        raise UsageError(Errors.E006.format(path=path) if path.is_dir() else Errors.E005.format(path=path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(Errors.E019.format(path=path, problem=exc)) from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, str) and version not in READABLE_VERSIONS:
        raise UsageError(Errors.E020.format(path=path, version=" or ".join(READABLE_VERSIONS),
                                            problem=f"it is a report of schema {version}, which this version cannot read"))
    try:
        return load_report(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "(top level)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise UsageError(Errors.E020.format(path=path, version=" or ".join(READABLE_VERSIONS),
                                            problem=f"{where}: {first['msg']}{more}")) from exc


# ---------------------------------------------------------------------------------------------
# Markdown


def _where(f: FlagEntry) -> str:
    bits = [b for b in (f"detail {f.detail_id}" if f.detail_id else None, f.file or (f.part and f"part {f.part}"))
            if b]
    if f.location is not None:
        if f.location.row is not None:
            bits.append(f"self-analysis row {f.location.row}")
        elif f.location.label:
            bits.append(f.location.label)
        elif f.location.page is not None:
            bits.append(f"p. {f.location.page}")
    return ", ".join(bits)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: ReportDiff) -> str:
    d = diff
    rubric = (f"rubric `{d.rubric_id}` version {d.old_rubric.version}" if not d.rubric_changed else
              f"rubric `{d.rubric_id}`, version {d.old_rubric.version} → {d.new_rubric.version} "
              f"(**the rubric changed between the two screenings**)")
    lines = [
        f"# What changed since the previous version: {d.new_rubric.title}",
        "",
        "> Advisory: what the automated reading found differently in the new version. An assessor decides.",
        "",
        f"Previous report {d.old_generated_at.isoformat()}, new report {d.new_generated_at.isoformat()}; {rubric}.",
        "",
        "## EO details",
        "",
    ]
    if d.details_moved:
        lines += ["| Detail | Before | Now |", "|---|---|---|"]
        lines += [f"| {m.detail_id} | {STATUS_WORDS[m.old]} | {STATUS_WORDS[m.new]} |" for m in d.details_moved]
    else:
        lines.append("No detail changed status.")
    lines.append("")
    lines.append(_count(d.details_unchanged, "detail kept its status", "details kept their status") + ".")
    if d.details_added or d.details_removed:
        lines.append(f"Only in the new rubric: {', '.join(d.details_added) or 'none'}; "
                     f"only in the old: {', '.join(d.details_removed) or 'none'}.")
    lines += ["", "## Flags", ""]
    for title, entries in (("New", d.flags_added), ("Cleared", d.flags_cleared)):
        lines.append(f"### {title} ({len(entries)})")
        lines.append("")
        if entries:
            lines += ["| Code | Severity | Where | Message |", "|---|---|---|---|"]
            lines += [f"| `{f.code}` | {f.severity} | {_md(_where(f))} | {_md(f.message)} |" for f in entries]
        else:
            lines.append("None.")
        lines.append("")
    lines.append(_count(d.flags_unchanged, "flag is unchanged", "flags are unchanged") + ".")
    lines += ["", "## Words per part", "", "| Part | Before | Now | Change | Minimum |", "|---|---|---|---|---|"]
    for w in d.words:
        old = "—" if w.old is None else f"{w.old:,}"
        new = "—" if w.new is None else f"{w.new:,}"
        minimum = "" if w.minimum is None else f"{w.minimum:,}" + (" (not reached)" if w.new_meets_minimum is False else "")
        lines.append(f"| {_md(w.title)} | {old} | {new} | {w.delta:+,} | {minimum} |")
    lines += ["", "## Files", ""]
    rows = ([f"- added: {f.name}" for f in d.files_added] + [f"- removed: {f.name}" for f in d.files_removed]
            + [f"- changed: {f.name}" for f in d.files_changed]
            + [f"- renamed: {r.old_name} → {r.new_name}" for r in d.files_renamed])
    lines += rows or ["No file was added, removed or changed."]
    if d.files_unchanged:
        lines += ["", f"Unchanged: {', '.join(d.files_unchanged)}."]
    return "\n".join(lines) + "\n"
