"""What a submission is made of: files assigned to the MC's parts.

Two ways in: explicit files (``screening check --narrative F --artifact F ...``) or a submission
folder laid out as docs/submission-folder.md describes::

    submission.yaml        optional: rubric: <id>  (and explicit file lists, see the docs)
    narrative.<ext>        Part 1
    reflection.<ext>       Part 3
    self-analysis.<ext>    Part 2's evidence self-analysis
    artifacts/             Part 2's artifacts (any depth)

Every file in the folder is accounted for: one that fits no part is reported, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from .errors import Errors, UsageError

Role = Literal["narrative", "reflection", "artifact", "self_analysis"]

# Each role belongs to one rubric part.
PART_OF_ROLE: dict[str, str] = {
    "narrative": "narrative",
    "reflection": "reflection",
    "artifact": "portfolio",
    "self_analysis": "portfolio",
}

_STEMS: dict[str, Role] = {
    "narrative": "narrative",
    "responsive-narrative": "narrative",
    "reflection": "reflection",
    "self-analysis": "self_analysis",
    "evidence-self-analysis": "self_analysis",
}
_MANIFEST_NAMES = ("submission.yaml", "submission.yml")
_MANIFEST_KEYS = {"rubric", "narrative", "reflection", "self_analysis", "artifacts"}


@dataclass(frozen=True)
class SubmissionFile:
    path: Path
    role: Role
    name: str  # as shown in reports: relative to the submission folder when there is one

    @property
    def part(self) -> str:
        return PART_OF_ROLE[self.role]


@dataclass
class Submission:
    files: list[SubmissionFile]
    rubric_id: str | None = None
    root: Path | None = None
    ignored: list[str] = field(default_factory=list)  # folder files that fit no part

    def by_part(self, part: str) -> list[SubmissionFile]:
        return [f for f in self.files if f.part == part]


def _stem_key(path: Path) -> str:
    return re.sub(r"[\s_]+", "-", path.stem.strip().lower())


def _check_file(path: Path) -> Path:
    if not path.exists():
        raise UsageError(Errors.E005.format(path=path))
    if path.is_dir():
        raise UsageError(Errors.E006.format(path=path))
    return path


def from_files(
    *,
    narrative: Iterable[Path] = (),
    reflection: Iterable[Path] = (),
    artifacts: Iterable[Path] = (),
    self_analysis: Iterable[Path] = (),
    rubric_id: str | None = None,
) -> Submission:
    files: list[SubmissionFile] = []
    seen: set[Path] = set()
    groups: list[tuple[Role, Iterable[Path]]] = [
        ("narrative", narrative), ("reflection", reflection), ("artifact", artifacts), ("self_analysis", self_analysis)
    ]
    for role, paths in groups:
        for p in paths:
            path = _check_file(Path(p))
            if path.resolve() in seen:
                raise UsageError(Errors.E014.format(path=path))
            seen.add(path.resolve())
            files.append(SubmissionFile(path, role, _unique_name(path.name, files)))
    if not files:
        raise UsageError(Errors.E007)
    return Submission(files=files, rubric_id=rubric_id)


def _unique_name(name: str, files: list[SubmissionFile]) -> str:
    taken = {f.name for f in files}
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    i = 2
    while f"{stem} ({i}){dot}{ext}" in taken:
        i += 1
    return f"{stem} ({i}){dot}{ext}"


def _read_manifest(path: Path) -> dict[str, object]:
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError, OSError) as exc:
        raise UsageError(Errors.E009.format(path=path, problem=f"cannot be read as YAML ({exc})")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(Errors.E009.format(path=path, problem="must be a mapping such as `rubric: <id>`"))
    unknown = set(data) - _MANIFEST_KEYS
    if unknown:
        raise UsageError(
            Errors.E009.format(path=path, problem=f"unknown keys {sorted(unknown)}; allowed: {sorted(_MANIFEST_KEYS)}")
        )
    return data


def _listed(root: Path, value: object, manifest: Path) -> list[Path]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise UsageError(Errors.E009.format(path=manifest, problem="file lists must be a name or a list of names"))
    out: list[Path] = []
    for pattern in items:
        matches = sorted(root.glob(pattern))
        if not matches:
            raise UsageError(Errors.E009.format(path=manifest, problem=f"'{pattern}' matches no file"))
        out.extend(m for m in matches if m.is_file())
    return out


def from_folder(root: Path, rubric_id: str | None = None) -> Submission:
    """A submission from a folder (see the module docstring). ``rubric_id`` overrides the manifest."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(Errors.E005.format(path=root))
    manifest_path = next((root / n for n in _MANIFEST_NAMES if (root / n).is_file()), None)
    manifest = _read_manifest(manifest_path) if manifest_path else {}
    rubric = rubric_id or (str(manifest["rubric"]) if "rubric" in manifest else None)
    if rubric is None:
        raise UsageError(Errors.E008.format(path=root))

    assigned: dict[Path, Role] = {}
    explicit = {"narrative": "narrative", "reflection": "reflection", "self_analysis": "self_analysis", "artifacts": "artifact"}
    for key, role in explicit.items():
        if key in manifest:
            for p in _listed(root, manifest[key], manifest_path):  # type: ignore[arg-type]
                assigned.setdefault(p.resolve(), role)  # type: ignore[arg-type]

    all_files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    ignored: list[str] = []
    for p in all_files:
        rel = p.relative_to(root)
        if p.resolve() in assigned or (manifest_path and p == manifest_path):
            continue
        if rel.parts[0] == "artifacts" and len(rel.parts) > 1:
            role: Role | None = "artifact"
        elif len(rel.parts) == 1:
            role = _STEMS.get(_stem_key(p))
        else:
            role = None
        if role is None:
            ignored.append(rel.as_posix())
            continue
        assigned[p.resolve()] = role
    files = [
        SubmissionFile(p, assigned[p.resolve()], p.relative_to(root).as_posix())
        for p in all_files
        if p.resolve() in assigned
    ]
    order = {"narrative": 0, "reflection": 1, "self_analysis": 2, "artifact": 3}
    files.sort(key=lambda f: (order[f.role], f.name))
    return Submission(files=files, rubric_id=rubric, root=root, ignored=ignored)
