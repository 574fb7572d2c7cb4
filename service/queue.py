"""The assessors' queue: submitted, screened submissions with their readiness counts, filtered,
sorted and paged. The API (``GET /api/queue``) and the queue page both call ``build``.

Filters on what the tables hold (MC, version, stage) run in the database. Readiness counts come
from each submission's newest finished screening report; a report never changes once stored (one
per job), so its counts are read once per process and kept by job id, and a queue request loads
report text only for jobs it has not seen. Sorting by counts and paging then run on those small
records; the full rows (claims, claimability) are worked out for every match, since the totals
the queue shows (claimable, needing reconciliation) cover every page.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from screening.settings import ServiceSettings

from . import assessment as flow
from .models import Assessment, Job, ReportRow, Submission, User, utcnow

Sort = Literal["waiting", "-waiting", "missing", "flags", "version"]
SORTS: tuple[str, ...] = get_args(Sort)
STAGES = ("first", "second", "reconcile", "released")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Counts:
    """What the queue needs from one report: detail statuses and flags (by severity, by code)."""

    details: dict[str, int]
    flags: dict[str, int]
    flag_codes: dict[str, int]

    @property
    def flag_total(self) -> int:
        return sum(self.flags.values())


def counts_of(report: dict) -> Counts:  # type: ignore[type-arg]
    summary = report.get("summary", {})
    codes = Counter(f.get("code", "") for f in report.get("flags", []))
    return Counts(details={k: int(summary.get(k, 0)) for k in ("met", "weak", "missing")},
                  flags={k: int(summary.get("flags", {}).get(k, 0)) for k in ("error", "warning", "info")},
                  flag_codes=dict(sorted(codes.items())))


class _CountsCache:
    """Counts per screening job id (reports are immutable), bounded, shared by threads."""

    def __init__(self, size: int = 200_000) -> None:
        self._data: OrderedDict[str, Counts] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_many(self, session: Session, job_ids: list[str]) -> dict[str, Counts]:
        with self._lock:
            found = {j: self._data[j] for j in job_ids if j in self._data}
        missing = [j for j in job_ids if j not in found]
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            for job_id, text in session.execute(select(ReportRow.job_id, ReportRow.report_json)
                                                .where(ReportRow.job_id.in_(chunk))):
                found[job_id] = counts_of(json.loads(text))
        with self._lock:
            for j in missing:
                if j in found:
                    self._data[j] = found[j]
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return found


_COUNTS = _CountsCache()


@dataclass
class Filters:
    rubric_id: str | None = None
    stage: str | None = None  # None: every stage but released
    flag: str | None = None
    version: int | None = None
    mine: bool = False
    claimable: bool = False
    sort: str = "waiting"


@dataclass(frozen=True)
class NotStarted:
    """The assessment of a submission no one has claimed yet (no row in the table): read like an
    ``Assessment``, but a plain record, cheap to make for every waiting submission."""

    submission_id: str
    double_marking: bool
    stage: str = "first"
    assigned_to: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    agreement: float | None = None
    released_at: datetime | None = None
    released_decision_id: str | None = None


@dataclass
class Entry:
    """One submission in the queue, as the caller may see it (no candidate, no file names)."""

    submission: Submission
    assessment: Assessment | NotStarted
    job_id: str
    counts: Counts
    waiting_s: int
    why_not_claimable: str | None  # the error code a claim would get now, None when it may
    needs_reconciliation: bool

    @property
    def claimable(self) -> bool:
        return self.why_not_claimable is None

    @property
    def claim_live(self) -> bool:
        return flow.claim_is_live(self.assessment)  # type: ignore[arg-type]


@dataclass
class QueuePage:
    total: int
    by_stage: dict[str, int]
    claimable: int
    needs_reconciliation: int
    page: int
    per_page: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _newest_screenings(session: Session, sub_ids: list[str]) -> dict[str, str]:
    """Submission id → id of its newest finished screening that has a report."""
    newest: dict[str, str] = {}
    for start in range(0, len(sub_ids), 500):
        chunk = sub_ids[start:start + 500]
        for sub_id, job_id in session.execute(
            select(Job.submission_id, Job.id).join(ReportRow, ReportRow.job_id == Job.id)
            .where(Job.submission_id.in_(chunk), Job.purpose == "screening", Job.state == "done")
            .order_by(Job.finished_at, Job.id)
        ):
            newest[sub_id] = job_id  # the newest finished screening wins
    return newest


def build(session: Session, user: User, svc: ServiceSettings, filters: Filters, page: int = 1,
          per_page: int = DEFAULT_PER_PAGE) -> QueuePage:
    """The queue as ``user`` (an assessor or admin) sees it: matches of ``filters``, sorted, one page."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    query = (select(Submission, Assessment).outerjoin(Assessment, Assessment.submission_id == Submission.id)
             .where(Submission.status == "submitted"))
    if filters.rubric_id:
        query = query.where(Submission.rubric_id == filters.rubric_id)
    if filters.version is not None:
        query = query.where(Submission.version == filters.version)
    if filters.stage == "first":  # not claimed yet: no row
        query = query.where(or_(Assessment.stage.is_(None), Assessment.stage == "first"))
    elif filters.stage:
        query = query.where(Assessment.stage == filters.stage)
    else:
        query = query.where(or_(Assessment.stage.is_(None), Assessment.stage != "released"))
    if filters.mine:
        query = query.where(and_(Assessment.submission_id.is_not(None),
                                 or_(Assessment.claimed_by == user.id, Assessment.assigned_to == user.id)))
    rows = session.execute(query).all()
    jobs = _newest_screenings(session, [sub.id for sub, _ in rows])
    counts = _COUNTS.get_many(session, sorted(set(jobs.values())))
    now = utcnow()
    entries: list[Entry] = []
    for sub, a in rows:
        job_id = jobs.get(sub.id)
        if job_id is None or job_id not in counts:
            continue  # its screening has not finished: not in the queue yet
        c = counts[job_id]
        if filters.flag is not None and filters.flag not in c.flag_codes:
            continue
        if a is None:
            a = NotStarted(sub.id, flow.double_marking(svc, sub.rubric_id))
        if filters.mine and not ((a.claimed_by == user.id and flow.claim_is_live(a))  # type: ignore[arg-type]
                                 or a.assigned_to == user.id):
            continue
        why = flow.why_not_claimable(session, user, a)  # type: ignore[arg-type]
        if filters.claimable and why is not None:
            continue
        entries.append(Entry(
            submission=sub, assessment=a, job_id=job_id, counts=c,
            waiting_s=int((now - sub.submitted_at).total_seconds()) if sub.submitted_at else 0,
            why_not_claimable=why,
            needs_reconciliation=a.stage == "reconcile" and a.agreement is not None and a.agreement < svc.agreement_bar,
        ))

    def since(e: Entry) -> float:  # submit time: earlier = waiting longer
        return e.submission.submitted_at.timestamp() if e.submission.submitted_at else 0.0

    keys = {"waiting": lambda e: (since(e), e.submission.id),
            "-waiting": lambda e: (-since(e), e.submission.id),
            "missing": lambda e: (-e.counts.details["missing"], -e.counts.details["weak"], since(e), e.submission.id),
            "flags": lambda e: (-e.counts.flag_total, since(e), e.submission.id),
            "version": lambda e: (-e.submission.version, since(e), e.submission.id)}
    entries.sort(key=keys.get(filters.sort, keys["waiting"]))  # type: ignore[arg-type]
    start = (page - 1) * per_page
    return QueuePage(total=len(entries), by_stage=dict(sorted(Counter(e.assessment.stage for e in entries).items())),
                     claimable=sum(e.claimable for e in entries),
                     needs_reconciliation=sum(e.needs_reconciliation for e in entries),
                     page=page, per_page=per_page, entries=entries[start:start + per_page])
