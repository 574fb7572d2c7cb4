"""The candidate's side of the workflow: drafts, their files, self-checks, submit and resubmit.

The API's routers and the web pages both call these functions, so a rule (own draft only, the
file limit, the row lock that keeps a submit from racing an upload, the clean-up when storing
fails) lives in one place. Each function leaves the session committed or rolled back.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import AsyncIterator

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.ingest.archive import megabytes
from screening.ingest.sniff import Sniffed, sniff

from . import audit, programs, rubric_store
from .access import own_draft, own_submission
from .errors import ApiError
from .models import Job, ReportRow, StoredFile, Submission, User, utcnow
from .state import ServiceState
from .storage import TooLarge
from .uploads import check_kind, check_name

PARTS = ("narrative", "reflection", "artifact", "self_analysis")


def create_draft(session: Session, user: User, rubric_id: str) -> Submission:
    offered = rubric_store.current_versions(session)
    rubric = next((r for r in offered if r.rubric_id == rubric_id), None)
    if rubric is None:
        known = ", ".join(r.rubric_id for r in offered)
        raise ApiError("unknown_rubric", f"No rubric {rubric_id!r} is offered. Offered: {known}.")
    programs.check_new_draft(session, user, rubric.rubric_id)  # the rules of the programs the candidate follows
    sub = Submission(candidate_id=user.id, rubric_id=rubric.rubric_id, rubric_version=rubric.version)
    session.add(sub)
    session.commit()
    return sub


def too_large(state: ServiceState) -> ApiError:
    return ApiError("upload_too_large", f"The file is larger than {megabytes(state.settings.service.max_upload_bytes)}.")


async def add_file(session: Session, state: ServiceState, user: User, submission_id: str, part: str,
                   filename: str, chunks: AsyncIterator[bytes], declared_bytes: int | None = None) -> StoredFile:
    """Stream an upload into storage and record it in the draft. The type is decided from the
    content, never the name; nothing is recorded unless the whole file was stored."""
    if part not in PARTS:
        raise ApiError("invalid_request", f"Unknown part {part!r}: one of {', '.join(PARTS)}.")
    limits = state.settings.service
    # Database work runs in the thread pool, so a slow query never stalls the event loop.
    sub, name = await run_in_threadpool(_may_add, session, user, submission_id, filename,
                                        limits.max_files_per_submission)
    if declared_bytes is not None and declared_bytes > limits.max_upload_bytes:
        raise too_large(state)  # refused before a byte is read
    sniffed: list[Sniffed] = []

    def inspect(path: Path) -> None:  # on the complete upload, before it is kept
        sniffed.append(sniff(path))
        check_kind(part, sniffed[0].kind, sniffed[0].description)

    try:
        stored = await state.storage.put_stream(chunks, PurePath(name).suffix, limits.max_upload_bytes, inspect)
    except TooLarge:
        raise too_large(state) from None
    row = StoredFile(submission_id=sub.id, role=part, original_name=name, storage_key=stored.key,
                     size_bytes=stored.size_bytes, sha256=stored.sha256, kind=sniffed[0].kind.value)
    await run_in_threadpool(_keep, session, state, sub, row, None)
    return row


async def put_text(session: Session, state: ServiceState, user: User, submission_id: str, part: str,
                   text: str) -> StoredFile:
    """The narrative or reflection written in the browser, kept as ``<part>.md`` in the draft. A
    later save replaces the earlier one in the same transaction, so the draft never holds both
    or neither."""
    if part not in ("narrative", "reflection"):
        raise ApiError("invalid_request", "Only the narrative and the reflection can be written here.")
    if not text.strip():
        raise ApiError("empty_file", "There is no text to save.")
    name = f"{part}.md"
    sub = await run_in_threadpool(own_draft, session, user, submission_id)
    data = text.encode("utf-8")
    limits = state.settings.service
    if len(data) > limits.max_upload_bytes:
        raise too_large(state)

    async def one_chunk() -> AsyncIterator[bytes]:
        yield data

    sniffed: list[Sniffed] = []
    stored = await state.storage.put_stream(one_chunk(), ".md", limits.max_upload_bytes,
                                            lambda p: sniffed.append(sniff(p)))
    row = StoredFile(submission_id=sub.id, role=part, original_name=name, storage_key=stored.key,
                     size_bytes=stored.size_bytes, sha256=stored.sha256, kind=sniffed[0].kind.value)
    old = await run_in_threadpool(lambda: session.scalar(select(StoredFile).where(
        StoredFile.submission_id == sub.id, StoredFile.original_name == name)))
    await run_in_threadpool(_keep, session, state, sub, row, old)
    return row


def _may_add(session: Session, user: User, submission_id: str, filename: str,
             max_files: int) -> tuple[Submission, str]:
    """The checks before an upload is received: own draft, safe name, room, no name clash."""
    sub = own_draft(session, user, submission_id)
    name = check_name(filename)
    _check_room(session, sub, max_files)
    if session.scalar(select(StoredFile.id).where(StoredFile.submission_id == sub.id,
                                                  StoredFile.original_name == name)) is not None:
        raise ApiError("duplicate_file_name", f"The submission holds a file named {name!r} already: delete it first.")
    return sub, name


def _check_room(session: Session, sub: Submission, max_files: int) -> None:
    held = session.scalar(select(func.count()).select_from(StoredFile).where(StoredFile.submission_id == sub.id))
    if (held or 0) >= max_files:
        raise ApiError("too_many_files", f"A submission holds at most {max_files} files.")


def _keep(session: Session, state: ServiceState, sub: Submission, row: StoredFile,
          replaces: StoredFile | None) -> None:
    """Record a stored upload (in place of ``replaces``); if that fails, remove the stored copy so
    nothing is half-written."""
    try:
        _still_draft(session, sub)
        if replaces is not None:
            session.delete(replaces)
            session.flush()
        else:  # checked again under the draft's lock: uploads running side by side all passed the first check
            _check_room(session, sub, state.settings.service.max_files_per_submission)
        session.add(row)
        session.flush()
        if replaces is not None:
            audit.append(session, sub.candidate_id, "remove_file", "submission", sub.id, _file_facts(replaces), None)
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
    if replaces is not None:
        state.storage.delete(replaces.storage_key)


def delete_file(session: Session, state: ServiceState, user: User, submission_id: str, file_id: str) -> None:
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


def _file_facts(row: StoredFile) -> dict[str, object]:
    # Not the uploaded name: the audit log is read by admins, and a name may identify the candidate.
    return {"file_id": row.id, "part": row.role, "sha256": row.sha256, "size_bytes": row.size_bytes}


def _still_draft(session: Session, sub: Submission) -> None:
    """Within the transaction that changes a draft's files: lock the submission row and make sure
    it was not submitted meanwhile (a submit racing an upload)."""
    locked = session.execute(update(Submission).where(Submission.id == sub.id, Submission.status == "draft")
                             .values(status="draft")).rowcount
    if locked != 1:
        raise ApiError("not_a_draft", f"Submission {sub.id} was submitted meanwhile: it can no longer change.")


def _require_files(session: Session, sub: Submission) -> None:
    if session.scalar(select(StoredFile.id).where(StoredFile.submission_id == sub.id).limit(1)) is None:
        raise ApiError("no_files")


def start_self_check(session: Session, state: ServiceState, user: User, submission_id: str) -> Job:
    """Queue a private screening of the draft; the candidate may do this as often as they like."""
    sub = own_draft(session, user, submission_id)
    _require_files(session, sub)
    job = Job(submission_id=sub.id, purpose="self_check")
    session.add(job)
    session.flush()
    audit.append(session, user.id, "self_check", "submission", sub.id, None, {"job_id": job.id})
    session.commit()  # the job is durable before any worker hears of it
    state.dispatch(job.id)
    return job


def submit(session: Session, state: ServiceState, user: User, submission_id: str) -> tuple[Submission, Job]:
    sub = own_submission(session, user, submission_id)
    if sub.status != "draft":
        raise ApiError("already_submitted", f"Submission {sub.id} was submitted already.")
    _require_files(session, sub)
    # Conditional: of two submits racing, exactly one changes the row.
    changed = session.execute(update(Submission).where(Submission.id == sub.id, Submission.status == "draft")
                              .values(status="submitted", submitted_at=utcnow())).rowcount
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
    return sub, job


def resubmit(session: Session, state: ServiceState, user: User, submission_id: str) -> Submission:
    """The next version of a submitted submission: a new draft linked to it, holding copies of its
    files to change before submitting."""
    prev = own_submission(session, user, submission_id)
    has_next = session.scalar(select(Submission.id).where(Submission.previous_id == prev.id)) is not None
    if prev.status != "submitted" or has_next:
        raise ApiError("not_resubmittable", "Only the newest submitted version can be resubmitted"
                       + (f"; version {prev.version + 1} exists already." if has_next else "; this one is a draft."))
    programs.check_new_draft(session, user, prev.rubric_id)  # e.g. attempts that need a coaching meeting first
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
    return new


# --- reading: the candidate's own submissions, jobs and written texts ------------------------------

def own_submissions(session: Session, user: User) -> list[Submission]:
    """The candidate's submissions, newest first."""
    return list(session.scalars(select(Submission).where(Submission.candidate_id == user.id)
                                .order_by(Submission.created_at.desc(), Submission.version.desc(), Submission.id)))


def jobs_of(session: Session, submission_ids: list[str], purpose: str | None = None) -> list[Job]:
    """Jobs of these submissions (the caller has checked they are the candidate's own), newest first."""
    if not submission_ids:
        return []
    query = select(Job).where(Job.submission_id.in_(submission_ids))
    if purpose is not None:
        query = query.where(Job.purpose == purpose)
    return list(session.scalars(query.order_by(Job.created_at.desc(), Job.id)))


def own_job(session: Session, user: User, submission_id: str, job_id: str) -> tuple[Submission, Job]:
    """A self-check or screening job of the candidate's own submission (404 otherwise)."""
    sub = own_submission(session, user, submission_id)
    job = session.get(Job, job_id)
    if job is None or job.submission_id != sub.id:
        raise ApiError("not_found", f"No job {job_id} of submission {submission_id}.")
    return sub, job


def job_report(session: Session, job: Job) -> dict[str, object] | None:
    """The report of a finished job (None while it is queued or running, or when it failed)."""
    row = session.get(ReportRow, job.id) if job.state == "done" else None
    return json.loads(row.report_json) if row is not None else None  # type: ignore[no-any-return]


def written_name(part: str) -> str:
    """The name under which ``put_text`` keeps a text written in the browser."""
    return f"{part}.md"


def written_text(session: Session, state: ServiceState, user: User, submission_id: str, part: str) -> str | None:
    """The text last saved with ``put_text`` for ``part`` (``narrative.md`` / ``reflection.md`` in
    that part), to edit it again; None when there is none."""
    sub = own_submission(session, user, submission_id)
    row = session.scalar(select(StoredFile).where(StoredFile.submission_id == sub.id, StoredFile.role == part,
                                                  StoredFile.original_name == written_name(part)))
    if row is None or row.kind not in ("markdown", "text"):
        return None
    try:
        with state.storage.local_path(row.storage_key) as path:
            return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
