from __future__ import annotations

from pathlib import Path, PurePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from screening.ingest.sniff import Sniffed, sniff

from .. import audit, rubric_store
from ..access import own_draft, own_submission, submissions_visible_to, visible_submission
from ..anonymise import file_aliases
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..models import Job, StoredFile, Submission, User, utcnow
from ..schemas import FileOut, JobOut, Part, SubmissionIn, SubmissionOut, SubmittedOut
from ..review import files_of, scrubber
from ..storage import TooLarge
from ..uploads import check_kind, check_name
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
def create_draft(body: SubmissionIn, session: DB, state: State, user: Candidate) -> SubmissionOut:
    """Candidate: start a draft submission for an MC (a rubric id from GET /api/rubrics)."""
    offered = rubric_store.current_versions(session)
    rubric = next((r for r in offered if r.rubric_id == body.rubric_id), None)
    if rubric is None:
        known = ", ".join(r.rubric_id for r in offered)
        raise ApiError("unknown_rubric", f"No rubric {body.rubric_id!r} is offered. Offered: {known}.")
    sub = Submission(candidate_id=user.id, rubric_id=rubric.rubric_id, rubric_version=rubric.version)
    session.add(sub)
    session.commit()
    return submission_out(sub, user)


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
    sub = visible_submission(session, user, submission_id)
    files = files_of(session, sub.id)
    f = next((x for x in files if x.id == file_id), None)
    if f is None:
        raise ApiError("not_found", f"No file {file_id} in this submission.")
    try:
        with state.storage.local_path(f.storage_key) as path:
            data = path.read_bytes()
    except FileNotFoundError:
        raise ApiError("not_found", f"The stored copy of file {file_id} is missing.") from None
    name = f.original_name
    if user.role != "candidate":
        from ..redact import CannotClean, clean

        name = file_aliases(files)[f.id]
        try:
            data = clean(f.kind, data, scrubber(session, sub))
        except CannotClean:
            raise ApiError("download_unavailable", f"Files of type {f.kind} cannot be cleaned of identifying "
                           "metadata, so assessors read them through the report only.") from None
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "X-Content-Type-Options": "nosniff"})


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}}


@router.post("/{submission_id}/files", status_code=201, response_model=FileOut, openapi_extra=_UPLOAD_BODY,
             responses=problem_responses(*_AUTH, "not_found", "not_a_draft", "too_many_files", "duplicate_file_name",
                                         "upload_too_large", "unsupported_file_type", "unsafe_file_name",
                                         "empty_file", "invalid_request"))
async def upload_file(
    submission_id: str, request: Request, session: DB, state: State, user: Candidate,
    part: Annotated[Part, Query(description="The part of the submission the file belongs to.")],
    filename: Annotated[str, Query(min_length=1, max_length=255, description="The file's own name, for display.")],
) -> FileOut:
    """Candidate: add a file to a draft. The body is the file's bytes, streamed to storage; the
    type is decided from the content, and the file is stored under a random name."""
    limits = state.settings.service
    # Database work runs in the thread pool, so a slow query never stalls the event loop.
    sub, name = await run_in_threadpool(_may_add, session, user, submission_id, filename,
                                        limits.max_files_per_submission)
    too_large = ApiError("upload_too_large", f"The file is larger than {limits.max_upload_bytes} bytes.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_upload_bytes:
        raise too_large  # refused before a byte is read
    sniffed: list[Sniffed] = []

    def inspect(path: Path) -> None:  # on the complete upload, before it is kept
        sniffed.append(sniff(path))
        check_kind(part, sniffed[0].kind, sniffed[0].description)

    try:
        stored = await state.storage.put_stream(request.stream(), PurePath(name).suffix, limits.max_upload_bytes,
                                                inspect)
    except TooLarge:
        raise too_large from None
    row = StoredFile(submission_id=sub.id, role=part, original_name=name, storage_key=stored.key,
                     size_bytes=stored.size_bytes, sha256=stored.sha256, kind=sniffed[0].kind.value)
    await run_in_threadpool(_keep, session, state, sub, row)
    return file_out(row)


def _may_add(session: DB, user: User, submission_id: str, filename: str, max_files: int) -> tuple[Submission, str]:
    """The checks before an upload is received: own draft, safe name, room, no name clash."""
    sub = own_draft(session, user, submission_id)
    name = check_name(filename)
    _check_room(session, sub, max_files)
    if session.scalar(select(StoredFile.id).where(StoredFile.submission_id == sub.id,
                                                  StoredFile.original_name == name)) is not None:
        raise ApiError("duplicate_file_name", f"The submission holds a file named {name!r} already: delete it first.")
    return sub, name


def _check_room(session: DB, sub: Submission, max_files: int) -> None:
    held = session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.submission_id == sub.id))
    if (held or 0) >= max_files:
        raise ApiError("too_many_files", f"A submission holds at most {max_files} files.")


def _keep(session: DB, state: State, sub: Submission, row: StoredFile) -> None:
    """Record a stored upload; if that fails, remove the stored copy so nothing is half-written."""
    try:
        _still_draft(session, sub)
        # Checked again under the draft's lock: uploads running side by side all passed the first check.
        _check_room(session, sub, state.settings.service.max_files_per_submission)
        session.add(row)
        session.flush()
        audit.append(session, sub.candidate_id, "add_file", "submission", sub.id, None, _file_facts(row))
        session.commit()  # the file is stored (synced) before this row exists
    except IntegrityError:
        session.rollback()
        state.storage.delete(row.storage_key)
        raise ApiError("duplicate_file_name",
                       f"The submission holds a file named {row.original_name!r} already.") from None
    except BaseException:
        session.rollback()
        state.storage.delete(row.storage_key)
        raise


@router.delete("/{submission_id}/files/{file_id}", status_code=204,
               responses=problem_responses(*_AUTH, "not_found", "not_a_draft"))
def delete_file(submission_id: str, file_id: str, session: DB, state: State, user: Candidate) -> Response:
    """Candidate: remove a file from a draft."""
    sub = own_draft(session, user, submission_id)
    row = session.scalar(select(StoredFile).where(StoredFile.id == file_id, StoredFile.submission_id == sub.id))
    if row is None:
        raise ApiError("not_found", f"No file {file_id} in this submission.")
    key = row.storage_key
    session.delete(row)
    _still_draft(session, sub)
    audit.append(session, user.id, "remove_file", "submission", sub.id, _file_facts(row), None)
    session.commit()
    state.storage.delete(key)  # after the commit: at worst an unreferenced file, never a dangling row
    return Response(status_code=204)


def _file_facts(row: StoredFile) -> dict[str, object]:
    # Not the uploaded name: the audit log is read by admins, and a name may identify the candidate.
    return {"file_id": row.id, "part": row.role, "sha256": row.sha256, "size_bytes": row.size_bytes}


def _still_draft(session: DB, sub: Submission) -> None:
    """Within the transaction that changes a draft's files: lock the submission row and make sure
    it was not submitted meanwhile (a submit racing an upload)."""
    locked = session.execute(update(Submission).where(Submission.id == sub.id, Submission.status == "draft")
                             .values(status="draft")).rowcount
    if locked != 1:
        raise ApiError("not_a_draft", f"Submission {sub.id} was submitted meanwhile: it can no longer change.")


def _require_files(session: DB, sub: Submission) -> None:
    if session.scalar(select(StoredFile.id).where(StoredFile.submission_id == sub.id).limit(1)) is None:
        raise ApiError("no_files")


@router.post("/{submission_id}/self-checks", status_code=202, response_model=JobOut,
             responses=problem_responses(*_AUTH, "not_found", "not_a_draft", "no_files"))
def self_check(submission_id: str, session: DB, state: State, user: Candidate) -> JobOut:
    """Candidate: screen the draft privately, as often as wanted. Poll GET /api/jobs/{id}."""
    sub = own_draft(session, user, submission_id)
    _require_files(session, sub)
    job = Job(submission_id=sub.id, purpose="self_check")
    session.add(job)
    session.flush()
    audit.append(session, user.id, "self_check", "submission", sub.id, None, {"job_id": job.id})
    session.commit()  # the job is durable before any worker hears of it
    state.dispatch(job.id)
    return job_out(job)


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
    sub = own_submission(session, user, submission_id)
    if sub.status != "draft":
        raise ApiError("already_submitted", f"Submission {sub.id} was submitted already.")
    _require_files(session, sub)
    now = utcnow()
    # Conditional: of two submits racing, exactly one changes the row.
    changed = session.execute(update(Submission).where(Submission.id == sub.id, Submission.status == "draft")
                              .values(status="submitted", submitted_at=now)).rowcount
    if changed != 1:
        session.rollback()
        raise ApiError("already_submitted", f"Submission {sub.id} was submitted already.")
    job = Job(submission_id=sub.id, purpose="screening")
    session.add(job)
    session.flush()
    audit.append(session, user.id, "submit", "submission", sub.id, {"status": "draft"},
                 {"status": "submitted", "job": job.id})
    session.commit()
    state.dispatch(job.id)
    session.refresh(sub)
    return SubmittedOut(submission=submission_out(sub, user), job=job_out(job))


@router.post("/{submission_id}/resubmit", status_code=201, response_model=SubmissionOut,
             responses=problem_responses(*_AUTH, "not_found", "not_resubmittable"))
def resubmit(submission_id: str, session: DB, state: State, user: Candidate) -> SubmissionOut:
    """Candidate: start the next version of a submitted submission: a new draft linked to it,
    holding copies of its files to change before submitting."""
    prev = own_submission(session, user, submission_id)
    has_next = session.scalar(select(Submission.id).where(Submission.previous_id == prev.id)) is not None
    if prev.status != "submitted" or has_next:
        raise ApiError("not_resubmittable", "Only the newest submitted version can be resubmitted"
                       + (f"; version {prev.version + 1} exists already." if has_next else "; this one is a draft."))
    # The next version is judged against the rubric as it is now (its previous one if every version was retired).
    current = rubric_store.current_version(session, prev.rubric_id)
    new = Submission(candidate_id=user.id, rubric_id=prev.rubric_id, version=prev.version + 1, previous_id=prev.id,
                     rubric_version=current.version if current is not None else prev.rubric_version)
    session.add(new)
    session.flush()
    copied: list[str] = []
    try:
        for f in session.scalars(select(StoredFile).where(StoredFile.submission_id == prev.id)).all():
            key = state.storage.copy(f.storage_key)
            copied.append(key)
            session.add(StoredFile(submission_id=new.id, role=f.role, original_name=f.original_name, storage_key=key,
                                   size_bytes=f.size_bytes, sha256=f.sha256, kind=f.kind))
        audit.append(session, user.id, "resubmit", "submission", new.id, None,
                     {"previous": prev.id, "version": new.version})
        session.commit()
    except IntegrityError:
        session.rollback()
        for key in copied:
            state.storage.delete(key)
        raise ApiError("not_resubmittable", f"A newer version of {prev.id} exists already.") from None
    except BaseException:
        session.rollback()
        for key in copied:
            state.storage.delete(key)
        raise
    return submission_out(new, user)
