from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from .. import drafts, outcomes, uploads
from ..access import submissions_visible_to, visible_submission
from ..anonymise import file_aliases
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..models import Job, StoredFile, Submission, User
from ..outcomes import Outcome
from ..schemas import FileOut, JobOut, Part, SubmissionIn, SubmissionOut, SubmittedOut
from ..files import read_file
from ..review import files_of, scrubber
from .jobs import job_out

router = APIRouter(prefix="/api/submissions", tags=["submissions"])
Candidate = Annotated[User, Depends(require("candidate"))]
Reader = Annotated[User, Depends(require("candidate", "assessor", "admin"))]
FileReader = Annotated[User, Depends(require("candidate", "assessor"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


def submission_out(sub: Submission, viewer: User) -> SubmissionOut:
    return SubmissionOut(
        id=sub.id, rubric_id=sub.rubric_id, rubric_version=sub.rubric_version, status=sub.status, version=sub.version,  # type: ignore[arg-type]
        previous_id=sub.previous_id, created_at=sub.created_at, submitted_at=sub.submitted_at,
        candidate_id=None if viewer.role == "assessor" else sub.candidate_id,
    )


def file_out(f: StoredFile, alias: str | None = None) -> FileOut:
    """``alias``: the name shown to anyone but the candidate (service/anonymise.py)."""
    return FileOut(id=f.id, part=f.role, name=alias or f.original_name, kind=f.kind,  # type: ignore[arg-type]
                   size_bytes=f.size_bytes, sha256=f.sha256, created_at=f.created_at)


@router.post("", status_code=201, response_model=SubmissionOut,
             responses=problem_responses(*_AUTH, "unknown_rubric", "invalid_request", "malformed_json"))
def create_draft(body: SubmissionIn, session: DB, user: Candidate) -> SubmissionOut:
    """Candidate: start a draft submission for an MC (a rubric id from GET /api/rubrics)."""
    return submission_out(drafts.create_draft(session, user, body.rubric_id), user)


@router.get("", response_model=list[SubmissionOut], responses=problem_responses(*_AUTH))
def list_submissions(session: DB, user: Reader) -> list[SubmissionOut]:
    """Candidates: their own. Assessors: submitted work, anonymised. Admins: all (no content)."""
    subs = session.scalars(submissions_visible_to(user).order_by(Submission.created_at, Submission.id))
    return [submission_out(s, user) for s in subs]


@router.get("/{submission_id}", response_model=SubmissionOut, responses=problem_responses(*_AUTH, "not_found"))
def get_submission(submission_id: str, session: DB, user: Reader) -> SubmissionOut:
    return submission_out(visible_submission(session, user, submission_id), user)


@router.get("/{submission_id}/files", response_model=list[FileOut],
            responses=problem_responses(*_AUTH, "not_found"))
def list_files(submission_id: str, session: DB, user: FileReader) -> list[FileOut]:
    sub = visible_submission(session, user, submission_id)
    files = files_of(session, sub.id)
    if user.role == "candidate":
        return [file_out(f) for f in files]
    names = file_aliases(files)  # assessors never see the names the candidate gave
    return [file_out(f, names[f.id]) for f in files]


@router.get("/{submission_id}/files/{file_id}/content", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes."},
                       **problem_responses(*_AUTH, "not_found", "download_unavailable")})
def download_file(submission_id: str, file_id: str, session: DB, state: State, user: FileReader) -> Response:
    """Download a file. The candidate gets it as uploaded. An assessor gets it under its alias,
    with identifying metadata removed and the candidate's name and email redacted
    (service/redact.py); a type that cannot be cleaned is refused, never sent as is."""
    limits = state.settings.limits
    got = read_file(session, state.storage, user, submission_id, file_id, limits.archive_limits(), limits)
    data, name = got.data, got.name
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "X-Content-Type-Options": "nosniff"})


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "part": {"type": "string", "enum": list(drafts.PARTS)}}}}}}}


@router.post("/{submission_id}/files", status_code=201, response_model=FileOut, openapi_extra=_UPLOAD_BODY,
             responses=problem_responses(*_AUTH, "not_found", "not_a_draft", "too_many_files", "duplicate_file_name",
                                         "upload_too_large", "unsupported_file_type", "unsafe_file_name",
                                         "empty_file", "invalid_request"))
async def upload_file(
    submission_id: str, request: Request, session: DB, state: State, user: Candidate,
    part: Annotated[Part | None, Query(description="The part of the submission the file belongs to "
                                                   "(or a `part` field of a multipart form).")] = None,
    # No length limit here: check_name refuses an over-long name with unsafe_file_name, whatever its length.
    filename: Annotated[str | None, Query(description="The file's own name, for display (a multipart "
                                                      "upload's own file name when absent).")] = None,
) -> FileOut:
    """Candidate: add a file to a draft. The body is the file's bytes (streamed to storage), or a
    `multipart/form-data` form with a `file` field, as a browser or `curl -F file=@…` sends it.
    The type is decided from the content, and the file is stored under a random name."""
    declared = request.headers.get("content-length")
    size = int(declared) if declared is not None and declared.isdigit() else None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        if size is not None and size > state.settings.service.max_upload_bytes + 64 * 1024:
            raise drafts.too_large(state)  # refused before the form is read
        async with uploads.file_field(request) as form:
            name = filename or form.filename
            which = part or form.part
            if which is None:
                raise ApiError("invalid_request", "Say which part the file belongs to: `part` in the query or form.")
            row = await drafts.add_file(session, state, user, submission_id, which, name, form.chunks())
        return file_out(row)
    if part is None or filename is None:
        raise ApiError("invalid_request", "A raw upload needs `part` and `filename` in the query.")
    row = await drafts.add_file(session, state, user, submission_id, part, filename, request.stream(), size)
    return file_out(row)


@router.delete("/{submission_id}/files/{file_id}", status_code=204,
               responses=problem_responses(*_AUTH, "not_found", "not_a_draft"))
def delete_file(submission_id: str, file_id: str, session: DB, state: State, user: Candidate) -> Response:
    """Candidate: remove a file from a draft."""
    drafts.delete_file(session, state, user, submission_id, file_id)
    return Response(status_code=204)


@router.post("/{submission_id}/self-checks", status_code=202, response_model=JobOut,
             responses=problem_responses(*_AUTH, "not_found", "not_a_draft", "no_files"))
def self_check(submission_id: str, session: DB, state: State, user: Candidate) -> JobOut:
    """Candidate: screen the draft privately, as often as wanted. Poll GET /api/jobs/{id}."""
    return job_out(drafts.start_self_check(session, state, user, submission_id))


@router.get("/{submission_id}/jobs", response_model=list[JobOut], responses=problem_responses(*_AUTH, "not_found"))
def list_jobs(submission_id: str, session: DB, user: Reader) -> list[JobOut]:
    """The submission's jobs: candidates see their self-checks too; others only the screening."""
    sub = visible_submission(session, user, submission_id)
    query = select(Job).where(Job.submission_id == sub.id)
    if user.role != "candidate":
        query = query.where(Job.purpose == "screening")
    scrub = scrubber(session, sub) if user.role != "candidate" else None
    return [job_out(j, scrub) for j in session.scalars(query.order_by(Job.created_at, Job.id))]


@router.post("/{submission_id}/submit", status_code=202, response_model=SubmittedOut,
             responses=problem_responses(*_AUTH, "not_found", "already_submitted", "no_files"))
def submit(submission_id: str, session: DB, state: State, user: Candidate) -> SubmittedOut:
    """Candidate: submit the draft. It is screened once more and becomes visible to assessors."""
    sub, job = drafts.submit(session, state, user, submission_id)
    return SubmittedOut(submission=submission_out(sub, user), job=job_out(job))


@router.post("/{submission_id}/resubmit", status_code=201, response_model=SubmissionOut,
             responses=problem_responses(*_AUTH, "not_found", "not_resubmittable"))
def resubmit(submission_id: str, session: DB, state: State, user: Candidate) -> SubmissionOut:
    """Candidate: start the next version of a submitted submission: a new draft linked to it,
    holding copies of its files to change before submitting."""
    return submission_out(drafts.resubmit(session, state, user, submission_id), user)


@router.get("/{submission_id}/outcome", response_model=Outcome,
            responses=problem_responses(*_AUTH, "not_found", "not_released"))
def get_outcome(submission_id: str, session: DB, user: Candidate) -> Outcome:
    """Candidate: the released decision on their own submission: the level and the assessor's
    comment per EO, when it was released, and whether it reaches the required level on every EO
    (then the credential can be downloaded). 409 `not_released` until a decision is released."""
    return outcomes.candidate_outcome(session, user, submission_id)
