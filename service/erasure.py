"""Erasure on request (FERPA): an admin erases a candidate's data.

What goes, for every submission the candidate made:

- the uploaded files (storage) and their rows (names, sizes, checksums);
- everything the screener's caches derived from those files (extracted text, transcripts, the
  sentence vectors of their texts: screening/forget.py);
- the reports, the jobs' messages and the webhook notices;
- a submission without a released decision goes whole: its row, jobs, assessment and markings;
- a submission with a released decision keeps a de-identified record: the submission row
  (MC, rubric version, version number, dates), the assessment (stage, agreement, release time) and
  the markings with their levels, detail statuses and flag decisions and the pinned rubric, with
  every comment removed; the screening job it was made on stays, without its report or message.

The account stays as a tombstone, so released decisions still have a candidate to belong to: the
email becomes ``erased-<id>@erased.invalid``, the name is removed, the password can no longer
sign in and every session ends. The audit log gets one row saying the erasure happened (counts
only); older rows about the candidate's work that hold text or file hashes (assessors' comments in
``decide`` rows, checksums in ``add_file`` / ``remove_file`` rows) keep their place in the chain but
their payloads are replaced by erasure markers that keep only the payload's digest, so the hash
chain still verifies (service/audit.py; rows written before that format are left and counted).
On SQLite the database file is then rebuilt (``VACUUM``) and its write-ahead log emptied, so deleted
text does not stay in free pages; on PostgreSQL the touched tables are vacuumed.

Backups made before an erasure still hold the data: see docs/service.md (Backups).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from screening.forget import Forgotten, forget_files

from . import audit
from .duplicates import forget_submissions as forget_evidence
from .errors import ApiError
from .models import (Assessment, AuditEntry, Decision, Job, ReportRow, StoredFile, Submission, Token, User,
                     WebhookDelivery, utcnow)
from .state import ServiceState

log = logging.getLogger("service.erasure")

TOMBSTONE_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): nothing can be sent there
_UNUSABLE_PASSWORD = "!erased"  # not an argon2 hash: no password verifies against it


def tombstone_email(user_id: str) -> str:
    return f"erased-{user_id}@{TOMBSTONE_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == tombstone_email(user.id)


@dataclass
class Erased:
    """What an erasure removed (counts; nothing that names the person)."""

    user_id: str
    submissions_deleted: int = 0
    submissions_kept: list[str] = field(default_factory=list)
    files: int = 0
    reports: int = 0
    jobs: int = 0
    decisions_kept: int = 0
    evidence_rows: int = 0  # duplicate-evidence index rows and matches (service/duplicates.py)
    cache: dict[str, int] = field(default_factory=dict)
    audit_rows_erased: int = 0  # older audit rows whose payload was replaced by an erasure marker
    audit_rows_kept: int = 0  # such rows written before erasable payloads (format 1): left as they are

    def facts(self) -> dict[str, Any]:
        return asdict(self)


# --- pieces shared with retention (service/retention.py) ---------------------------------------

def delete_stored_files(session: Session, state: ServiceState, rows: Iterable[StoredFile]) -> tuple[int, Forgotten]:
    """Delete files from storage, forget what the caches derived from them, and delete their rows
    (in the caller's transaction, which the caller commits). A file whose content another
    submission still holds (a resubmission's copy has its own storage key, so only the cache is
    shared) keeps nothing of this one's: caches are only caches."""
    rows = list(rows)
    for r in rows:
        state.storage.delete(r.storage_key)
    forgotten = forget_files(state.settings, [r.sha256 for r in rows])
    if rows:
        session.execute(delete(StoredFile).where(StoredFile.id.in_([r.id for r in rows])))
    return len(rows), forgotten


def delete_submissions(session: Session, sub_ids: list[str]) -> int:
    """Delete submissions whole (their files' rows must be gone already): markings, assessment,
    webhook notices, reports, jobs, then the rows. A later version pointing at one keeps its
    version number but loses the link."""
    if not sub_ids:
        return 0
    session.execute(update(Submission).where(Submission.previous_id.in_(sub_ids)).values(previous_id=None))
    job_ids = list(session.scalars(select(Job.id).where(Job.submission_id.in_(sub_ids))))
    session.execute(delete(Decision).where(Decision.submission_id.in_(sub_ids)))
    session.execute(delete(Assessment).where(Assessment.submission_id.in_(sub_ids)))
    if job_ids:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.job_id.in_(job_ids)))
        session.execute(delete(ReportRow).where(ReportRow.job_id.in_(job_ids)))
        session.execute(delete(Job).where(Job.id.in_(job_ids)))
    session.execute(delete(StoredFile).where(StoredFile.submission_id.in_(sub_ids)))
    session.execute(delete(Submission).where(Submission.id.in_(sub_ids)))
    return len(sub_ids)


_KEEP = {"flags_json": ("decision",), "details_json": ("status",), "levels_json": ("level",)}


def _without_text(raw: str, keep: tuple[str, ...]) -> str:
    data = json.loads(raw or "{}")
    return json.dumps({k: {f: v[f] for f in keep if f in v} if isinstance(v, dict) else v for k, v in data.items()})


def deidentify_released(session: Session, sub_id: str) -> tuple[int, int, int]:
    """A released submission down to its de-identified record: comments out of every marking,
    reports, webhook notices and jobs' messages gone, jobs no marking is pinned to deleted.
    Returns (markings kept, reports deleted, jobs deleted)."""
    decisions = list(session.scalars(select(Decision).where(Decision.submission_id == sub_id)))
    for d in decisions:
        for column, keep in _KEEP.items():
            setattr(d, column, _without_text(getattr(d, column), keep))
    pinned = {d.job_id for d in decisions}
    job_ids = list(session.scalars(select(Job.id).where(Job.submission_id == sub_id)))
    reports = session.execute(delete(ReportRow).where(ReportRow.job_id.in_(job_ids))).rowcount if job_ids else 0
    if job_ids:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.job_id.in_(job_ids)))
    gone = [j for j in job_ids if j not in pinned]
    if gone:
        session.execute(delete(Job).where(Job.id.in_(gone)))
    if pinned:
        session.execute(update(Job).where(Job.id.in_(pinned)).values(error_message=None))
    return len(decisions), int(reports or 0), len(gone)


def released(session: Session, sub_id: str) -> bool:
    a = session.get(Assessment, sub_id)
    return a is not None and a.released_at is not None and a.released_decision_id is not None


# Audit actions whose payloads hold a candidate's text (assessors' comments in markings) or their
# files' SHA-256 (uploads and removals): erased on request, the rows themselves stay.
AUDIT_TEXT_ACTIONS = {"decide": "decision", "add_file": "submission", "remove_file": "submission"}


def erase_audit_payloads(session: Session, user_id: str, sub_ids: list[str]) -> tuple[int, int]:
    """Erase the payloads of the audit rows about this candidate's work that hold text or file
    hashes (service/audit.py ``erase_payloads``: the chain still verifies). Found by the rows'
    targets (their submissions, the markings of them) and, for uploads, by the candidate as actor
    (which also finds drafts deleted earlier by retention)."""
    decision_ids = (list(session.scalars(select(Decision.id).where(Decision.submission_id.in_(sub_ids))))
                    if sub_ids else [])
    files = [a for a, t in AUDIT_TEXT_ACTIONS.items() if t == "submission"]
    wanted = [and_(AuditEntry.action.in_(files), AuditEntry.actor_id == user_id)]
    if sub_ids:
        wanted.append(and_(AuditEntry.action.in_(files), AuditEntry.target_type == "submission",
                           AuditEntry.target_id.in_(sub_ids)))
    if decision_ids:
        wanted.append(and_(AuditEntry.action == "decide", AuditEntry.target_type == "decision",
                           AuditEntry.target_id.in_(decision_ids)))
    rows = session.scalars(select(AuditEntry).where(or_(*wanted)).order_by(AuditEntry.seq))
    return audit.erase_payloads(session, rows, "erasure on request")


_TOUCHED = tuple(m.__tablename__ for m in (User, Token, Submission, StoredFile, Job, ReportRow, WebhookDelivery,
                                            Assessment, Decision, AuditEntry))


def compact(state: ServiceState) -> None:
    """Leave no deleted text in the database's files: SQLite is rebuilt (VACUUM; deleted rows
    are also overwritten as they go, secure_delete) and its write-ahead log emptied; PostgreSQL's
    tables are vacuumed (dead rows removed; its WAL segments age out as the server recycles them)."""
    engine = state.engine
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(text("VACUUM"))
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            elif engine.dialect.name == "postgresql":
                for table in _TOUCHED:
                    conn.execute(text(f"VACUUM {table}"))
    except Exception:  # noqa: BLE001 - the erasure itself is committed; a busy database is compacted next time
        log.exception("compacting the database after an erasure failed; run it again later")


# --- the erasure -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """What an erasure of this account would do, for the admin to confirm."""

    submissions_deleted: int
    submissions_kept: int
    files: int


def plan(session: Session, user: User) -> Plan:
    subs = list(session.scalars(select(Submission.id).where(Submission.candidate_id == user.id)))
    kept = sum(1 for i in subs if released(session, i))
    files = session.scalar(select(func.count()).select_from(StoredFile)
                           .where(StoredFile.submission_id.in_(subs))) if subs else 0
    return Plan(len(subs) - kept, kept, int(files or 0))


def erase_candidate(session: Session, state: ServiceState, admin: User, user_id: str) -> Erased:
    """Erase a candidate's data (see the module's description); commits. ``not_found`` for no
    such account, ``not_a_candidate`` for staff accounts, ``screening_in_progress`` while one of
    their submissions is being screened (try again when it finishes: the screener would write
    caches after the erasure). Erasing an erased account again finds nothing more to remove and
    is audited again."""
    user = session.get(User, user_id)
    if user is None:
        raise ApiError("not_found", f"No user {user_id!r}.")
    if user.role != "candidate":
        raise ApiError("not_a_candidate", f"{user.email} is a {user.role}: only candidates' data is erased here.")
    # Lock first: the account's sessions end and the submission rows are locked (PostgreSQL; on
    # SQLite this write takes the database's write lock), so an upload or a submit racing the
    # erasure waits, then finds its submission gone and keeps nothing.
    session.execute(delete(Token).where(Token.user_id == user.id))
    subs = list(session.scalars(select(Submission).where(Submission.candidate_id == user.id)
                                .order_by(Submission.created_at).with_for_update()))
    sub_ids = [s.id for s in subs]
    now = utcnow()
    running = session.scalar(select(Job.id).where(Job.submission_id.in_(sub_ids), Job.state == "running",
                                                  Job.lease_expires_at > now).limit(1)) if sub_ids else None
    if running is not None:
        raise ApiError("screening_in_progress", "One of this candidate's submissions is being screened right now: "
                                                "erase the data again when the screening has finished (a few minutes).")
    result = Erased(user_id=user.id)
    result.audit_rows_erased, result.audit_rows_kept = erase_audit_payloads(session, user.id, sub_ids)
    # The duplicate-evidence index holds their passages' text and vectors; matches name their work.
    result.evidence_rows = forget_evidence(session, sub_ids)
    files = list(session.scalars(select(StoredFile).where(StoredFile.submission_id.in_(sub_ids)))) if sub_ids else []
    result.files, forgotten = delete_stored_files(session, state, files)
    result.cache = {"extractions": forgotten.extractions, "transcripts": forgotten.transcripts,
                    "vectors": forgotten.vectors}
    kept = [s.id for s in subs if released(session, s.id)]
    for sub_id in kept:
        decisions, reports, jobs = deidentify_released(session, sub_id)
        result.decisions_kept += decisions
        result.reports += reports
        result.jobs += jobs
    gone = [i for i in sub_ids if i not in kept]
    if gone:
        result.reports += session.scalar(select(func.count()).select_from(ReportRow).join(Job, Job.id == ReportRow.job_id)
                                          .where(Job.submission_id.in_(gone))) or 0
        result.jobs += session.scalar(select(func.count()).select_from(Job).where(Job.submission_id.in_(gone))) or 0
    result.submissions_deleted = delete_submissions(session, gone)
    result.submissions_kept = kept
    email = user.email
    user.email = tombstone_email(user.id)
    user.display_name = None
    user.password_hash = _UNUSABLE_PASSWORD
    audit.append(session, admin.id, "erase_candidate", "user", user.id, None, result.facts())
    session.commit()
    state.accounts.succeeded(email)  # failed sign-ins are counted per email, in memory
    compact(state)
    log.info("erased the data of candidate %s: %s", user.id, result.facts())
    return result
