"""Reading and writing pilot data as one JSON file or as a folder of CSV tables.

The CSV form is long and flat so a spreadsheet can open every table (docs/pilot-data.md):
``rubrics.csv``, ``rubric_details.csv``, ``submissions.csv``, ``details.csv``, ``flags.csv`` and
``judgments.csv``. Both forms hold exactly the same data: ``read_pilot(write_csv(d))`` equals
``d`` except ``generated_at``, which the CSV form does not keep.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Errors, UsageError
from .model import Judgment, PilotData, PilotDetail, PilotFlag, PilotRubric, PilotRubricDetail, PilotSubmission

TABLES: dict[str, list[str]] = {
    "rubrics.csv": ["rubric_id", "rubric_version", "content_hash", "levels", "required_level"],
    "rubric_details.csv": ["rubric_id", "rubric_version", "eo", "detail_id", "text"],
    "submissions.csv": ["ref", "rubric_id", "rubric_version", "version", "submitted_month", "files",
                        "size_bytes", "outcome"],  # then words_<part> columns
    "details.csv": ["ref", "detail_id", "eo", "advisory_status", "best_score", "evidence"],  # then f_<feature>
    "flags.csv": ["ref", "flag_ref", "code", "detail_id", "eo", "part"],
    "judgments.csv": ["ref", "assessor", "role", "kind", "target", "value"],
}
_JUDGMENT_KINDS = {"detail": "details", "eo_level": "eo_levels", "flag": "flags"}


def write_json(data: PilotData, path: Path) -> Path:
    path.write_text(data.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def csv_tables(data: PilotData) -> dict[str, str]:
    """Every table as CSV text, by file name (for a zip download or a folder)."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in data.rubrics:
        rows["rubrics.csv"].append({"rubric_id": r.id, "rubric_version": r.version, "content_hash": r.content_hash,
                                    "levels": " ".join(r.levels), "required_level": r.required_level})
        rows["rubric_details.csv"] += [{"rubric_id": r.id, "rubric_version": r.version, "eo": d.eo,
                                        "detail_id": d.id, "text": d.text} for d in r.details]
    parts = sorted({p for s in data.submissions for p in s.words_by_part})
    features = sorted({f for s in data.submissions for d in s.details for f in d.features})
    for s in data.submissions:
        rows["submissions.csv"].append({
            "ref": s.ref, "rubric_id": s.rubric_id, "rubric_version": s.rubric_version, "version": s.version,
            "submitted_month": s.submitted_month, "files": s.files, "size_bytes": s.size_bytes,
            "outcome": s.outcome or "", **{f"words_{p}": s.words_by_part.get(p, "") for p in parts}})
        rows["details.csv"] += [{
            "ref": s.ref, "detail_id": d.detail_id, "eo": d.eo, "advisory_status": d.advisory_status,
            "best_score": "" if d.best_score is None else repr(d.best_score), "evidence": " ".join(d.evidence),
            **{f"f_{f}": repr(d.features[f]) if f in d.features else "" for f in features}} for d in s.details]
        rows["flags.csv"] += [{"ref": s.ref, "flag_ref": f.ref, "code": f.code, "detail_id": f.detail_id or "",
                               "eo": f.eo or "", "part": f.part or ""} for f in s.flags]
        for j in s.judgments:
            for kind, attr in _JUDGMENT_KINDS.items():
                rows["judgments.csv"] += [{"ref": s.ref, "assessor": j.assessor, "role": j.role, "kind": kind,
                                           "target": k, "value": v} for k, v in getattr(j, attr).items()]
    extra = {"submissions.csv": [f"words_{p}" for p in parts], "details.csv": [f"f_{f}" for f in features]}
    out: dict[str, str] = {}
    for name, columns in TABLES.items():
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns + extra.get(name, []), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[name])
        out[name] = buf.getvalue()
    return out


def write_csv(data: PilotData, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in csv_tables(data).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def read_pilot(path: Path) -> PilotData:
    """Pilot data from a ``.json`` file or a folder of the CSV tables; coded errors otherwise."""
    if not path.exists():
        raise UsageError(Errors.E005.format(path=path))
    try:
        if path.is_dir():
            return _from_tables(path)
        return PilotData.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UsageError(Errors.E030.format(path=path, problem=_first_problems(exc))) from None
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        raise UsageError(Errors.E030.format(path=path, problem=str(exc))) from None


def _first_problems(exc: ValidationError) -> str:
    errors = exc.errors()
    shown = [f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in errors[:5]]
    return "; ".join(shown) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")


def _read_table(folder: Path, name: str) -> list[dict[str, str]]:
    file = folder / name
    if not file.exists():
        raise ValueError(f"the folder has no {name} (a pilot folder holds {', '.join(TABLES)})")
    with file.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in TABLES[name] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")
        return list(reader)


def _from_tables(folder: Path) -> PilotData:
    t = {name: _read_table(folder, name) for name in TABLES}
    details_by_rubric: dict[tuple[str, str], list[PilotRubricDetail]] = defaultdict(list)
    for row in t["rubric_details.csv"]:
        details_by_rubric[row["rubric_id"], row["rubric_version"]].append(
            PilotRubricDetail(id=row["detail_id"], eo=row["eo"], text=row["text"]))
    rubrics = [PilotRubric(id=r["rubric_id"], version=r["rubric_version"], content_hash=r["content_hash"],
                           levels=r["levels"].split(), required_level=r["required_level"],
                           details=details_by_rubric[r["rubric_id"], r["rubric_version"]])
               for r in t["rubrics.csv"]]
    details: dict[str, list[PilotDetail]] = defaultdict(list)
    for row in t["details.csv"]:
        details[row["ref"]].append(PilotDetail(
            detail_id=row["detail_id"], eo=row["eo"], advisory_status=row["advisory_status"],  # type: ignore[arg-type]
            best_score=float(row["best_score"]) if row["best_score"] else None,
            evidence=row["evidence"].split(),
            features={k[2:]: float(v) for k, v in row.items() if k.startswith("f_") and v}))
    flags: dict[str, list[PilotFlag]] = defaultdict(list)
    for row in t["flags.csv"]:
        flags[row["ref"]].append(PilotFlag(ref=row["flag_ref"], code=row["code"], detail_id=row["detail_id"] or None,
                                           eo=row["eo"] or None, part=row["part"] or None))
    judgments: dict[str, dict[tuple[str, str], dict[str, dict[str, str]]]] = defaultdict(dict)
    for row in t["judgments.csv"]:
        if row["kind"] not in _JUDGMENT_KINDS:
            raise ValueError(f"judgments.csv: kind '{row['kind']}' is not one of {', '.join(_JUDGMENT_KINDS)}")
        j = judgments[row["ref"]].setdefault((row["assessor"], row["role"]), {a: {} for a in _JUDGMENT_KINDS.values()})
        j[_JUDGMENT_KINDS[row["kind"]]][row["target"]] = row["value"]
    submissions = []
    for row in t["submissions.csv"]:
        ref = row["ref"]
        submissions.append(PilotSubmission(
            ref=ref, rubric_id=row["rubric_id"], rubric_version=row["rubric_version"], version=int(row["version"]),
            submitted_month=row["submitted_month"], files=int(row["files"] or 0), size_bytes=int(row["size_bytes"] or 0),
            outcome=row["outcome"] or None,  # type: ignore[arg-type]
            words_by_part={k[6:]: int(v) for k, v in row.items() if k.startswith("words_") and v},
            details=details.pop(ref, []), flags=flags.pop(ref, []),
            judgments=[Judgment.model_validate({"assessor": a, "role": role, **parts})
                       for (a, role), parts in judgments.pop(ref, {}).items()]))
    orphans = sorted(set(details) | set(flags) | set(judgments))
    if orphans:
        raise ValueError(f"rows refer to submissions not in submissions.csv: {', '.join(orphans[:5])}")
    return PilotData(rubrics=rubrics, submissions=submissions)
