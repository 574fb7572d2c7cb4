"""The assessors' queue: submitted, screened submissions with their readiness counts, filtered,
sorted, counted and paged in the database. The API (``GET /api/queue``) and the queue page both
call ``build``.

Everything the queue filters, sorts and counts on is in one narrow table, ``queue_entries``
(service/models.py): one row per submitted submission with a screening report, written in the
same transaction as the report (with the report's counts: ``reports`` columns and
``report_flag_codes``), its ``stage``/``open`` kept in step with the assessment. Each order has an
index led by ``open``, so the first page of the default view reads ``per_page`` index entries
whatever the size of the queue, and released submissions (the bulk of a program's history) cost
nothing. A page is found by keyset: the opaque cursor holds the sort key of the row it starts
after (or before), so the next page is stable when submissions are added meanwhile; ``page`` (an
offset) still works. Totals are SQL aggregates: count by stage on ``queue_entries`` alone, and
the claimable count as "every first-stage entry (no one has claimed it)" corrected by the entries
that have an assessment under way, so it too stays off the released history.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from screening.settings import ServiceSettings

from . import assessment as flow
from .errors import ApiError
from .models import Assessment, Decision, Job, QueueEntry, ReportFlagCode, ReportRow, Submission, User, utcnow
from .readiness import Counts, counts_of  # noqa: F401  (re-exported: the queue's view of a report)

Sort = Literal["waiting", "-waiting", "missing", "flags", "version"]
SORTS: tuple[str, ...] = get_args(Sort)
STAGES = ("first", "second", "reconcile", "released")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
NOT_DONE = ("queued", "running", "failed")  # job states whose report (if any) is not in the queue yet

Q = QueueEntry
# Each order: (column, descending?) from the first key to the last; the submission id makes it total.
ORDERS: dict[str, list[tuple[Any, bool]]] = {
    "waiting": [(Q.submitted_at, False), (Q.submission_id, False)],
    "-waiting": [(Q.submitted_at, True), (Q.submission_id, False)],
    "missing": [(Q.missing, True), (Q.weak, True), (Q.submitted_at, False), (Q.submission_id, False)],
    "flags": [(Q.flag_total, True), (Q.submitted_at, False), (Q.submission_id, False)],
    "version": [(Q.version, True), (Q.submitted_at, False), (Q.submission_id, False)],
}


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
    page: int  # with a cursor: counted from the page the cursor paging started at
    per_page: int
    entries: list[Entry] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# --- cursors ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    """A position in one order: the sort key of a row, and whether the page runs after or before it."""

    sort: str
    key: tuple[Any, ...]
    forward: bool
    page: int


def _encode(c: Cursor) -> str:
    key = [v.isoformat() if isinstance(v, datetime) else v for v in c.key]
    raw = json.dumps({"s": c.sort, "k": key, "d": "n" if c.forward else "p", "n": c.page}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> Cursor:
    """The cursor a token names; ``invalid_request`` when it is not one of ours or belongs to
    another order."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        order = ORDERS[raw["s"]]
        key = list(raw["k"])
        if len(key) != len(order) or raw["d"] not in ("n", "p"):
            raise ValueError
        values: list[Any] = []
        for (col, _), v in zip(order, key):
            if col is Q.submitted_at:
                v = datetime.fromisoformat(v)
                if v.tzinfo is None:
                    raise ValueError
            elif col is Q.submission_id:
                if not isinstance(v, str):
                    raise ValueError
            elif not isinstance(v, int) or isinstance(v, bool):
                raise ValueError
            values.append(v)
        page = int(raw.get("n", 1))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ApiError("invalid_request", "The cursor is not one this queue gave out.") from None
    if raw["s"] != sort:
        raise ApiError("invalid_request", f"The cursor belongs to the order {raw['s']!r}, not {sort!r}.")
    return Cursor(sort, tuple(values), raw["d"] == "n", max(1, page))


def _key_of(sort: str, e: QueueEntry) -> tuple[Any, ...]:
    return tuple(getattr(e, col.key) for col, _ in ORDERS[sort])


def _beyond(sort: str, key: tuple[Any, ...], forward: bool) -> ColumnElement[bool]:
    """Rows strictly after (forward) or before ``key`` in the order: the lexicographic comparison
    spelt out column by column (orders mix directions), with the first column's bound on its own
    too so an index range applies."""
    order = ORDERS[sort]
    ors = []
    for i, (col, desc) in enumerate(order):
        later = (col < key[i]) if desc == forward else (col > key[i])
        ors.append(and_(*[c == key[j] for j, (c, _) in enumerate(order[:i])], later))
    first, desc = order[0]
    bound = (first <= key[0]) if desc == forward else (first >= key[0])
    return and_(bound, or_(*ors))


def _order_by(sort: str, forward: bool = True) -> list[Any]:
    return [col.desc() if desc == forward else col.asc() for col, desc in ORDERS[sort]]


# --- conditions -----------------------------------------------------------------------------------

def _claim_live(now: datetime) -> ColumnElement[bool]:
    return and_(Assessment.claimed_by.is_not(None), Assessment.claim_expires_at.is_not(None),
                Assessment.claim_expires_at > now)


def _claimable(user: User, now: datetime) -> ColumnElement[bool]:
    """``assessment.why_not_claimable(...) is None`` in SQL, over queue_entries LEFT JOIN
    assessments (no assessment row: first stage, unclaimed, unassigned)."""
    marked = exists().where(Decision.submission_id == Q.submission_id, Decision.assessor_id == user.id,
                            Decision.state == "final")
    return and_(
        Q.open == true(),
        Q.stage == "reconcile" if user.role == "admin" else true(),
        or_(Q.stage.not_in(("second", "reconcile")), ~marked),
        or_(Assessment.assigned_to.is_(None), Assessment.assigned_to == user.id),
        or_(~_claim_live(now), Assessment.claimed_by == user.id),
    )


def _conditions(user: User, filters: Filters, now: datetime) -> tuple[list[ColumnElement[bool]], bool]:
    """The filters as conditions on queue_entries (LEFT JOIN assessments when the second value is
    true: only ``mine`` and ``claimable`` need it)."""
    conds: list[ColumnElement[bool]] = [
        Q.job_id.not_in(select(Job.id).where(Job.state.in_(NOT_DONE))),  # its screening has finished
    ]
    if filters.stage == "released":
        conds.append(Q.open == false())
    elif filters.stage:
        conds += [Q.open == true(), Q.stage == filters.stage]
    else:
        conds.append(Q.open == true())
    if filters.rubric_id:
        conds.append(Q.rubric_id == filters.rubric_id)
    if filters.version is not None:
        conds.append(Q.version == filters.version)
    if filters.flag is not None:
        conds.append(Q.job_id.in_(select(ReportFlagCode.job_id).where(ReportFlagCode.code == filters.flag)))
    if filters.mine:
        conds.append(or_(and_(Assessment.claimed_by == user.id, _claim_live(now)), Assessment.assigned_to == user.id))
    if filters.claimable:
        conds.append(_claimable(user, now))
    return conds, filters.mine or filters.claimable


def _from(joined: bool):  # type: ignore[no-untyped-def]
    return Q.__table__.outerjoin(Assessment.__table__, Assessment.submission_id == Q.submission_id) if joined \
        else Q.__table__


# --- the queue ------------------------------------------------------------------------------------

def _totals(session: Session, user: User, svc: ServiceSettings, conds: list[ColumnElement[bool]], joined: bool,
            filters: Filters, now: datetime) -> tuple[int, dict[str, int], int, int]:
    by_stage = {stage: n for stage, n in session.execute(
        select(Q.stage, func.count()).select_from(_from(joined)).where(*conds).group_by(Q.stage))}
    total = sum(by_stage.values())
    # Only entries under way have an assessment row: joining them alone keeps these counts off the
    # released history (the stage condition on assessments lets the database start from its index).
    under_way = and_(Assessment.stage.in_(("first", "second", "reconcile")), Q.open == true())
    with_row = Q.__table__.join(Assessment.__table__, Assessment.submission_id == Q.submission_id)
    reconcile = session.scalar(
        select(func.count()).select_from(with_row)
        .where(*conds, under_way, Q.stage == "reconcile", Assessment.agreement < svc.agreement_bar)) or 0
    if filters.claimable:
        claimable = total
    else:
        # Entries with no assessment row are first stage, unclaimed and unassigned: claimable by
        # any assessor (never by an admin). Count every first-stage entry that way, then correct
        # by what the entries with a row really are.
        plain = 0 if user.role == "admin" else by_stage.get("first", 0)
        first_plain = false() if user.role == "admin" else Q.stage == "first"
        correction = session.scalar(
            select(func.coalesce(func.sum(case((_claimable(user, now), 1), else_=0))
                                 - func.sum(case((first_plain, 1), else_=0)), 0))
            .select_from(with_row).where(*conds, under_way)) or 0
        claimable = plain + int(correction)
    return total, dict(sorted(by_stage.items())), claimable, reconcile


def build(session: Session, user: User, svc: ServiceSettings, filters: Filters, page: int = 1,
          per_page: int = DEFAULT_PER_PAGE, cursor: str | None = None) -> QueuePage:
    """The queue as ``user`` (an assessor or admin) sees it: matches of ``filters``, sorted, one
    page: the one after (or before) ``cursor`` when given, else page number ``page``."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    sort = filters.sort if filters.sort in ORDERS else "waiting"
    at = decode_cursor(cursor, sort) if cursor else None
    now = utcnow()
    conds, joined = _conditions(user, filters, now)
    total, by_stage, claimable, reconcile = _totals(session, user, svc, conds, joined, filters, now)

    query = select(Q).select_from(_from(joined)).where(*conds)
    if at is not None:
        page = at.page
        rows = list(session.scalars(query.where(_beyond(sort, at.key, at.forward))
                                    .order_by(*_order_by(sort, at.forward)).limit(per_page + 1)))
        more = len(rows) > per_page
        rows = rows[:per_page]
        if not at.forward:
            rows.reverse()
        # Is there anything on the other side? (Usually: the rows the cursor came from.)
        other = bool(rows) and session.scalar(
            select(literal(1)).select_from(_from(joined))
            .where(*conds, _beyond(sort, _key_of(sort, rows[0 if at.forward else -1]), not at.forward)).limit(1))
        has_next, has_prev = (more, bool(other)) if at.forward else (bool(other), more)
    else:
        page = max(1, page)
        rows = list(session.scalars(query.order_by(*_order_by(sort)).offset((page - 1) * per_page)
                                    .limit(per_page + 1)))
        has_next, has_prev = len(rows) > per_page, page > 1 and bool(rows)
        rows = rows[:per_page]
    entries = _entries(session, user, svc, rows, now)
    return QueuePage(
        total=total, by_stage=by_stage, claimable=claimable, needs_reconciliation=reconcile, page=page,
        per_page=per_page, entries=entries,
        next_cursor=_encode(Cursor(sort, _key_of(sort, rows[-1]), True, page + 1)) if has_next and rows else None,
        prev_cursor=_encode(Cursor(sort, _key_of(sort, rows[0]), False, max(1, page - 1)))
        if has_prev and rows else None,
    )


def _entries(session: Session, user: User, svc: ServiceSettings, rows: list[QueueEntry], now: datetime
             ) -> list[Entry]:
    """The page's rows in full: submission, assessment, counts (a few primary-key reads)."""
    if not rows:
        return []
    sub_ids = [r.submission_id for r in rows]
    job_ids = [r.job_id for r in rows]
    subs = {s.id: s for s in session.scalars(select(Submission).where(Submission.id.in_(sub_ids)))}
    assessments = {a.submission_id: a for a in session.scalars(
        select(Assessment).where(Assessment.submission_id.in_(sub_ids)))}
    counts_cols = {r.job_id: r for r in session.execute(
        select(ReportRow.job_id, ReportRow.met, ReportRow.weak, ReportRow.missing, ReportRow.flags_error,
               ReportRow.flags_warning, ReportRow.flags_info).where(ReportRow.job_id.in_(job_ids)))}
    codes: dict[str, dict[str, int]] = {j: {} for j in job_ids}
    for job_id, code, n in session.execute(select(ReportFlagCode.job_id, ReportFlagCode.code, ReportFlagCode.count)
                                           .where(ReportFlagCode.job_id.in_(job_ids))
                                           .order_by(ReportFlagCode.job_id, ReportFlagCode.code)):
        codes[job_id][code] = n
    out: list[Entry] = []
    for r in rows:
        sub = subs[r.submission_id]
        a: Assessment | NotStarted | None = assessments.get(r.submission_id)
        if a is None:
            a = NotStarted(sub.id, flow.double_marking(svc, sub.rubric_id))
        c = counts_cols[r.job_id]
        counts = Counts(details={"met": c.met, "weak": c.weak, "missing": c.missing},
                        flags={"error": c.flags_error, "warning": c.flags_warning, "info": c.flags_info},
                        flag_codes=codes[r.job_id])
        out.append(Entry(
            submission=sub, assessment=a, job_id=r.job_id, counts=counts,
            waiting_s=int((now - sub.submitted_at).total_seconds()) if sub.submitted_at else 0,
            why_not_claimable=flow.why_not_claimable(session, user, a),  # type: ignore[arg-type]
            needs_reconciliation=a.stage == "reconcile" and a.agreement is not None and a.agreement < svc.agreement_bar,
        ))
    return out
