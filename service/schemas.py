"""Request and response bodies of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .auth import Role

Part = Literal["narrative", "reflection", "artifact", "self_analysis"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(_In):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: Role


class UserIn(_In):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=10, max_length=1024)
    role: Role
    display_name: str | None = Field(None, min_length=1, max_length=200,
                                     description="The person's name (never shown to assessors).")


class UserRoleIn(_In):
    role: Role


class UserOut(BaseModel):
    id: str
    email: str
    role: Role
    created_at: datetime
    display_name: str | None = None


class RubricOut(BaseModel):
    id: str
    version: str
    title: str


class RubricVersionOut(RubricOut):
    content_hash: str
    source: Literal["bundled", "uploaded"]
    created_at: datetime
    retired: bool = Field(description="Retired versions are kept for the submissions pinned to them; new drafts cannot use them.")


class SubmissionIn(_In):
    rubric_id: str = Field(min_length=1, max_length=200)


class SubmissionOut(BaseModel):
    id: str
    rubric_id: str
    rubric_version: str | None = Field(description="The rubric version the submission is judged against (pinned when the draft was made).")
    status: Literal["draft", "submitted"]
    version: int
    previous_id: str | None
    created_at: datetime
    submitted_at: datetime | None
    candidate_id: str | None = Field(None, description="Left out for assessors: they see submissions anonymised.")


class FileOut(BaseModel):
    id: str
    part: Part
    name: str = Field(description="The name the file was uploaded under (never used on disk).")
    kind: str = Field(description="Type decided by the file's content.")
    size_bytes: int
    sha256: str
    created_at: datetime


class JobOut(BaseModel):
    id: str
    submission_id: str
    purpose: Literal["self_check", "screening"]
    state: Literal["queued", "running", "done", "failed"]
    attempts: int
    error_code: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lease_expires_at: datetime | None = Field(
        None, description="A running job: when its worker's lease runs out. Past it, the worker stopped "
        "sending heartbeats (it crashed or was stopped) and the job waits to be taken up again.")
    note: str | None = Field(None, description="What is happening to the job, in plain words, when it is not obvious.")


class SubmittedOut(BaseModel):
    submission: SubmissionOut
    job: JobOut


class Stats(BaseModel):
    submissions: dict[str, dict[str, int]] = Field(description="Counts by rubric id, then by status.")
    jobs: dict[str, int] = Field(description="Counts by state.")
    flags: dict[str, int] = Field(description="Flag codes raised in finished screenings of submitted work.")


class ExportRow(BaseModel):
    """One screened submission, de-identified."""

    ref: str = Field(description="A pseudonym of the submission (not its id).")
    rubric_id: str
    rubric_version: str
    version: int = Field(description="1 for a first submission, 2 for its first resubmission, ...")
    submitted_month: str = Field(description="YYYY-MM: the month only.")
    words_by_part: dict[str, int]
    details: dict[str, str] = Field(description="EO detail id → met / weak / missing.")
    flags: dict[str, int] = Field(description="Flag code → count.")


class IssuerKeyOut(BaseModel):
    id: str
    public_key_multibase: str
    verification_method: str
    state: Literal["signing", "retired", "revoked"]
    created_at: datetime
    retired_at: datetime | None
    revoked_at: datetime | None


class CredentialOut(BaseModel):
    decision_id: str = Field(description="The released decision, or the completed stack, the credential is for.")
    kind: Literal["mc", "stack"]
    submission_id: str | None
    rubric_id: str | None
    stack: str | None = Field(None, description="A stack credential's program and stack, as program/stack.")
    list_index: int
    issued_at: datetime
    revoked_at: datetime | None
    reason: str | None
