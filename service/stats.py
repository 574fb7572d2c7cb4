"""Counts for program designers and admins: nothing that identifies a candidate. The API
(routers/stats.py) and the pages (the designers' and the admins' overviews) both call these."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Assessment, Job, ReportRow, Submission
from .schemas import Stats


def counts(session: Session) -> Stats:
    """Submissions by rubric id and status, jobs by state, flag codes raised in finished screenings."""
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


def assessment_stages(session: Session) -> dict[str, int]:
    """Submitted submissions by where the assessor workflow has them: first, second, reconcile, released."""
    return {stage: int(n) for stage, n in
            session.execute(select(Assessment.stage, func.count()).group_by(Assessment.stage))}
