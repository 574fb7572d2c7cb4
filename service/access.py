"""Who may see which record. A record a user may not see is reported as absent (404), so ids of
other people's work cannot be probed; a role that may never use an endpoint gets 403 earlier."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .errors import ApiError
from .models import Job, Submission, User


def submissions_visible_to(user: User) -> Select[tuple[Submission]]:
    query = select(Submission)
    if user.role == "candidate":
        return query.where(Submission.candidate_id == user.id)
    if user.role == "assessor":  # drafts and self-checks stay private to the candidate
        return query.where(Submission.status == "submitted")
    if user.role == "admin":
        return query
    return query.where(False)  # program designers see aggregates only


def visible_submission(session: Session, user: User, submission_id: str) -> Submission:
    sub = session.scalar(submissions_visible_to(user).where(Submission.id == submission_id))
    if sub is None:
        raise ApiError("not_found", f"No submission {submission_id} that you may see.")
    return sub


def submitted_submission(session: Session, user: User, submission_id: str) -> Submission:
    """For the assessor workflow: submitted work only (admins, who see drafts' metadata, too)."""
    sub = visible_submission(session, user, submission_id)
    if sub.status != "submitted":
        raise ApiError("not_found", f"No submitted submission {submission_id}.")
    return sub


def own_submission(session: Session, user: User, submission_id: str) -> Submission:
    sub = session.get(Submission, submission_id)
    if sub is None or sub.candidate_id != user.id:
        raise ApiError("not_found", f"No submission {submission_id} that you may see.")
    return sub


def own_draft(session: Session, user: User, submission_id: str) -> Submission:
    sub = own_submission(session, user, submission_id)
    if sub.status != "draft":
        raise ApiError("not_a_draft", f"Submission {submission_id} was submitted: it can no longer change. "
                                      "Resubmit to start a new version.")
    return sub


def visible_job(session: Session, user: User, job_id: str) -> Job:
    job = session.get(Job, job_id)
    sub = session.get(Submission, job.submission_id) if job is not None else None
    ok = job is not None and sub is not None and (
        (user.role == "candidate" and sub.candidate_id == user.id)
        or (user.role in ("assessor", "admin") and job.purpose == "screening" and sub.status == "submitted")
    )
    if not ok:
        raise ApiError("not_found", f"No job {job_id} that you may see.")
    return job  # type: ignore[return-value]
