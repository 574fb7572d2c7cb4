"""Validate OB 3.0 documents against 1EdTech's JSON Schema, offline, plus the links it cannot check.

The schema (``achievementcredential.schema.json``, draft 2019-09) is not shipped with the library:
its licence lets registered users redistribute the specification only whole and unmodified, so
the caller passes its path (the tests use ``../shared/standards/ob3``). Every ``$ref`` in it is
local; any other reference is refused rather than fetched.

Beyond the schema: each result's ``resultDescription`` must be a result description of the
achievement, and its ``achievedLevel`` one of that description's levels (the OB 3.0 spec says so
in prose); a description's ``requiredLevel`` must be one of its levels.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT201909

from ..errors import Errors, ExportError


def _no_fetch(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)  # never go to the network for a schema


@lru_cache(maxsize=4)
def _validators(schema_path: str) -> tuple[Any, Any]:
    path = Path(schema_path)
    if not path.is_file():
        raise ExportError(Errors.E026.format(path=path))
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(Errors.E019.format(path=path, problem=exc)) from exc
    if "Achievement" not in schema.get("$defs", {}):
        raise ExportError(Errors.E026.format(path=path))
    resource = Resource.from_contents(schema, default_specification=DRAFT201909)
    registry = Registry(retrieve=_no_fetch).with_resource(schema["$id"], resource)
    cls = jsonschema.Draft201909Validator
    checker = cls.FORMAT_CHECKER
    credential = cls(schema, registry=registry, format_checker=checker)
    achievement = cls({"$ref": schema["$id"] + "#/$defs/Achievement"}, registry=registry, format_checker=checker)
    return credential, achievement


def _where(path: Iterable[Any], prefix: str = "") -> str:
    out = prefix
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(document)"


def _schema_problems(validator: Any, doc: Any, prefix: str = "") -> list[str]:
    problems = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        shown: ValidationError = best_match(err.context) if err.context else err  # oneOf: say which branch failed
        problems.append(f"{_where(shown.absolute_path, prefix)}: {shown.message}")
    return problems


def _levels_by_description(achievement: dict[str, Any], prefix: str) -> tuple[dict[str, list[str]], list[str]]:
    levels: dict[str, list[str]] = {}
    problems: list[str] = []
    for i, rd in enumerate(achievement.get("resultDescription") or []):
        if not isinstance(rd, dict) or not isinstance(rd.get("id"), str):
            continue
        where = f"{prefix}resultDescription[{i}]"
        if rd["id"] in levels:
            problems.append(f"{where}.id: '{rd['id']}' is used by two result descriptions")
        ids = [lvl.get("id") for lvl in rd.get("rubricCriterionLevel") or [] if isinstance(lvl, dict)]
        if len(set(ids)) != len(ids):
            problems.append(f"{where}.rubricCriterionLevel: level ids repeat")
        required = rd.get("requiredLevel")
        if required is not None and required not in ids:
            problems.append(f"{where}.requiredLevel: '{required}' is not one of its rubricCriterionLevel ids")
        levels[rd["id"]] = ids
    return levels, problems


def achievement_problems(doc: Any, schema_path: Path) -> list[str]:
    """Every way ``doc`` is not a valid OB 3.0 Achievement (empty when it is)."""
    _, validator = _validators(str(schema_path))
    problems = _schema_problems(validator, doc)
    if isinstance(doc, dict):
        problems += _levels_by_description(doc, "")[1]
    return problems


def credential_problems(doc: Any, schema_path: Path) -> list[str]:
    """Every way ``doc`` is not a valid OB 3.0 AchievementCredential (empty when it is)."""
    validator, _ = _validators(str(schema_path))
    problems = _schema_problems(validator, doc)
    subject = doc.get("credentialSubject") if isinstance(doc, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict):
        return problems
    levels, more = _levels_by_description(achievement, "credentialSubject.achievement.")
    problems += more
    for i, result in enumerate(subject.get("result") or []):
        if not isinstance(result, dict):
            continue
        where = f"credentialSubject.result[{i}]"
        rd = result.get("resultDescription")
        if rd is None:
            problems.append(f"{where}: has no resultDescription, so it cannot be read against the rubric")
            continue
        if rd not in levels:
            problems.append(f"{where}.resultDescription: '{rd}' is not a result description of the achievement")
            continue
        achieved = result.get("achievedLevel")
        if levels[rd] and achieved is None:
            problems.append(f"{where}: 'achievedLevel' is missing (result description '{rd}' has rubric levels)")
        elif achieved is not None and achieved not in levels[rd]:
            problems.append(f"{where}.achievedLevel: '{achieved}' is not a level of result description '{rd}' "
                            f"(levels: {', '.join(levels[rd])})")
    return problems


def validate_achievement(doc: Any, schema_path: Path) -> None:
    """Raise ``ExportError`` listing every problem unless ``doc`` is a valid OB 3.0 Achievement."""
    problems = achievement_problems(doc, schema_path)
    if problems:
        raise ExportError(Errors.E027.format(what="achievement", problems="\n".join(f"  - {p}" for p in problems)))


def validate_credential(doc: Any, schema_path: Path) -> None:
    """Raise ``ExportError`` listing every problem unless ``doc`` is a valid OB 3.0 AchievementCredential."""
    problems = credential_problems(doc, schema_path)
    if problems:
        raise ExportError(Errors.E027.format(what="credential", problems="\n".join(f"  - {p}" for p in problems)))
