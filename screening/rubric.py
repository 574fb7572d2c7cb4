"""Rubrics: the YAML format, its validation and the catalogue of rubrics on disk.

A rubric file is validated against ``rubrics/schema/rubric.schema.json`` and a few rules a
schema cannot say (unique ids, detail ids under their EO). Every problem names the file, the
line and the field. A loaded rubric is identified by id, version and the SHA-256 of its
canonical JSON (sorted keys), so a report can record exactly which rubric it used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Iterable, Literal, TypeVar

import jsonschema
from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from .errors import Errors, RubricError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "rubrics" / "schema" / "rubric.schema.json"
_BUNDLED_SCHEMA = Path(__file__).resolve().parent / "bundled_rubrics" / "schema" / "rubric.schema.json"

PartKind = Literal["narrative", "portfolio", "reflection"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProficiencyLevel(_Frozen):
    id: str
    label: str
    description: str = ""


class GuidingQuestion(_Frozen):
    text: str
    derived: bool = False


class Part(_Frozen):
    kind: PartKind
    title: str
    instructions: str = ""
    word_minimum: int | None = None
    word_maximum: int | None = None
    requires_self_analysis: bool = False
    guiding_questions: tuple[GuidingQuestion, ...] = ()


class Detail(_Frozen):
    id: str
    text: str
    derived: bool = False
    look_fors: tuple[str, ...] = ()


class EssentialOutcome(_Frozen):
    id: str
    text: str
    title: str = ""
    details: tuple[Detail, ...]


class Rubric(_Frozen):
    format: str
    id: str
    title: str
    version: str
    program: str = ""
    overview: str = ""
    sources: tuple[str, ...] = ()
    details_shown_to_candidates: bool = True  # key elements kept by a marker are not (echo.py)
    proficiency_levels: tuple[ProficiencyLevel, ...]
    required_level: str
    parts: tuple[Part, ...]
    essential_outcomes: tuple[EssentialOutcome, ...]
    content_hash: str
    path: str = ""

    def part(self, kind: str) -> Part | None:
        return next((p for p in self.parts if p.kind == kind), None)

    def details(self) -> list[tuple[EssentialOutcome, Detail]]:
        return [(eo, d) for eo in self.essential_outcomes for d in eo.details]

    def detail(self, detail_id: str) -> Detail | None:
        return next((d for _, d in self.details() if d.id == detail_id), None)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "content_hash": self.content_hash}


# ---------------------------------------------------------------------------------------------
# Loading and validation


@dataclass(frozen=True)
class RubricProblem:
    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field or '(top level)'}: {self.message}"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    path = SCHEMA_PATH if SCHEMA_PATH.is_file() else _BUNDLED_SCHEMA
    return json.loads(path.read_text(encoding="utf-8"))


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (for hashing and pydantic)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(root: Any, path: Iterable[Any]) -> int | None:
    """1-based line of the node at ``path`` (or of its nearest ancestor that has one)."""
    node, line = root, None
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def _field_name(path: Iterable[Any]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _semantic_problems(data: dict[str, Any]) -> list[tuple[list[Any], str]]:
    problems: list[tuple[list[Any], str]] = []
    seen_details: dict[str, list[Any]] = {}
    for i, eo in enumerate(data.get("essential_outcomes", [])):
        if i > 0 and eo.get("id") == data["essential_outcomes"][i - 1].get("id"):
            problems.append((["essential_outcomes", i, "id"], f"duplicate EO id '{eo.get('id')}'"))
        for j, detail in enumerate(eo.get("details", [])):
            did = detail.get("id", "")
            path = ["essential_outcomes", i, "details", j, "id"]
            if not did.startswith(f"{eo.get('id')}."):
                problems.append((path, f"detail id '{did}' should start with its EO id '{eo.get('id')}.'"))
            if did in seen_details:
                problems.append((path, f"duplicate detail id '{did}'"))
            seen_details[did] = path
    eo_ids = [eo.get("id") for eo in data.get("essential_outcomes", [])]
    if len(set(eo_ids)) != len(eo_ids):
        problems.append((["essential_outcomes"], "EO ids must be unique"))
    kinds = [p.get("kind") for p in data.get("parts", [])]
    for i, kind in enumerate(kinds):
        if kinds.index(kind) != i:
            problems.append((["parts", i, "kind"], f"part kind '{kind}' appears twice"))
    for i, part in enumerate(data.get("parts", [])):
        lo, hi = part.get("word_minimum"), part.get("word_maximum")
        if lo and hi and lo > hi:
            problems.append((["parts", i, "word_maximum"], "word_maximum is below word_minimum"))
    levels = [lvl.get("id") for lvl in data.get("proficiency_levels", [])]
    if data.get("required_level") not in levels:
        problems.append(
            (["required_level"], f"'{data.get('required_level')}' is not one of the proficiency levels {levels}")
        )
    return problems


def data_problems(data: dict[str, Any]) -> list[str]:
    """Problems of rubric data that did not come from a file (an import): schema, then the extra rules."""
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{_field_name(e.absolute_path) or '(top level)'}: {e.message}" for e in errors]
    if not problems:
        problems = [f"{_field_name(p) or '(top level)'}: {msg}" for p, msg in _semantic_problems(data)]
    return problems


def rubric_data(rubric: Rubric) -> dict[str, Any]:
    """The rubric as the plain data of its file: only the fields the file set, so its hash is the rubric's."""
    return rubric.model_dump(mode="json", exclude_unset=True, exclude={"content_hash", "path"})


def to_yaml(rubric: Rubric, comment: str = "") -> str:
    """The rubric as a YAML file of the ``mc-rubric/1`` format (fields in the documented order)."""
    import io

    data = rubric_data(rubric)
    ordered = CommentedMap((k, data[k]) for k in Rubric.model_fields if k in data)
    if comment:
        ordered.yaml_set_start_comment(comment)
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(ordered, out)
    return out.getvalue()


def content_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_file(path: Path) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
    """Parse and validate one rubric file. Returns (plain data or None, problems)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RubricProblem(str(path), None, "", f"cannot be read: {exc}")]
    return validate_text(text, str(path))


def validate_text(text: str, shown: str) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
    """Parse and validate rubric YAML given as text (an upload); ``shown`` names it in problems."""
    yaml = YAML(typ="rt")
    try:
        root = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        return None, [RubricProblem(shown, line, "", f"not valid YAML: {exc.problem}")]
    if not isinstance(root, CommentedMap):
        return None, [RubricProblem(shown, 1, "", "a rubric file must be a mapping of fields")]
    data = _plain(root)
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        RubricProblem(shown, _line_of(root, err.absolute_path), _field_name(err.absolute_path), err.message)
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if not problems:
        problems = [
            RubricProblem(shown, _line_of(root, p), _field_name(p), msg) for p, msg in _semantic_problems(data)
        ]
    return (None if problems else data), problems


def load_file(path: Path) -> Rubric:
    data, problems = validate_file(path)
    if data is None:
        raise RubricError(Errors.E003.format(path=path, problems="\n".join(f"  - {p}" for p in problems)))
    return Rubric(**data, content_hash=content_hash(data), path=str(path))


def load_text(text: str, shown: str) -> Rubric:
    """A rubric from YAML text that may be trusted to be valid (e.g. stored after validation)."""
    data, problems = validate_text(text, shown)
    if data is None:
        raise RubricError(Errors.E003.format(path=shown, problems="\n".join(f"  - {p}" for p in problems)))
    return Rubric(**data, content_hash=content_hash(data), path=shown)


# ---------------------------------------------------------------------------------------------
# Catalogue


def yaml_files(dirs: Iterable[Path]) -> list[Path]:
    """The YAML files of ``dirs`` in order, each once (folders may overlap)."""
    seen: set[Path] = set()
    out = []
    for d in dirs:
        for f in sorted(Path(d).glob("*.yaml")) + sorted(Path(d).glob("*.yml")):
            if f.resolve() not in seen:
                seen.add(f.resolve())
                out.append(f)
    return out


T = TypeVar("T")


class FolderCatalogue(Generic[T]):
    """Files of one format found in a list of folders, loaded on first use and looked up by id.
    An invalid file is skipped and its problems kept in ``problems``. Subclasses say how a valid
    file becomes an item, which of two items with one id is kept, and what an unknown id says."""

    def __init__(self, dirs: Iterable[Path]) -> None:
        self.dirs = [Path(d) for d in dirs]
        self._by_id: dict[str, T] | None = None
        self.problems: list[RubricProblem] = []

    def files(self) -> list[Path]:
        return yaml_files(self.dirs)

    def _validate(self, path: Path) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
        raise NotImplementedError

    def _item(self, data: dict[str, Any], path: Path) -> T:
        raise NotImplementedError

    def _keep(self, prev: T | None, item: T, path: Path) -> bool:
        """Whether ``item`` replaces ``prev`` (the one already found under its id)."""
        return prev is None  # the first folder wins

    def _load_file(self, path: Path) -> T:
        raise NotImplementedError

    def _unknown(self, item_id: str, available: str) -> Exception:
        raise NotImplementedError

    def _load(self) -> dict[str, T]:
        if self._by_id is None:
            by_id: dict[str, T] = {}
            for f in self.files():
                data, problems = self._validate(f)
                if data is None:
                    self.problems.extend(problems)
                    continue
                item = self._item(data, f)
                if self._keep(by_id.get(item.id), item, f):  # type: ignore[attr-defined]
                    by_id[item.id] = item  # type: ignore[attr-defined]
            self._by_id = by_id
        return self._by_id

    def list(self) -> list[T]:
        return sorted(self._load().values(), key=lambda r: r.id)  # type: ignore[attr-defined]

    def get(self, item_id: str) -> T:
        by_id = self._load()
        if item_id in by_id:
            return by_id[item_id]
        path = Path(item_id)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            return self._load_file(path)
        available = ", ".join(sorted(by_id)) or "(none found in " + ", ".join(map(str, self.dirs)) + ")"
        raise self._unknown(item_id, available)

    def find(self, item_id: str) -> T | None:
        return self._load().get(item_id)


class RubricCatalogue(FolderCatalogue[Rubric]):
    """The rubrics found in a list of folders (``Settings.rubric_dirs``), loaded on first use."""

    def _validate(self, path: Path) -> tuple[dict[str, Any] | None, list[RubricProblem]]:
        return validate_file(path)

    def _item(self, data: dict[str, Any], path: Path) -> Rubric:
        return Rubric(**data, content_hash=content_hash(data), path=str(path))

    def _keep(self, prev: Rubric | None, rubric: Rubric, path: Path) -> bool:
        if prev is None or prev.content_hash == rubric.content_hash:
            return True
        if prev.version == rubric.version:
            raise RubricError(Errors.E004.format(rubric_id=rubric.id, version=rubric.version, first=prev.path, second=path))
        return version_key(rubric.version) >= version_key(prev.version)  # the newest version under the bare id

    def _load_file(self, path: Path) -> Rubric:
        return load_file(path)

    def _unknown(self, item_id: str, available: str) -> Exception:
        return RubricError(Errors.E001.format(rubric_id=item_id, available=available))


def version_key(version: str) -> tuple[Any, ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.replace("-", ".").split("."))
