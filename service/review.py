"""Submissions as assessors see them: files under aliases, reports and messages scrubbed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .anonymise import Scrubber, file_aliases
from .models import StoredFile, Submission, User

ANONYMISED_ROLES = ("assessor", "admin")  # everyone who is not the candidate


def files_of(session: Session, submission_id: str) -> list[StoredFile]:
    return list(session.scalars(select(StoredFile).where(StoredFile.submission_id == submission_id)
                                .order_by(StoredFile.created_at, StoredFile.id)))


def scrubber(session: Session, sub: Submission) -> Scrubber:
    return Scrubber.for_candidate(session.get(User, sub.candidate_id), files_of(session, sub.id))


def aliases(session: Session, submission_id: str) -> dict[str, str]:
    return file_aliases(files_of(session, submission_id))


def anonymised_report(report: dict[str, Any], scrub: Scrubber) -> dict[str, Any]:
    from screening.pilot import flag_ref

    out: dict[str, Any] = scrub.json(report)
    # Decisions refer to flags by position; carrying the ref saves counting.
    out["flags"] = [{"ref": flag_ref(i), **f} for i, f in enumerate(out.get("flags", []))]
    return out
