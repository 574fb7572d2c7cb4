"""CASE rubric export and import: ``CFRubric`` → ``CFRubricCriteria[]`` → ``CFRubricCriterionLevels[]``.

One criterion per EO detail (``description`` is the detail's text, ``category`` names its EO,
``position`` is its place in the rubric, ``weight`` 1.0 for all: the rubric weighs details
equally). Each criterion carries the rubric's proficiency levels, highest first: ``quality`` is
the label, ``description`` the level's description, ``score`` an ordinal rank (highest level =
number of levels - 1, lowest = 0; the rubric has no points), ``position`` 1 for the highest.
Levels below the required one carry ``feedback``: the detail's look-fors, as the evidence that
would show it.

What CASE has no field for (rubric id, version, format, program, sources, required level, parts
with their word limits and guiding questions, EO ids, titles and texts, detail ids, derived
flags, look-fors, level ids) travels in ``extensions.mcScreening`` of the rubric, each criterion
and each level (CASE 1.1's extension point), so ``case_to_rubric(rubric_to_case(r))`` gives back
exactly ``r``. A CASE rubric without that extension cannot be imported: CASE has no parts, word
minimums or EOs, which every rubric needs. The JSON Schema the export is checked against
(``case.schema.json``) was written here from the spec's classes and required attributes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import Errors, ExportError, RubricError
from ..rubric import Detail, Rubric, content_hash, data_problems, rubric_data
from . import ids

SCHEMA_PATH = Path(__file__).resolve().parent / "case.schema.json"
EXT = "mcScreening"
EXT_NAMESPACE = "https://mc-screening.example/ns/case-ext/v1"


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _eo_category(eo: dict[str, Any]) -> str:
    return f"EO {eo['id']}: {eo['title']}" if eo.get("title") else f"EO {eo['id']}"


def _feedback(detail: dict[str, Any]) -> str | None:
    look_fors = detail.get("look_fors") or []
    if not look_fors:
        return None
    return "Evidence that would show this detail: " + "; ".join(look_fors) + "."


def rubric_to_case(rubric: Rubric, *, base_url: str, last_change: datetime | None = None) -> dict[str, Any]:
    """The rubric as a CASE ``CFRubric`` (identifiers: UUID 5 of rubric id, version and element id)."""
    base = ids.normalise_base_url(base_url)
    stamp = (last_change or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    changed = stamp.isoformat().replace("+00:00", "Z")
    data = rubric_data(rubric)
    levels = data["proficiency_levels"]
    required_rank = [lvl["id"] for lvl in levels].index(data["required_level"])
    rubric_uuid = ids.case_uuid(rubric, "rubric")
    criteria: list[dict[str, Any]] = []
    for eo in data["essential_outcomes"]:
        for detail in eo["details"]:
            cid = ids.case_uuid(rubric, "criterion", detail["id"])
            item = ids.case_uuid(rubric, "item", detail["id"])
            crit_levels = []
            for rank, lvl in enumerate(levels):
                lid = ids.case_uuid(rubric, "criterion", detail["id"], "level", lvl["id"])
                level: dict[str, Any] = {
                    "identifier": lid, "uri": ids.case_uri(base, "CFRubricCriterionLevels", lid),
                    "quality": lvl["label"],
                }
                if "description" in lvl:
                    level["description"] = lvl["description"]
                level["score"] = float(len(levels) - 1 - rank)
                feedback = _feedback(detail) if rank > required_rank else None
                if feedback:
                    level["feedback"] = feedback
                level.update({"position": rank + 1, "rubricCriterionId": cid, "lastChangeDateTime": changed,
                              "extensions": {EXT: {"levelId": lvl["id"]}}})
                crit_levels.append(level)
            criteria.append({
                "identifier": cid, "uri": ids.case_uri(base, "CFRubricCriteria", cid),
                "category": _eo_category(eo),
                "description": detail["text"],
                "CFItemURI": {"title": f"{rubric.title}, detail {detail['id']}", "identifier": item,
                              "uri": ids.case_uri(base, "CFItems", item)},
                "weight": 1.0,
                "position": len(criteria) + 1,
                "rubricId": rubric_uuid,
                "lastChangeDateTime": changed,
                "CFRubricCriterionLevels": crit_levels,
                "extensions": {EXT: {"eoId": eo["id"], "detail": {k: v for k, v in detail.items() if k != "text"}}},
            })
    rest = {k: v for k, v in data.items() if k not in ("title", "overview", "proficiency_levels")}
    rest["essential_outcomes"] = [{k: v for k, v in eo.items() if k != "details"} for eo in data["essential_outcomes"]]
    doc: dict[str, Any] = {
        "identifier": rubric_uuid,
        "uri": ids.case_uri(base, "CFRubrics", rubric_uuid),
        "title": rubric.title,
    }
    if "overview" in data:
        doc["description"] = data["overview"]
    doc.update({
        "lastChangeDateTime": changed,
        "CFRubricCriteria": criteria,
        "extensions": {EXT: {"namespace": EXT_NAMESPACE, "contentHash": rubric.content_hash, "rubric": rest}},
    })
    return doc


def case_problems(doc: Any) -> list[str]:
    """Every way ``doc`` breaks the CASE CFRubric rules of ``case.schema.json`` (empty when none)."""
    problems = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in err.absolute_path).lstrip(".")
        problems.append(f"{where or '(document)'}: {err.message}")
    return problems


def validate_case(doc: Any, *, source: str = "the CASE document") -> None:
    problems = case_problems(doc)
    if problems:
        raise ExportError(Errors.E028.format(path=source, problems="\n".join(f"  - {p}" for p in problems)))


def _ext(obj: dict[str, Any]) -> dict[str, Any] | None:
    ext = (obj.get("extensions") or {}).get(EXT)
    return ext if isinstance(ext, dict) else None


def _missing_extensions(doc: dict[str, Any]) -> list[str]:
    missing = []
    ext = _ext(doc)
    if ext is None or not isinstance(ext.get("rubric"), dict):
        missing.append(f"extensions.{EXT}.rubric")
    for i, crit in enumerate(doc.get("CFRubricCriteria") or []):
        cext = _ext(crit)
        if cext is None or "eoId" not in cext or not isinstance(cext.get("detail"), dict):
            missing.append(f"CFRubricCriteria[{i}].extensions.{EXT}")
        for j, level in enumerate(crit.get("CFRubricCriterionLevels") or []):
            if "levelId" not in (_ext(level) or {}):
                missing.append(f"CFRubricCriteria[{i}].CFRubricCriterionLevels[{j}].extensions.{EXT}.levelId")
    return missing


def _by_position(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # CASE containers are unordered: ``position`` orders them (objects without one keep their place).
    return [o for _, o in sorted(enumerate(objs), key=lambda p: (p[1].get("position", p[0] + 1), p[0]))]


def _proficiency_level(level: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": _ext(level)["levelId"], "label": level.get("quality", "")}  # type: ignore[index]
    if "description" in level:
        out["description"] = level["description"]
    return out


def _criterion_name(crit: dict[str, Any]) -> str:
    detail = (_ext(crit) or {}).get("detail") or {}
    return f"the criterion for detail {detail.get('id', '?')} ({crit['identifier']})"


def _ordered(obj: dict[str, Any], model: Any) -> dict[str, Any]:
    """Keys in the rubric format's order (for a readable YAML file), unknown ones last."""
    return {k: obj[k] for k in model.model_fields if k in obj} | {k: v for k, v in obj.items() if k not in model.model_fields}


def case_to_rubric(doc: Any, *, source: str = "the CASE document") -> Rubric:
    """A rubric from a CASE ``CFRubric`` written by ``rubric_to_case`` (or edited in a CASE tool).

    Raises ``ExportError`` when the document is not a valid CFRubric or lacks the mc-screening
    extension, and ``RubricError`` when what it describes is not a valid rubric.
    """
    validate_case(doc, source=source)
    missing = _missing_extensions(doc)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ExportError(Errors.E029.format(path=source, missing=shown))
    rest = dict(_ext(doc)["rubric"])  # type: ignore[index]
    criteria = _by_position(list(doc.get("CFRubricCriteria") or []))
    problems: list[str] = []
    levels: list[dict[str, Any]] = []
    for i, crit in enumerate(criteria):
        these = [_proficiency_level(lvl) for lvl in _by_position(list(crit.get("CFRubricCriterionLevels") or []))]
        if i == 0:
            levels = these
        elif these != levels:
            problems.append(f"{_criterion_name(crit)}: its levels differ from those of {_criterion_name(criteria[0])} "
                            "(a rubric has one set of proficiency levels)")
    eos = [dict(eo) for eo in rest.get("essential_outcomes") or [] if isinstance(eo, dict)]
    for eo in eos:
        eo["details"] = []
    by_id = {eo.get("id"): eo for eo in eos}
    for crit in criteria:
        cext = _ext(crit)
        eo = by_id.get(cext["eoId"])  # type: ignore[index]
        if eo is None:
            problems.append(f"{_criterion_name(crit)}: EO '{cext['eoId']}' is not among the rubric's EOs")  # type: ignore[index]
            continue
        detail = dict(cext["detail"])  # type: ignore[index]
        if "description" in crit:
            detail["text"] = crit["description"]
        eo["details"].append(_ordered(detail, Detail))
    if problems:
        raise ExportError(Errors.E028.format(path=source, problems="\n".join(f"  - {p}" for p in problems)))
    data = dict(rest, proficiency_levels=levels, essential_outcomes=eos)
    if "title" in doc:
        data["title"] = doc["title"]
    if "description" in doc:
        data["overview"] = doc["description"]
    data = _ordered(data, Rubric)  # unknown keys stay: validation names them
    invalid = data_problems(data)
    if invalid:
        raise RubricError(Errors.E031.format(path=source, problems="\n".join(f"  - {p}" for p in invalid)))
    return Rubric(**data, content_hash=content_hash(data))


def recorded_hash(doc: dict[str, Any]) -> str | None:
    """The content hash of the rubric the document was exported from (None if not recorded)."""
    ext = _ext(doc) or {}
    value = ext.get("contentHash")
    return value if isinstance(value, str) else None
