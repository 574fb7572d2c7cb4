"""Shared and duplicate evidence across candidates (service/duplicates.py; docs/duplicates.md):
assessors and admins read it, admins approve team artifacts as shared evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from .. import duplicates as dup
from ..access import submitted_submission
from ..deps import DB, require
from ..errors import ApiError, problem_responses
from ..models import Submission, User

router = APIRouter(tags=["duplicates"])
Marker = Annotated[User, Depends(require("assessor", "admin"))]
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


class Person(BaseModel):
    id: str
    email: str
    display_name: str | None = None


class Place(BaseModel):
    submission_id: str
    rubric_id: str | None
    version: int | None
    file_id: str | None
    file: str = Field(description="The file's alias (artifact-2.pdf), as assessors see it.")
    place: str = Field(description="Where in the file: 'page 3, paragraph 2', '1:05-1:30', or 'the whole file'.")
    fragment: str | None = Field(None, description="A URI fragment for the place (#page=3, #t=65,90).")
    excerpt: str | None = Field(None, description="Assessors: the passage, scrubbed of the candidate's name and email. Admins: none.")
    file_name: str | None = Field(None, description="Admins only: the name the file was uploaded under.")
    candidate: Person | None = Field(None, description="Admins only: whose submission it is.")


class DuplicateItem(BaseModel):
    id: str
    kind: Literal["artifact", "passage"]
    status: Literal["possible_duplicate", "approved_shared_evidence"]
    score: float = Field(description="1.0 for the same file; the passages' cosine similarity otherwise.")
    sha256: str | None = Field(None, description="The file's content hash (artifact matches): what an admin approves.")
    here: Place
    other: Place


class Duplicates(BaseModel):
    submission_id: str
    advisory: str
    items: list[DuplicateItem]


class SharedIn(BaseModel):
    sha256: str = Field(description="The team artifact's content hash (64 hexadecimal digits).")
    note: str | None = Field(None, max_length=2000)


class SharedOut(BaseModel):
    sha256: str
    note: str | None
    approved_by: str | None
    approved_at: datetime


class RecentSide(BaseModel):
    submission_id: str
    rubric_id: str | None
    version: int | None
    candidate: Person | None
    file_name: str | None


class RecentItem(BaseModel):
    id: str
    kind: Literal["artifact", "passage"]
    status: Literal["possible_duplicate", "approved_shared_evidence"]
    score: float
    sha256: str | None
    found_at: datetime
    submission: RecentSide
    other: RecentSide


@router.get("/api/submissions/{submission_id}/duplicates", response_model=Duplicates,
            responses=problem_responses(*_AUTH, "not_found"))
def submission_duplicates(submission_id: str, session: DB, user: Marker) -> Duplicates:
    """Advisory: files and passages of this submission that also appear in another candidate's
    submission, with both places. Assessors see aliases and scrubbed excerpts, never a name;
    admins see both candidates and file names, without passage text. Never candidates."""
    if user.role == "assessor":
        sub = submitted_submission(session, user, submission_id)
    else:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise ApiError("not_found", f"No submission {submission_id}.")
    return Duplicates.model_validate(dup.for_submission(session, user, sub))


@router.get("/api/duplicates", response_model=list[RecentItem], responses=problem_responses(*_AUTH))
def recent_duplicates(session: DB, user: Admin, limit: int = 200) -> list[RecentItem]:
    """Admins: the newest matches across the service (both submissions and candidates, no text)."""
    return [RecentItem.model_validate(r) for r in dup.recent(session, max(1, min(limit, 1000)))]


@router.get("/api/shared-evidence", response_model=list[SharedOut], responses=problem_responses(*_AUTH))
def shared_list(session: DB, user: Admin) -> list[SharedOut]:
    """Admins: team artifacts approved as shared evidence, newest first."""
    return [SharedOut.model_validate(r, from_attributes=True) for r in dup.shared_list(session)]


@router.post("/api/shared-evidence", response_model=SharedOut, status_code=201,
             responses={200: {"description": "Approved already: unchanged."},
                        **problem_responses(*_AUTH, "invalid_request", "malformed_json")})
def approve(body: SharedIn, session: DB, user: Admin, response: Response) -> SharedOut:
    """Admins: approve a team artifact (by content hash) as shared evidence; audited
    (approve_shared_evidence). Matches on it are then shown as approved shared evidence."""
    row, created = dup.approve(session, user, body.sha256, body.note)
    session.commit()
    if not created:
        response.status_code = 200
    return SharedOut.model_validate(row, from_attributes=True)


@router.delete("/api/shared-evidence/{sha256}", status_code=204, responses=problem_responses(*_AUTH, "not_found", "invalid_request"))
def withdraw(sha256: str, session: DB, user: Admin) -> Response:
    """Admins: withdraw an approval; audited (withdraw_shared_evidence)."""
    dup.withdraw(session, user, sha256)
    session.commit()
    return Response(status_code=204)
