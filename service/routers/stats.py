from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from ..deps import DB, require
from ..errors import problem_responses
from ..models import Job, ReportRow, Submission, User
from ..schemas import Stats

router = APIRouter(prefix="/api/stats", tags=["stats"])
Designer = Annotated[User, Depends(require("program_designer", "admin"))]


@router.get("", response_model=Stats, responses=problem_responses("unauthenticated", "token_expired", "forbidden"))
def stats(session: DB, _: Designer) -> Stats:
    """Program designers and admins: counts only, nothing that identifies a candidate."""
    subs: dict[str, dict[str, int]] = {}
    for rubric_id, status, n in session.execute(
        select(Submission.rubric_id, Submission.status, func.count()).group_by(Submission.rubric_id, Submission.status)
    ):
        subs.setdefault(rubric_id, {})[status] = n
    jobs = {state: n for state, n in session.execute(select(Job.state, func.count()).group_by(Job.state))}
    flags: Counter[str] = Counter()
    for (report_json,) in session.execute(
        select(ReportRow.report_json).join(Job, Job.id == ReportRow.job_id).where(Job.purpose == "screening")
    ):
        flags.update(f.get("code", "") for f in json.loads(report_json).get("flags", []))
    return Stats(submissions=subs, jobs=jobs, flags=dict(sorted(flags.items())))
