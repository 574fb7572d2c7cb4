from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from ..access import visible_job
from ..anonymise import Scrubber
from ..deps import DB, require
from ..errors import ApiError, problem_responses
from ..models import Job, ReportRow, Submission, User, utcnow
from ..review import scrubber
from ..schemas import JobOut

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
_AUTH = ("unauthenticated", "token_expired", "forbidden")
StatusReader = Annotated[User, Depends(require("candidate", "assessor", "admin"))]
ReportReader = Annotated[User, Depends(require("candidate", "assessor"))]


def job_out(j: Job, scrub: Scrubber | None = None) -> JobOut:
    """``scrub``: for anyone but the candidate (a failure message may name a file)."""
    message = scrub.text(j.error_message) if scrub is not None and j.error_message else j.error_message
    return JobOut(id=j.id, submission_id=j.submission_id, purpose=j.purpose, state=j.state,  # type: ignore[arg-type]
                  attempts=j.attempts, error_code=j.error_code, error_message=message,
                  created_at=j.created_at, started_at=j.started_at, finished_at=j.finished_at,
                  lease_expires_at=j.lease_expires_at if j.state == "running" else None, note=job_note(j))


def job_note(j: Job) -> str | None:
    """Says when a job is not simply waiting or running: its worker went silent, or it is a retry."""
    if j.state == "running" and j.lease_expires_at is not None and j.lease_expires_at <= utcnow():
        return ("The worker screening this stopped responding; the job will be taken up again by the next free "
                f"worker (attempt {j.attempts + 1}).")
    if j.state in ("queued", "running") and j.attempts > 1:
        return f"Attempt {j.attempts}: an earlier attempt stopped before it finished."
    return None


@router.get("/{job_id}", response_model=JobOut, responses=problem_responses(*_AUTH, "not_found"))
def get_job(job_id: str, session: DB, user: StatusReader) -> JobOut:
    """A job's state: queued, running, done, or failed (with error_code and error_message)."""
    job = visible_job(session, user, job_id)
    return job_out(job, None if user.role == "candidate" else _scrubber(session, job))


def _scrubber(session: DB, job: Job) -> Scrubber:
    return scrubber(session, session.get(Submission, job.submission_id))  # type: ignore[arg-type]


@router.get("/{job_id}/report", responses=problem_responses(*_AUTH, "not_found", "job_not_finished", "job_failed"))
def get_report(job_id: str, session: DB, user: ReportReader) -> dict[str, Any]:
    """The screening report of a finished job (the JSON schema of docs/report.md)."""
    job = visible_job(session, user, job_id)
    scrub = None if user.role == "candidate" else _scrubber(session, job)
    if job.state == "failed":
        message = scrub.text(job.error_message or "") if scrub is not None else job.error_message
        raise ApiError("job_failed", f"Job {job.id} failed ({job.error_code}): {message}")
    row = session.get(ReportRow, job.id)
    if job.state != "done" or row is None:
        raise ApiError("job_not_finished", f"Job {job.id} is {job.state}: poll GET /api/jobs/{job.id}.")
    report = json.loads(row.report_json)
    # Assessors: files by alias, no candidate name or email (service/anonymise.py).
    return report if scrub is None else scrub.json(report)  # type: ignore[no-any-return]
