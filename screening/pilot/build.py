"""Pilot entries from what the screener produced: a rubric and an advisory report.

The service's export and the pilot-data generator both use these, so a flag's ``ref`` and a
passage's key mean the same everywhere: flag ``f{i}`` is the i-th flag (1-based) of the report's
``flags`` list, and a passage key is a hash of the submission's pseudonym, file and span, which
says which details share a passage without saying what it is.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..rubric import Rubric
from .model import Judgment, Outcome, PilotDetail, PilotFlag, PilotRubric, PilotRubricDetail, PilotSubmission


def flag_ref(index: int) -> str:
    """The ref of the report's flag at 0-based ``index``."""
    return f"f{index + 1}"


def passage_key(ref: str, file: str, char_start: int, char_end: int) -> str:
    return hashlib.sha256(f"{ref}\x1f{file}\x1f{char_start}\x1f{char_end}".encode()).hexdigest()[:16]


def pilot_rubric(rubric: Rubric, content_hash: str = "") -> PilotRubric:
    return PilotRubric(
        id=rubric.id, version=rubric.version, content_hash=content_hash,
        levels=[level.id for level in rubric.proficiency_levels], required_level=rubric.required_level,
        details=[PilotRubricDetail(id=d.id, eo=eo.id, text=d.text)
                 for eo in rubric.essential_outcomes for d in eo.details])


def pilot_submission(
    report: dict[str, Any], *, ref: str, version: int = 1, submitted_month: str = "",
    judgments: list[Judgment] | None = None, outcome: Outcome | None = None,
) -> PilotSubmission:
    """A report (as JSON data, any 1.x schema) and the judgments on it, without any text of it."""
    rubric = report["rubric"]
    files = report.get("files", [])
    return PilotSubmission(
        ref=ref, rubric_id=rubric["id"], rubric_version=str(rubric["version"]), version=version,
        submitted_month=submitted_month,
        words_by_part={p["part"]: int(p["words"]) for p in report.get("parts", [])},
        files=len(files), size_bytes=sum(int(f.get("size_bytes", 0)) for f in files),
        details=[PilotDetail(
            detail_id=d["id"], eo=d["eo"], advisory_status=d["status"], best_score=d.get("best_score"),
            features={k: float(v) for k, v in (d.get("features") or {}).items()},
            evidence=[passage_key(ref, e["file"], e["char_start"], e["char_end"]) for e in d.get("evidence", [])],
        ) for d in report.get("details", [])],
        flags=[PilotFlag(ref=flag_ref(i), code=f["code"], detail_id=f.get("detail_id"), eo=f.get("eo"),
                         part=f.get("part")) for i, f in enumerate(report.get("flags", []))],
        judgments=judgments or [], outcome=outcome)
