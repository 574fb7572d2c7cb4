from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from screening.pilot import csv_tables

from .. import rubric_store
from ..deps import DB, require
from ..errors import ApiError, problem_responses
from ..models import Job, ReportRow, Submission, User
from ..pilot_export import pilot_data, submission_ref
from ..schemas import ExportRow

router = APIRouter(prefix="/api/exports", tags=["exports"])
Designer = Annotated[User, Depends(require("program_designer", "admin"))]


def export_row(sub: Submission, report: dict[str, Any]) -> ExportRow:
    return ExportRow(
        ref=submission_ref(sub.id),
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


@router.get("/pilot", response_class=Response,
            responses={200: {"description": "format=json: the pilot data (mc-pilot/1); format=zip: pilot.json and "
                             "the CSV tables", "content": {"application/json": {}, "application/zip": {}}},
                       **problem_responses("unauthenticated", "token_expired", "forbidden", "unknown_rubric",
                                           "invalid_request")})
def pilot(session: DB, _: Designer,
          rubric_id: Annotated[str, Query(min_length=1, max_length=200, description="The MC.")],
          format: Annotated[Literal["json", "zip"], Query(description="json, or zip of JSON and CSV tables.")] = "json",
          ) -> Response:
    """Program designers and admins: pilot data for one MC (docs/pilot-data.md): per screened
    submission the advisory statuses and flags beside each assessor's final judgments (assessors
    pseudonymised, roles first / second / reconciler) and the released outcome. De-identified: no
    ids, names, file names, text or comments."""
    if not rubric_store.versions(session, rubric_id):
        raise ApiError("unknown_rubric", f"No rubric {rubric_id!r}.")
    data = pilot_data(session, rubric_id)
    body = data.model_dump_json(indent=2)
    if format == "json":
        return Response(body, media_type="application/json")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pilot.json", body + "\n")
        for name, text in csv_tables(data).items():
            z.writestr(name, text)
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="pilot-{rubric_id}.zip"'})
