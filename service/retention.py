"""Retention: drafts left untouched and the files of released submissions are deleted after the
days the settings give, per rubric (``service.retention_draft_days``,
``service.retention_released_files_days``; ``'*'`` for every other rubric; unset: kept).

- A draft's last activity is the latest of its creation, its uploads and its self-checks (started
  or finished). A draft untouched for longer goes whole: files (storage and the caches derived
  from them), self-checks and their reports, the row.
- A released submission's uploaded files go that many days after the release: storage, caches and
  the files' rows. The decision, the submission's record and the screening report stay (an
  erasure on request removes those texts too: service/erasure.py).

Each deletion is written to the audit log (``purge_draft``, ``purge_files``, actor: none). The
server applies the settings every ``service.retention_check_s`` (so does ``python -m service
worker``); ``python -m service purge`` applies them once (``--dry-run`` lists what would go).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from . import audit
from .erasure import compact, delete_stored_files, delete_submissions
from .models import Assessment, Job, StoredFile, Submission, utcnow
from .state import ServiceState

log = logging.getLogger("service.retention")


@dataclass
class Purged:
    drafts: list[str] = field(default_factory=list)  # submission ids deleted
    released: list[str] = field(default_factory=list)  # submission ids whose files were deleted
    files: int = 0

    def __bool__(self) -> bool:
        return bool(self.drafts or self.released)


def days_for(table: dict[str, int], rubric_id: str) -> int | None:
    days = table.get(rubric_id, table.get("*"))
    return days if days is not None and days > 0 else None


def last_activity(session: Session, sub: Submission) -> datetime:
    times = [sub.created_at]
    times.append(session.scalar(select(func.max(StoredFile.created_at)).where(StoredFile.submission_id == sub.id)))
    times.append(session.scalar(select(func.max(Job.created_at)).where(Job.submission_id == sub.id)))
    times.append(session.scalar(select(func.max(Job.finished_at)).where(Job.submission_id == sub.id)))
    return max(t for t in times if t is not None)


def _stale_drafts(session: Session, state: ServiceState, now: datetime) -> list[tuple[str, int]]:
    table = state.settings.service.retention_draft_days
    if not table:
        return []
    out = []
    for sub in session.scalars(select(Submission).where(Submission.status == "draft").order_by(Submission.created_at)):
        days = days_for(table, sub.rubric_id)
        if days is not None and last_activity(session, sub) < now - timedelta(days=days):
            out.append((sub.id, days))
    return out


def _released_with_files(session: Session, state: ServiceState, now: datetime) -> list[tuple[str, int]]:
    table = state.settings.service.retention_released_files_days
    if not table:
        return []
    rows = session.execute(
        select(Submission.id, Submission.rubric_id, Assessment.released_at)
        .join(Assessment, Assessment.submission_id == Submission.id)
        .where(Assessment.released_at.is_not(None),
               select(StoredFile.id).where(StoredFile.submission_id == Submission.id).exists())
        .order_by(Assessment.released_at)).all()
    out = []
    for sub_id, rubric_id, released_at in rows:
        days = days_for(table, rubric_id)
        if days is not None and released_at < now - timedelta(days=days):
            out.append((sub_id, days))
    return out


def _write_lock(session: Session) -> None:
    # SQLite: take the write lock before reading (as the audit log does), so two processes purging
    # at once take turns and the second finds the work done; PostgreSQL locks the rows instead.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))


def purge(state: ServiceState, now: datetime | None = None, dry_run: bool = False) -> Purged:
    """Apply the retention settings once. Each submission is purged in a transaction of its own,
    after checking again under a lock that it is still due (several servers may purge at once)."""
    now = now or utcnow()
    result = Purged()
    with state.sessions() as s:
        drafts = _stale_drafts(s, state, now)
        released = _released_with_files(s, state, now)
    if dry_run:
        result.drafts = [i for i, _ in drafts]
        result.released = [i for i, _ in released]
        return result
    for sub_id, days in drafts:
        with state.sessions() as s:
            _write_lock(s)
            sub = s.scalar(select(Submission).where(Submission.id == sub_id, Submission.status == "draft")
                           .with_for_update())
            if sub is None or last_activity(s, sub) >= now - timedelta(days=days):
                continue  # submitted, changed or purged meanwhile
            running = s.scalar(select(Job.id).where(Job.submission_id == sub_id, Job.state == "running",
                                                    Job.lease_expires_at > utcnow()).limit(1))
            if running is not None:
                continue  # a self-check is running: next time
            files = list(s.scalars(select(StoredFile).where(StoredFile.submission_id == sub_id)))
            n, _ = delete_stored_files(s, state, files)
            delete_submissions(s, [sub_id])
            audit.append(s, None, "purge_draft", "submission", sub_id, None,
                         {"files": n, "inactive_days": days, "reason": "retention"})
            s.commit()
        result.drafts.append(sub_id)
        result.files += n
    for sub_id, days in released:
        with state.sessions() as s:
            _write_lock(s)
            files = list(s.scalars(select(StoredFile).where(StoredFile.submission_id == sub_id).with_for_update()))
            if not files:
                continue
            n, _ = delete_stored_files(s, state, files)
            audit.append(s, None, "purge_files", "submission", sub_id, None,
                         {"files": n, "days_after_release": days, "reason": "retention"})
            s.commit()
        result.released.append(sub_id)
        result.files += n
    if result:
        compact(state)
        log.info("retention: %d drafts and the files of %d released submissions deleted (%d files)",
                 len(result.drafts), len(result.released), result.files)
    return result


def configured(state: ServiceState) -> bool:
    svc = state.settings.service
    return bool(svc.retention_draft_days or svc.retention_released_files_days)


def start(state: ServiceState, stop: threading.Event) -> threading.Thread | None:
    """Apply the retention settings now and every ``service.retention_check_s`` in a daemon thread
    (none when no retention is set)."""
    if not configured(state):
        return None

    def loop() -> None:
        while True:
            try:
                purge(state)
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable: next round
                log.exception("applying the retention settings failed")
            if stop.wait(state.settings.service.retention_check_s):
                return

    thread = threading.Thread(target=loop, name="retention", daemon=True)
    thread.start()
    return thread
