from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from ..deps import DB, require
from ..errors import problem_responses
from ..models import Job, ReportRow, Submission, User
from ..schemas import ExportRow

router = APIRouter(prefix="/api/exports", tags=["exports"])
Designer = Annotated[User, Depends(require("program_designer", "admin"))]


def pseudonym(submission_id: str) -> str:
    # Stable, so rows of one submission can be told apart, but not the submission's id: a designer
    # cannot take it to the submission, its files or its candidate.
    return hashlib.sha256(f"export:{submission_id}".encode()).hexdigest()[:16]


def export_row(sub: Submission, report: dict[str, Any]) -> ExportRow:
    return ExportRow(
        ref=pseudonym(sub.id),
        rubric_id=sub.rubric_id,
        rubric_version=str(report.get("rubric", {}).get("version", "")),
        version=sub.version,
        submitted_month=sub.submitted_at.strftime("%Y-%m") if sub.submitted_at else "",
        words_by_part={p["part"]: p["words"] for p in report.get("parts", []) if "part" in p and "words" in p},
        details={d["id"]: d["status"] for d in report.get("details", []) if "id" in d and "status" in d},
        flags=dict(sorted(Counter(f.get("code", "") for f in report.get("flags", [])).items())),
    )


@router.get("/screenings", response_model=list[ExportRow],
            responses=problem_responses("unauthenticated", "token_expired", "forbidden"))
def screenings(session: DB, _: Designer) -> list[ExportRow]:
    """Program designers and admins: one de-identified row per screened submission: no candidate,
    no file names, no text; EO detail statuses, flag counts and words per part."""
    rows = session.execute(
        select(Submission, ReportRow.report_json)
        .join(Job, Job.submission_id == Submission.id)
        .join(ReportRow, ReportRow.job_id == Job.id)
        .where(Job.purpose == "screening", Job.state == "done", Submission.status == "submitted")
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
    return [export_row(sub, json.loads(report_json)) for sub, report_json in rows]
