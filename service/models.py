"""Database tables (SQLAlchemy 2). Migrations in service/migrations must match these."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (Boolean, Connection, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint,
                        event, select)
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    # Random, not sequential: ids reveal nothing about how many submissions exist.
    return secrets.token_hex(12)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The person's name (candidates': the name assessors must never see).
    display_name: Mapped[str | None] = mapped_column(String(200), default=None)


class Token(Base):
    __tablename__ = "tokens"

    # Only a hash of the token is stored: a copy of the database does not let anyone sign in.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    rubric_id: Mapped[str] = mapped_column(String(200))
    # Pinned when the draft is made, so a later rubric version never changes what it is judged against.
    rubric_version: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class RubricVersion(Base):
    """Every rubric version the service has offered. Rows are never changed, only retired: a
    submission pins (rubric_id, version), so what it was judged against stays readable."""

    __tablename__ = "rubric_versions"

    rubric_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(80))
    yaml_text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # bundled | uploaded
    uploaded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StoredFile(Base):
    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # narrative | reflection | artifact | self_analysis
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "original_name", name="uq_file_name_per_submission"),)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # self_check (private) | screening (on submit)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ReportRow(Base):
    __tablename__ = "reports"

    # One report per job: re-running a job cannot store a second one.
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    report_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Readiness counts, read from the report when it is stored (service/queue_store.py): detail
    # statuses and flags by severity. The flag codes present are in report_flag_codes.
    met: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    weak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    missing: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flags_error: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flags_warning: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flags_info: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReportFlagCode(Base):
    """How many flags of one code a report holds (only codes present): the queue's flag filter."""

    __tablename__ = "report_flag_codes"

    job_id: Mapped[str] = mapped_column(ForeignKey("reports.job_id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_report_flag_codes_code", "code", "job_id"),)


class QueueEntry(Base):
    """One submitted submission with a screening report: what the assessors' queue filters, sorts
    and counts on, in one narrow table (service/queue.py). Written with the report
    (service/queue_store.py); ``stage``, ``open`` and the claim fields follow the assessment
    (sync_queue_claims). Whether the screening job has finished is read from jobs when the queue
    is asked for."""

    __tablename__ = "queue_entries"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("reports.job_id", ondelete="CASCADE"), unique=True)
    rubric_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage: Mapped[str] = mapped_column(String(16), default="first")
    open: Mapped[bool] = mapped_column(Boolean, default=True)  # stage != released
    missing: Mapped[int] = mapped_column(Integer)
    weak: Mapped[int] = mapped_column(Integer)
    flag_total: Mapped[int] = mapped_column(Integer)
    # The assessment's claim fields, copied from ``assessments`` and the final markings in
    # ``decisions`` (sync_queue_claims, in the transaction that changes them), so every total of
    # the queue is a count over this table's indexes. double_marking is null until the
    # assessment starts (then the setting decides); first/second_marker: who released the first
    # and the second marking (they may not mark it again).
    double_marking: Mapped[bool | None] = mapped_column(Boolean, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(32), default=None)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    assigned_to: Mapped[str | None] = mapped_column(String(32), default=None)
    agreement: Mapped[float | None] = mapped_column(Float, default=None)
    first_marker: Mapped[str | None] = mapped_column(String(32), default=None)
    second_marker: Mapped[str | None] = mapped_column(String(32), default=None)

    __table_args__ = (
        # One index per order (each led by open: the default view is every open stage), one for
        # counting by stage, one for a chosen MC.
        Index("ix_queue_entries_waiting", "open", "submitted_at", "submission_id"),
        Index("ix_queue_entries_missing", "open", "missing", "weak", "submitted_at", "submission_id"),
        Index("ix_queue_entries_flags", "open", "flag_total", "submitted_at", "submission_id"),
        Index("ix_queue_entries_version", "open", "version", "submitted_at", "submission_id"),
        # Covers the totals (by stage, claimable, needing reconciliation; with an MC or version chosen
        # too): each is a range count on it, the unclaimed, unassigned ones first in each stage.
        Index("ix_queue_entries_claims", "open", "stage", "claimed_by", "assigned_to", "claim_expires_at",
              "first_marker", "second_marker", "agreement", "rubric_id", "version", "job_id"),
        Index("ix_queue_entries_rubric", "rubric_id", "open", "submitted_at", "submission_id"),
        # The totals' ranges for the entries that involve the caller and for claims that ran out
        # (migration 0011; the rest of the totals is read from queue_counts). job_id last (0012): a
        # flag's probe, or whether the screening has finished, reads no table row either.
        Index("ix_queue_entries_assigned", "open", "assigned_to", "stage", "claim_expires_at", "claimed_by",
              "first_marker", "second_marker", "rubric_id", "version", "agreement", "job_id"),
        Index("ix_queue_entries_first_marker", "open", "first_marker", "stage", "assigned_to", "claim_expires_at",
              "claimed_by", "second_marker", "rubric_id", "version", "job_id"),
        Index("ix_queue_entries_second_marker", "open", "second_marker", "stage", "assigned_to", "claim_expires_at",
              "claimed_by", "first_marker", "rubric_id", "version", "job_id"),
        Index("ix_queue_entries_agreement", "open", "stage", "agreement", "assigned_to", "claim_expires_at",
              "claimed_by", "first_marker", "second_marker", "rubric_id", "version", "job_id"),
    )


class QueueCount(Base):
    """How many queue entries each (MC, version, stage) has, and how many of them are free (no
    assignment, and no claim or one without an expiry): kept by database triggers on
    ``queue_entries`` (migration 0011: inserts, updates, deletes, cascades included), so the
    queue's totals read a few rows here instead of stepping through the backlog."""

    __tablename__ = "queue_counts"

    rubric_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    n_free: Mapped[int] = mapped_column(Integer)


class QueueTag(Base):
    """A queue entry under one tag, with a copy of what the queue sorts and counts it by: ``f:`` and
    a flag code its report holds, or ``u:`` and the id of the user who holds its claim (live or
    not) or to whom it is assigned. Kept by database triggers on ``queue_entries`` (migration 0012),
    so the flag and ``mine`` filters page along one index range per order, like the unfiltered
    queue, instead of testing every open entry."""

    __tablename__ = "queue_tags"

    submission_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage: Mapped[str] = mapped_column(String(16))
    open: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[int] = mapped_column(Integer)
    weak: Mapped[int] = mapped_column(Integer)
    flag_total: Mapped[int] = mapped_column(Integer)
    free: Mapped[bool] = mapped_column(Boolean)  # as queue_counts.n_free counts it
    agreement: Mapped[float | None] = mapped_column(Float, default=None)



# One index per order of the queue, led by the tag, each column in the order's direction (a page
# reads the range forward, the page before it backward, with no sort).
Index("ix_queue_tags_waiting", QueueTag.tag, QueueTag.open, QueueTag.submitted_at, QueueTag.submission_id)
Index("ix_queue_tags_missing", QueueTag.tag, QueueTag.open, QueueTag.missing.desc(), QueueTag.weak.desc(),
      QueueTag.submitted_at, QueueTag.submission_id)
Index("ix_queue_tags_flags", QueueTag.tag, QueueTag.open, QueueTag.flag_total.desc(), QueueTag.submitted_at,
      QueueTag.submission_id)
Index("ix_queue_tags_version", QueueTag.tag, QueueTag.open, QueueTag.version.desc(), QueueTag.submitted_at,
      QueueTag.submission_id)
# A flag's reconciliations below the agreement bar: one range.
Index("ix_queue_tags_agreement", QueueTag.tag, QueueTag.stage, QueueTag.agreement, QueueTag.rubric_id, QueueTag.version)


class QueueAgreementCount(Base):
    """How many open reconciliations of each (MC, version) have each agreement: kept by triggers on
    ``queue_entries`` (migration 0012), so the queue's count of those below
    ``service.agreement_bar`` (a setting, so not stored) sums a few rows."""

    __tablename__ = "queue_agreement_counts"

    rubric_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement: Mapped[float] = mapped_column(Float, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class QueueTagCount(Base):
    """``queue_counts`` for the entries under one flag tag (``f:`` and a code): kept by triggers on
    ``queue_tags`` (migration 0012), so the flag filter's totals read a few rows."""

    __tablename__ = "queue_tag_counts"

    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    n_free: Mapped[int] = mapped_column(Integer)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # One delivery per job: a job finished twice (by a re-run) does not notify twice.
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | delivered | gave_up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Assessment(Base):
    """The assessor workflow's state of one submitted submission: its stage, the claim (a
    time-limited lock held by one user), an admin's assignment and the marking policy."""

    __tablename__ = "assessments"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), default="first", index=True)  # first | second | reconcile | released
    # Fixed when the row is made, so a policy change never alters work already under way.
    double_marking: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    claimed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    agreement: Mapped[float | None] = mapped_column(Float, default=None)
    released_decision_id: Mapped[str | None] = mapped_column(String(32), default=None)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    """One assessor's judgments on one submission in one role. Pinned to the report (job) and the
    exact rubric they were made on: a snapshot of the rubric is kept, so editing it later never
    changes a past judgment."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))  # first | second | reconciler
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | final
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    rubric_id: Mapped[str] = mapped_column(String(200))
    rubric_version: Mapped[str] = mapped_column(String(64))
    rubric_hash: Mapped[str] = mapped_column(String(100))
    rubric_snapshot: Mapped[str] = mapped_column(Text)
    flags_json: Mapped[str] = mapped_column(Text, default="{}")
    details_json: Mapped[str] = mapped_column(Text, default="{}")
    levels_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (UniqueConstraint("submission_id", "assessor_id", "role", name="uq_decision_per_marker"),)


class AuditEntry(Base):
    """Append-only record of every action. Each row holds the hash of the previous row, so an
    edited, deleted or reordered row breaks the chain (`python -m service audit-verify`)."""

    __tablename__ = "audit_log"

    # Numbered by the writer (not autoincrement): two appends after the same row collide here.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class IssuerKey(Base):
    """An Ed25519 key the service signs credentials with (screening/exports/signing.py). The newest
    key that is neither retired nor revoked signs; retired keys still verify what they signed; a
    revoked key (compromised) verifies nothing. Public keys are published in the issuer's profile
    at ``{exports.base_url}/issuer``; the secret never leaves the database."""

    __tablename__ = "issuer_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    public_key_multibase: Mapped[str] = mapped_column(String(80), unique=True)
    secret_key_multibase: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class CredentialStatus(Base):
    """A credential's place in the revocation list (a W3C Bitstring Status List): allocated when
    the credential is first issued, set when an admin revokes it."""

    __tablename__ = "credential_status"

    decision_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    list_index: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


# --- readiness counts, written with the report ----------------------------------------------------
# Every report row, however it is stored (the worker, a test, a script using the ORM), gets its
# counts in the same flush, so in the same transaction: the columns before the INSERT, the flag
# codes and the queue entry (screening reports only) right after it.

@event.listens_for(ReportRow, "before_insert")
def _report_counts(mapper: object, connection: Connection, row: ReportRow) -> None:
    from .readiness import counts_of_json

    for name, value in counts_of_json(row.report_json).columns().items():
        setattr(row, name, value)


@event.listens_for(ReportRow, "after_insert")
def _report_codes_and_queue_entry(mapper: object, connection: Connection, row: ReportRow) -> None:
    from .readiness import counts_of_json

    counts = counts_of_json(row.report_json)
    store_queue_counts(connection, row.job_id, counts.flag_codes, counts.details["missing"],
                       counts.details["weak"], counts.flag_total)


def store_queue_counts(connection: Connection, job_id: str, flag_codes: dict[str, int], missing: int, weak: int,
                       flag_total: int) -> None:
    """The flag codes of a stored report and, for a screening report, its submission's queue
    entry (replacing the entry of an older screening of the same submission)."""
    if flag_codes:
        connection.execute(ReportFlagCode.__table__.insert(),
                           [{"job_id": job_id, "code": c, "count": n} for c, n in flag_codes.items()])
    found = connection.execute(
        select(Job.purpose, Submission.id, Submission.rubric_id, Submission.version, Submission.submitted_at,
               Submission.created_at, Assessment.stage)
        .join(Submission, Submission.id == Job.submission_id)
        .outerjoin(Assessment, Assessment.submission_id == Submission.id)
        .where(Job.id == job_id)
    ).first()
    if found is None or found.purpose != "screening":
        return
    stage = found.stage or "first"
    entries = QueueEntry.__table__
    connection.execute(entries.delete().where(entries.c.submission_id == found.id))
    connection.execute(entries.insert().values(
        submission_id=found.id, job_id=job_id, rubric_id=found.rubric_id, version=found.version,
        submitted_at=found.submitted_at or found.created_at, stage=stage, open=stage != "released",
        missing=missing, weak=weak, flag_total=flag_total))
    sync_queue_claims(connection, found.id)


def sync_queue_claims(connection: Connection, submission_id: str) -> None:
    """Copy a submission's assessment (stage, claim, assignment, agreement) and who released its
    first and second markings onto its queue entry, if it has one. Called whenever they change,
    in the same transaction: by the events below (any ORM change to an assessment or a final
    marking) and by ``assessment.claim`` (a conditional UPDATE, which fires no ORM event)."""
    a = connection.execute(
        select(Assessment.stage, Assessment.double_marking, Assessment.claimed_by, Assessment.claim_expires_at,
               Assessment.assigned_to, Assessment.agreement).where(Assessment.submission_id == submission_id)).first()
    markers = {role: who for role, who in connection.execute(
        select(Decision.role, Decision.assessor_id).where(Decision.submission_id == submission_id,
                                                           Decision.state == "final",
                                                           Decision.role.in_(("first", "second")))
        .order_by(Decision.created_at.desc()))}
    stage = a.stage if a is not None else "first"
    entries = QueueEntry.__table__
    connection.execute(entries.update().where(entries.c.submission_id == submission_id).values(
        stage=stage, open=stage != "released",
        double_marking=a.double_marking if a is not None else None,
        claimed_by=a.claimed_by if a is not None else None,
        claim_expires_at=a.claim_expires_at if a is not None else None,
        assigned_to=a.assigned_to if a is not None else None,
        agreement=a.agreement if a is not None else None,
        first_marker=markers.get("first"), second_marker=markers.get("second")))


@event.listens_for(Assessment, "after_insert")
@event.listens_for(Assessment, "after_update")
def _assessment_to_queue(mapper: object, connection: Connection, a: Assessment) -> None:
    sync_queue_claims(connection, a.submission_id)


@event.listens_for(Decision, "after_insert")
@event.listens_for(Decision, "after_update")
def _marking_to_queue(mapper: object, connection: Connection, d: Decision) -> None:
    if d.state == "final":  # drafts change nothing the queue shows
        sync_queue_claims(connection, d.submission_id)


@event.listens_for(Session, "do_orm_execute")
def _bulk_changes_to_queue(state: ORMExecuteState) -> Any:
    """An UPDATE statement on assessments or markings run through a session (the claim's
    conditional UPDATE, a script moving a date) fires no per-object event: the entries of the rows
    it matches are copied again right after it, in its transaction."""
    mapper = state.bind_mapper
    if not state.is_update or mapper is None or mapper.class_ not in (Assessment, Decision):
        return None
    model = mapper.class_
    where = state.statement.whereclause  # type: ignore[attr-defined]
    found = select(model.submission_id) if where is None else select(model.submission_id).where(where)
    params = state.parameters if isinstance(state.parameters, dict) else None  # (a list: by primary keys)
    ids = sorted(set(state.session.scalars(found, params)))
    result = state.invoke_statement()
    connection = state.session.connection()
    for sub_id in ids:
        sync_queue_claims(connection, sub_id)
    return result


# --- programs: following one, coaching meetings, stack credentials (issue 19) ------------------------

class ProgramEnrolment(Base):
    """A candidate follows a program (programs/*.yaml): its rules (order, concurrency, attempts)
    then apply to the drafts they start for its MCs (service/programs.py)."""

    __tablename__ = "program_enrolments"

    candidate_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CoachingRecord(Base):
    """A coaching meeting held with a candidate about one MC (an admin records it): attempts at
    that MC are counted toward the program's limit again from here."""

    __tablename__ = "coaching_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[str] = mapped_column(String(200))
    rubric_id: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(32), default=None)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StackCredential(Base):
    """A completed stack or pathway, issued once as an OB 3.0 credential: which released
    decisions completed it, and when. Its revocation-list place is keyed by this row's id."""

    __tablename__ = "stack_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[str] = mapped_column(String(200))
    program_version: Mapped[str] = mapped_column(String(64))
    stack_id: Mapped[str] = mapped_column(String(200))
    decisions_json: Mapped[str] = mapped_column(Text)  # [{"mc", "rubric_id", "decision_id", "released_at"}]
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("candidate_id", "program_id", "program_version", "stack_id",
                                       name="uq_stack_credential"),)


# --- shared and duplicate evidence across candidates (issue 19 item 4; service/duplicates.py) -------

class EvidenceIndexRow(Base):
    """One screened submission as the duplicate-evidence index holds it (screening/duplicates.py):
    its files' content hashes and its indexed passages (place and text, JSON) with their vectors
    (int8, ``count`` × ``dim``, row-major). Deleted with the candidate's data on erasure."""

    __tablename__ = "evidence_index"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))  # embedding model name@revision: only like vectors compare
    dim: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    files_json: Mapped[str] = mapped_column(Text)  # [{"name": file id, "sha256", "part"}]
    passages_json: Mapped[str] = mapped_column(Text)  # [EvidencePassage as a dict, file = file id]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DuplicateMatchRow(Base):
    """A match found when ``submission_id`` was screened, against the earlier ``other_submission_id``
    (another candidate's). Shown from both sides; places are positions in the two index rows."""

    __tablename__ = "duplicate_matches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    other_submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # artifact | passage
    sha256: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    file_id: Mapped[str | None] = mapped_column(String(32), default=None)
    other_file_id: Mapped[str | None] = mapped_column(String(32), default=None)
    passage: Mapped[int | None] = mapped_column(Integer, default=None)
    other_passage: Mapped[int | None] = mapped_column(Integer, default=None)
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SharedEvidence(Base):
    """A team artifact an admin approved as shared evidence, by content hash: shown as approved
    shared evidence rather than as a possible duplicate."""

    __tablename__ = "shared_evidence"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    approved_by: Mapped[str | None] = mapped_column(String(32), default=None)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
