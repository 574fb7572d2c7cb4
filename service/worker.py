"""Runs jobs: claims one with a lease, keeps the lease alive with heartbeats while the screening
pipeline runs, stores the report and finishes the job. Any number of workers may share one
database: a claim is a conditional UPDATE, so exactly one worker wins each job."""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import ExitStack
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from screening.errors import ScreeningError
from screening.settings import Settings
from screening.submission import Submission as ScreeningSubmission
from screening.submission import SubmissionFile

from . import duplicates
from . import jobs as rules
from . import rubric_store
from . import webhooks
from .models import Job, ReportRow, StoredFile, Submission, new_id, utcnow
from .storage import Storage

log = logging.getLogger("service.worker")

# Why a job failed (a job's error_code): a public interface like the API's error codes.
JOB_ERROR_CODES: dict[str, str] = {
    "no_files": "The submission had no files to screen.",
    "unknown_rubric": "The submission's rubric is no longer among the service's rubrics.",
    "file_missing": "A stored file was missing from storage.",
    "screening_error": "The screening library stopped with a coded error (the message gives it).",
    "worker_lost": "The worker screening the job stopped service.job_max_attempts times; it is not retried.",
    "internal_error": "An unexpected error; the server log has the details.",
}


class LeaseLost(Exception):
    """Another worker took the job over (this one's heartbeats stopped reaching the database)."""


class JobFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        if code not in JOB_ERROR_CODES:  # a programming error: fail loudly
            raise ValueError(f"unknown job error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


class Worker:
    def __init__(self, sessions: sessionmaker[Session], storage: Storage, settings: Settings) -> None:
        self.sessions = sessions
        self.storage = storage
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"
        # A screened submission's entry for the duplicate-evidence index, kept from _screen to
        # _store_and_finish (service/duplicates.py), by job id.
        self._evidence: dict[str, tuple] = {}  # type: ignore[type-arg]

    @property
    def _svc(self):  # type: ignore[no-untyped-def]
        return self.settings.service

    # --- claiming -------------------------------------------------------------------------
    def claim_next(self) -> str | None:
        """Take the oldest claimable job; None when there is none."""
        now = utcnow()
        with self.sessions() as s:
            candidates = s.scalars(
                select(Job)
                .where(or_(Job.state == "queued", and_(Job.state == "running", Job.lease_expires_at <= now)))
                .order_by(Job.created_at)
                .limit(10)
            ).all()
            for job in candidates:
                view = rules.JobView(job.state, job.attempts, job.lease_expires_at)
                if rules.lost_for_good(view, now, self._svc.job_max_attempts):
                    self._fail_lost(s, job, now)
                    continue
                if rules.claimable(view, now) and self._try_claim(s, job, now):
                    return job.id
        return None

    def claim(self, job_id: str) -> str:
        """Try to claim one given job: "claimed", "busy" (another worker holds a live lease: try
        later), "final" (done or failed: nothing to do) or "missing"."""
        now = utcnow()
        with self.sessions() as s:
            job = s.get(Job, job_id)
            if job is None:
                return "missing"
            view = rules.JobView(job.state, job.attempts, job.lease_expires_at)
            if job.state in rules.FINAL:
                return "final"
            if rules.lost_for_good(view, now, self._svc.job_max_attempts):
                self._fail_lost(s, job, now)
                return "final"
            if rules.claimable(view, now) and self._try_claim(s, job, now):
                return "claimed"
            return "busy"

    def _same_lease(self, job: Job) -> list:  # type: ignore[type-arg]
        # The claim succeeds only if nobody changed the job since we read it.
        cond = [Job.id == job.id, Job.state == job.state, Job.attempts == job.attempts]
        if job.lease_expires_at is not None:
            cond.append(Job.lease_expires_at == job.lease_expires_at)
        return cond

    def _try_claim(self, s: Session, job: Job, now: datetime) -> bool:
        result = s.execute(
            update(Job).where(*self._same_lease(job)).values(
                state=rules.next_state(job.state, "claim"), lease_owner=self.owner,
                lease_expires_at=rules.lease_until(now, self._svc.job_lease_s),
                attempts=Job.attempts + 1, started_at=now,
            )
        )
        s.commit()
        return result.rowcount == 1

    def _fail_lost(self, s: Session, job: Job, now: datetime) -> None:
        s.execute(
            update(Job).where(*self._same_lease(job)).values(
                state=rules.next_state("running", "fail"), error_code="worker_lost", finished_at=now,
                error_message=f"The worker screening this job stopped {job.attempts} times; it is not retried again.",
            )
        )
        s.commit()

    # --- running --------------------------------------------------------------------------
    def heartbeat(self, job_id: str) -> bool:
        with self.sessions() as s:
            result = s.execute(
                update(Job).where(Job.id == job_id, Job.state == "running", Job.lease_owner == self.owner)
                .values(lease_expires_at=rules.lease_until(utcnow(), self._svc.job_lease_s))
            )
            s.commit()
            return result.rowcount == 1

    def run(self, job_id: str) -> str:
        """Screen the claimed job's submission; returns the job's final state as this worker left it."""
        with self.sessions() as s:
            already = s.get(ReportRow, job_id) is not None
        if already:  # a previous attempt stored the report and died before finishing the job
            return self._finish(job_id)
        stop = threading.Event()
        lost = threading.Event()

        def beat() -> None:
            while not stop.wait(self._svc.job_heartbeat_s):
                if not self.heartbeat(job_id):
                    lost.set()
                    return

        beater = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
        beater.start()
        try:
            report_json = self._screen(job_id)
        except JobFailed as exc:
            return self._fail(job_id, exc.code, exc.message)
        except Exception as exc:  # noqa: BLE001 - a job must end failed with a reason, never vanish
            log.exception("job %s failed", job_id)
            return self._fail(job_id, "internal_error", f"Screening stopped on an unexpected error ({type(exc).__name__}).")
        finally:
            stop.set()
            beater.join()
        if lost.is_set():
            log.warning("job %s: lease lost; leaving it to the worker that took it over", job_id)
        return self._store_and_finish(job_id, report_json)

    def _screen(self, job_id: str) -> str:
        from screening.pipeline import screen

        with self.sessions() as s:
            job = s.get(Job, job_id)
            if job is None:
                raise JobFailed("internal_error", "The job no longer exists.")
            sub = s.get(Submission, job.submission_id)
            files = s.scalars(select(StoredFile).where(StoredFile.submission_id == job.submission_id)
                              .order_by(StoredFile.created_at, StoredFile.id)).all()
        if sub is None or not files:
            raise JobFailed("no_files", "The submission has no files to screen.")
        with self.sessions() as s:
            try:
                rubric = rubric_store.load(s, sub.rubric_id, sub.rubric_version)
            except ScreeningError as exc:
                raise JobFailed("unknown_rubric", exc.message) from None
        if rubric is None:
            raise JobFailed("unknown_rubric", f"The service no longer holds rubric {sub.rubric_id} "
                                              f"{sub.rubric_version or '(any version)'}.")
        with ExitStack() as stack:
            parts: list[SubmissionFile] = []
            for f in files:
                try:
                    path = stack.enter_context(self.storage.local_path(f.storage_key))
                except FileNotFoundError:
                    raise JobFailed("file_missing", f"The stored copy of {f.original_name} is missing.") from None
                parts.append(SubmissionFile(path, f.role, f.original_name))  # type: ignore[arg-type]
            submission = ScreeningSubmission(files=parts, rubric_id=sub.rubric_id)
            try:
                result = screen(submission, rubric, self.settings)
            except ScreeningError as exc:
                raise JobFailed("screening_error", exc.message) from None
        if job.purpose == "screening" and self.settings.duplicates.enabled:
            try:  # advisory extra: never fails the screening
                record = duplicates.record_for(result, self.settings, sub.id, sub.candidate_id, files)
                self._evidence[job_id] = (record, rubric)
            except Exception:  # noqa: BLE001
                log.exception("job %s: indexing for duplicate evidence failed", job_id)
        return result.report.model_dump_json()

    def _store_and_finish(self, job_id: str, report_json: str) -> str:
        evidence = self._evidence.pop(job_id, None)
        matches = None
        if evidence is not None:
            try:
                matches = duplicates.check(self.sessions, evidence[0], self.settings, evidence[1])
            except Exception:  # noqa: BLE001 - advisory extra: the report is stored regardless
                log.exception("job %s: checking for duplicate evidence failed", job_id)
        with self.sessions() as s:
            if s.get(ReportRow, job_id) is None:
                s.add(ReportRow(job_id=job_id, report_json=report_json))
                if evidence is not None and matches is not None:
                    duplicates.store(s, job_id, evidence[0], matches, self.settings)
                try:
                    s.commit()
                except IntegrityError:  # another attempt stored it first: same job, same report
                    s.rollback()
        return self._finish(job_id)

    def _finish(self, job_id: str) -> str:
        with self.sessions() as s:
            changed = s.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(
                state=rules.next_state("running", "finish"), finished_at=utcnow(), lease_expires_at=None)).rowcount
            job = s.get(Job, job_id)
            if changed == 1 and job is not None:
                webhooks.enqueue(s, job, self._svc)  # in the same transaction as the job's completion
            s.commit()
            return s.get(Job, job_id).state  # type: ignore[union-attr]

    def _fail(self, job_id: str, code: str, message: str) -> str:
        with self.sessions() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.state == "running", Job.lease_owner == self.owner)
                      .values(state=rules.next_state("running", "fail"), error_code=code, error_message=message,
                              finished_at=utcnow(), lease_expires_at=None))
            s.commit()
            return s.get(Job, job_id).state  # type: ignore[union-attr]

    def run_once(self) -> str | None:
        """Claim and run one job; its id, or None when nothing was waiting."""
        job_id = self.claim_next()
        if job_id is not None:
            self.run(job_id)
        return job_id

    def waiting_jobs(self) -> list[str]:
        """Jobs some worker should be running now: queued for longer than a lease, or running
        under an expired lease (their worker died). Used to re-send jobs to a broker."""
        now = utcnow()
        stale = rules.lease_until(now, -self._svc.job_lease_s)
        with self.sessions() as s:
            return list(s.scalars(select(Job.id).where(or_(
                and_(Job.state == "queued", Job.created_at <= stale),
                and_(Job.state == "running", Job.lease_expires_at <= now),
            )).order_by(Job.created_at)))

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.run_once() is None:
                    stop.wait(self._svc.job_poll_s)
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable: wait and go on
                log.exception("worker loop error")
                stop.wait(self._svc.job_poll_s)
