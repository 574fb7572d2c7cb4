"""The assessors' queue: submitted, screened submissions with their readiness counts, filtered,
sorted, counted and paged in the database. The API (``GET /api/queue``) and the queue page both
call ``build``.

Everything the queue filters, sorts and counts on is in one narrow table, ``queue_entries``
(service/models.py): one row per submitted submission with a screening report, written in the
same transaction as the report (with the report's counts: ``reports`` columns and
``report_flag_codes``), and a copy of its assessment (stage, claim, assignment, agreement, who
released the first and second markings) kept in step by ``models.sync_queue_claims`` in the
transaction that changes them. Each order has an index led by ``open``, so the first page of the
default view reads ``per_page`` index entries whatever the size of the queue, and released
submissions (the bulk of a program's history) cost nothing. A page is found by keyset: the opaque
cursor holds the sort key of the row it starts after (or before), so the next page is stable when
submissions are added meanwhile; ``page`` (an offset) still works. Totals are exact SQL counts
in one statement that does not step through the backlog (``_fast_totals_statement``): per
(MC, version, stage) counts kept by triggers (``queue_counts``, migration 0011) plus ranges of
covering indexes over the entries that involve the caller, claims that ran out and
reconciliations below the bar. The flag and ``mine`` filters read along ``queue_tags``
(migration 0012): each entry under each flag code of its report (``f:code``) and under the
people on it (``u:id``, who holds its claim or to whom it is assigned), with a copy of its sort
keys and one index per order, kept by triggers; a flag's totals come from ``queue_tag_counts``
(the same counts per flag) plus the caller's ranges, each entry in them probed for the flag;
``mine``'s are the ranges of the caller's own entries (``_totals_statement``). A request runs
two statements (totals; the page's rows with their submissions, counts and flag codes) plus the
attempts' (no query per row), as Core statements built once per shape, with constants (and the
page size) written into their text; on PostgreSQL they are prepared by psycopg and kept across
requests (``db.end_read``).
"""

from __future__ import annotations

import base64
import json
import math
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (Float, Integer, String, and_, bindparam, cast, exists, false, func, literal, literal_column,
                        or_, select, true, union_all)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.util import ClauseAdapter

from screening.settings import ServiceSettings

from . import assessment as flow
from . import programs
from .errors import ApiError
from .models import (Job, QueueAgreementCount, QueueCount, QueueEntry, QueueTag, QueueTagCount, ReportFlagCode,
                     ReportRow, Submission, User, UTCDateTime, utcnow)
from .programs import Attempt
from .readiness import Counts, counts_of  # noqa: F401  (re-exported: the queue's view of a report)

Sort = Literal["waiting", "-waiting", "missing", "flags", "version"]
SORTS: tuple[str, ...] = get_args(Sort)
STAGES = ("first", "second", "reconcile", "released")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
NOT_DONE = ("queued", "running", "failed")  # job states whose report (if any) is not in the queue yet

Q = QueueEntry
T = QueueTag  # the entries under a flag code or a person: what the flag and mine filters page along
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
class QueuedAssessment:
    """A submission's assessment as its queue entry holds it (the claim fields are copied onto
    ``queue_entries``): read like an ``Assessment``, but a plain record built from the entry's
    row, so the page's items need no query per row. ``double_marking`` is decided by the setting
    while no one has started the assessment."""

    submission_id: str
    double_marking: bool
    stage: str = "first"
    assigned_to: str | None = None
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    agreement: float | None = None
    released_at: datetime | None = None
    released_decision_id: str | None = None


NotStarted = QueuedAssessment  # the name it had when it stood only for unclaimed submissions


@dataclass
class Entry:
    """One submission in the queue, as the caller may see it (no candidate, no file names)."""

    submission: QueuedSubmission
    assessment: QueuedAssessment
    job_id: str
    counts: Counts
    waiting_s: int
    why_not_claimable: str | None  # the error code a claim would get now, None when it may
    needs_reconciliation: bool
    attempt: Attempt | None = None  # which attempt at the MC, against a followed program's limit

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


def _key_of(sort: str, e: Any) -> tuple[Any, ...]:
    return tuple(getattr(e, col.key) for col, _ in ORDERS[sort])


# --- statements -----------------------------------------------------------------------------------
# Every statement is built once per shape (the caller's kind, which filters are given, the order,
# the paging) with bind parameters for the values, and kept: a request only binds its values, so
# the queue's own Python cost stays small beside the database's.

ME = bindparam("me", type_=String())
NOW = bindparam("now", type_=UTCDateTime())
BAR = bindparam("bar", type_=Float())
TAG = bindparam("tag", type_=String())  # "f:" and the flag code, or "u:" and the caller's id (mine)
LIMIT = bindparam("limit", type_=Integer())
OFFSET = bindparam("offset", type_=Integer())


def _key_params(sort: str) -> list[Any]:
    return [bindparam(f"k{i}", type_=col.type) for i, (col, _) in enumerate(ORDERS[sort])]


def _columns(sort: str, table: Any = Q) -> list[tuple[Any, bool]]:
    """The order's columns on ``table`` (queue_entries, or queue_tags: the same names and values)."""
    return ORDERS[sort] if table is Q else [(table.__table__.c[col.key], desc) for col, desc in ORDERS[sort]]


def _beyond(sort: str, forward: bool, table: Any = Q) -> ColumnElement[bool]:
    """Rows strictly after (forward) or before the key ``k0``, ``k1``, … in the order: the
    lexicographic comparison spelt out column by column (orders mix directions), with the first
    column's bound on its own too so an index range applies."""
    order, key = _columns(sort, table), _key_params(sort)
    ors = []
    for i, (col, desc) in enumerate(order):
        later = (col < key[i]) if desc == forward else (col > key[i])
        ors.append(and_(*[c == key[j] for j, (c, _) in enumerate(order[:i])], later))
    first, desc = order[0]
    bound = (first <= key[0]) if desc == forward else (first >= key[0])
    return and_(bound, or_(*ors))


def _order_by(sort: str, forward: bool = True, table: Any = Q) -> list[Any]:
    return [col.desc() if desc == forward else col.asc() for col, desc in _columns(sort, table)]


@dataclass(frozen=True)
class Shape:
    """What a statement's text depends on (the values go in as parameters)."""

    admin: bool
    stage: str | None
    rubric: bool
    version: bool
    flag: bool
    mine: bool
    claimable: bool


_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _statement(key: tuple[Any, ...], make: Any) -> Any:
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = _short(make())
    return found


def _short(statement: Any) -> Any:
    """The statement with its tables under one-letter names (``queue_entries AS e``): the text
    of the totals stays under the 4,096 characters psycopg caches and prepares."""
    for table, name in ((QueueEntry.__table__, "e"), (QueueCount.__table__, "c"), (Submission.__table__, "s"),
                        (ReportRow.__table__, "r"), (ReportFlagCode.__table__, "f"), (Job.__table__, "j"),
                        (QueueTag.__table__, "t"), (QueueTagCount.__table__, "g"),
                        (QueueAgreementCount.__table__, "a")):
        statement = ClauseAdapter(table.alias(name)).traverse(statement)
    return statement


# --- conditions -----------------------------------------------------------------------------------

_CONSTANTS = frozenset({*STAGES, *NOT_DONE, "n", "f", "x", "p", "m", "r", "u", "un", "uc", "ur", ":", ",", ""})


def _sql(value: str | int) -> Any:
    """One of our own constants (a stage, a job state, a kind of count, a number) written into the
    statement's text rather than bound: the text stays short (psycopg caches and prepares only
    statements under 4,096 characters) and needs no parameter. Anything else is bound."""
    if isinstance(value, int) and not isinstance(value, bool):
        return literal_column(str(value))
    if value in _CONSTANTS:
        return literal_column(f"'{value}'")
    return literal(value)


def _one_of(col: Any, values: Any) -> ColumnElement[bool]:
    """``col IN (…)`` of fixed values, written out (``in_`` of a Python list makes an expanding
    parameter, whose SQL is rewritten at every execution)."""
    return col.in_([_sql(v) for v in values])


def _not_one_of(col: Any, values: Any) -> ColumnElement[bool]:
    return col.not_in([_sql(v) for v in values])


def _claim_live() -> ColumnElement[bool]:
    return and_(Q.claimed_by.is_not(None), Q.claim_expires_at.is_not(None), Q.claim_expires_at > NOW)


def _not_marked() -> ColumnElement[bool]:
    """The caller released neither marking of the entry (a second or third marking must be someone else's)."""
    return and_(or_(Q.first_marker.is_(None), Q.first_marker != ME), or_(Q.second_marker.is_(None), Q.second_marker != ME))


def _may_claim() -> ColumnElement[bool]:
    """Neither assigned to someone else nor held by someone else now."""
    return and_(or_(Q.assigned_to.is_(None), Q.assigned_to == ME), or_(~_claim_live(), Q.claimed_by == ME))


def _claimable(admin: bool, check_open: bool = True) -> ColumnElement[bool]:
    """``assessment.why_not_claimable(...) is None`` in SQL, on queue_entries alone (its copy of
    the claim fields; null ones: first stage, unclaimed, unassigned). ``check_open=False`` where
    the conditions already keep open entries only."""
    return and_(
        Q.open == true() if check_open else true(),
        Q.stage == _sql("reconcile") if admin else true(),
        or_(_not_one_of(Q.stage, ("second", "reconcile")), _not_marked()),
        _may_claim(),
    )


# Jobs whose report may be stored but whose screening is not marked done yet (rare and brief): their
# entries are left out. A short list read from the jobs' state index, once per statement.
UNFINISHED = select(Job.id).where(_one_of(Job.state, NOT_DONE)).scalar_subquery()


def _tagged(shape: Shape) -> bool:
    """Whether the page is read along queue_tags (a flag or mine: the entries under one tag)."""
    return shape.flag or shape.mine


def _conditions(shape: Shape, tagged: bool = False) -> list[ColumnElement[bool]]:
    """The filters as conditions on queue_entries alone or, ``tagged``, on queue_tags joined to
    queue_entries (the tag's copies for what its indexes hold, the entry for the rest)."""
    X: Any = T if tagged else Q
    conds: list[ColumnElement[bool]] = []
    conds.append(Q.job_id.not_in(UNFINISHED))  # its screening has finished
    if tagged:
        conds.append(T.tag == TAG)
    if shape.stage == "released":
        conds.append(X.open == false())
    elif shape.stage:
        conds += [X.open == true(), X.stage == shape.stage]
    else:
        conds.append(X.open == true())
    if shape.rubric:
        conds.append(X.rubric_id == bindparam("rubric_id", type_=String()))
    if shape.version:
        conds.append(X.version == bindparam("version", type_=Integer()))
    if shape.flag and not (tagged and not shape.mine):  # (read along the flag's tag: it has the flag)
        # A primary-key probe per entry considered (a list of every report with the code would be
        # built whole first, each time).
        conds.append(exists().where(ReportFlagCode.job_id == Q.job_id,
                                    ReportFlagCode.code == bindparam("flag", type_=String())))
    if shape.mine and tagged:
        # Under the caller's tag, the entry is assigned to them or claimed by them: theirs if the
        # former, or the claim is still live (a condition no index would rather be read for).
        conds.append(or_(Q.assigned_to == ME, Q.claim_expires_at > NOW))
    elif shape.mine:
        conds.append(or_(and_(Q.claimed_by == ME, _claim_live()), Q.assigned_to == ME))
    if shape.claimable:
        conds.append(_claimable(shape.admin, check_open=shape.stage == "released"))  # else open is above
    return conds


# --- the queue ------------------------------------------------------------------------------------

def _totals_statement(shape: Shape) -> Any:
    """``total``, ``by_stage``, ``claimable`` and ``needs_reconciliation``: exact counts over
    queue_entries alone, in one statement, each matching entry visited once.

    The entries are counted stage by stage in disjoint ranges of ix_queue_entries_claims (open,
    stage, claimed_by, assigned_to, …, rubric_id, version), which holds every column the
    conditions use but a flag's (no table row is read without one). The first stage's
    unclaimed, unassigned entries (the bulk of a backlog) are only counted, since any assessor
    (and no admin) may claim them; the test of who may claim runs only on the rest (claimed or
    assigned, second marking, reconciliation), as a filtered count (no grouping, which costs
    more per entry than the count itself).

    With ``mine`` (the totals ``build`` reads here now; any other shape has ``_fast_totals``) only
    the caller's own entries are visited: per stage, the range of those assigned to them
    (ix_queue_entries_assigned) and the range of those they hold and are not assigned to them
    (ix_queue_entries_claims), each tested as above."""
    conds = _conditions(shape)
    stages = ["released"] if shape.stage == "released" else [shape.stage] if shape.stage \
        else ["first", "second", "reconcile"]

    def part(stage: str, *where: ColumnElement[bool], claimable: str = "test") -> Any:
        """One range: its stage, matches, claimable (every one, none, or tested one by one) and
        needing reconciliation."""
        if shape.claimable:
            claimable = "all"  # the conditions kept only those
        elif stage == "released" or (shape.admin and stage != "reconcile"):
            claimable = "none"
        test = _may_claim() if stage == "first" else and_(_not_marked(), _may_claim())
        may_n = func.count() if claimable == "all" else literal(0) if claimable == "none" \
            else func.count().filter(test)
        recon_n = func.count().filter(Q.agreement < BAR) if stage == "reconcile" else literal(0)
        return select(literal(stage), func.count(), may_n, recon_n).where(*conds, Q.stage == stage, *where)

    parts = []
    for stage in stages:
        if shape.mine:
            parts += [part(stage, Q.assigned_to == ME),
                      part(stage, Q.claimed_by == ME, or_(Q.assigned_to.is_(None), Q.assigned_to != ME))]
        elif stage == "first":
            parts += [part("first", Q.claimed_by.is_(None), Q.assigned_to.is_(None), claimable="all"),
                      part("first", Q.claimed_by.is_not(None)),
                      part("first", Q.claimed_by.is_(None), Q.assigned_to.is_not(None))]
        else:
            parts.append(part(stage))
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _fast_totals_statement(shape: Shape) -> Any:
    """The same totals as ``_totals_statement`` without stepping through the backlog (any shape
    without a flag or ``mine``). One row per kind, with a count for each stage (first, second,
    reconcile, released), every count a filter of one range (no grouping, no sort):

    * ``n``, ``f``: from queue_counts (kept by triggers, migration 0011): entries, and free ones
      (unassigned, and unclaimed or with no expiry);
    * ``x``: unassigned entries whose claim has run out (a range of ix_queue_entries_assigned
      on claim_expires_at up to now): free too, though the row still names the holder;
    * ``m``: free entries in second marking or reconciliation that the caller marked (ranges of
      the marker indexes): free, but not for the caller;
    * ``p``: entries that are not free but the caller may claim: assigned to them, or held by
      them (ranges on assigned_to and claimed_by);
    * ``r``: reconciliations below the agreement bar (from queue_agreement_counts, migration 0012;
      with ``claimable``, a range of ix_queue_entries_agreement, each tested);
    * ``u``: how many entries belong to screenings not yet marked done (rarely any; if some,
      ``_unfinished_statement`` counts them to be taken off).

    What the caller may claim in a stage is then ``f + x - m + p``: free entries are claimable
    by everyone but those who marked them; the rest only by whom they are assigned to or held by.

    With a flag, ``n`` and ``f`` come from queue_tag_counts (the same counts per flag tag, kept
    by triggers, migration 0012) and the ranges keep the entries with the flag (a primary-key
    probe each: they are the caller's entries, claims that ran out and reconciliations)."""
    where: list[ColumnElement[bool]] = []
    C: Any = QueueTagCount if shape.flag else QueueCount
    counts_where: list[ColumnElement[bool]] = [QueueTagCount.tag == TAG] if shape.flag else []
    if shape.rubric:
        where.append(Q.rubric_id == bindparam("rubric_id", type_=String()))
        counts_where.append(C.rubric_id == bindparam("rubric_id", type_=String()))
    if shape.version:
        where.append(Q.version == bindparam("version", type_=Integer()))
        counts_where.append(C.version == bindparam("version", type_=Integer()))
    if shape.flag:
        where.append(exists().where(ReportFlagCode.job_id == Q.job_id,
                                    ReportFlagCode.code == bindparam("flag", type_=String())))
    stages = ["released"] if shape.stage == "released" else [shape.stage] if shape.stage \
        else ["first", "second", "reconcile"]
    claiming = [s for s in stages if s != "released" and (not shape.admin or s == "reconcile")]
    marked = [s for s in claiming if s in ("second", "reconcile")]
    opened = Q.open == true()
    free = and_(Q.assigned_to.is_(None), ~_claim_live())
    may_if_marked = or_(_not_one_of(Q.stage, ("second", "reconcile")), _not_marked())

    def by_stage(column: Any, total: Any, within: list[str], *test: ColumnElement[bool]) -> list[Any]:
        return [(total.filter(and_(column == _sql(s), *test)) if s in within else _sql(0)) for s in STAGES]

    def part(kind: str, within: list[str], *conds: ColumnElement[bool]) -> Any:
        return select(_sql(kind), *by_stage(Q.stage, func.count(), within)).where(
            _one_of(Q.stage, within), *conds, *where)

    counted = _one_of(C.stage, stages), *counts_where
    parts = [select(_sql("n"), *by_stage(C.stage, func.sum(C.n), stages)).where(*counted),
             select(_sql("f"), *by_stage(C.stage, func.sum(C.n_free), stages)).where(*counted)]
    if claiming:
        parts += [
            # (Holder named, written so no plan reads ix_queue_entries_claims from "has a holder" on:
            # that range is every claim; ix_queue_entries_assigned's ends at now.)
            part("x", claiming, opened, Q.assigned_to.is_(None), Q.claim_expires_at <= NOW,
                 func.coalesce(Q.claimed_by, _sql("")) != _sql("")),
            part("p", claiming, opened, Q.assigned_to == ME, or_(~_claim_live(), Q.claimed_by == ME), may_if_marked),
            part("p", claiming, opened, Q.claimed_by == ME, Q.assigned_to.is_(None), _claim_live(), may_if_marked),
        ]
    if marked:
        parts += [part("m", marked, opened, Q.first_marker == ME, free),
                  part("m", marked, opened, Q.second_marker == ME, free,
                       or_(Q.first_marker.is_(None), Q.first_marker != ME))]
    if "reconcile" in stages and shape.flag and not shape.claimable:
        # The flag's reconciliations below the bar: a range of ix_queue_tags_agreement.
        parts.append(select(_sql("r"), _sql(0), _sql(0), func.count(), _sql(0)).where(
            T.tag == TAG, T.stage == _sql("reconcile"), T.agreement < BAR,
            *([T.rubric_id == bindparam("rubric_id", type_=String())] if shape.rubric else []),
            *([T.version == bindparam("version", type_=Integer())] if shape.version else [])))
    elif "reconcile" in stages and not shape.claimable:
        # Open reconciliations below the bar: the rows of queue_agreement_counts below it.
        A = QueueAgreementCount
        parts.append(select(_sql("r"), _sql(0), _sql(0), func.sum(A.n), _sql(0)).where(
            A.agreement < BAR, *([A.rubric_id == bindparam("rubric_id", type_=String())] if shape.rubric else []),
            *([A.version == bindparam("version", type_=Integer())] if shape.version else [])))
    elif "reconcile" in stages:
        parts.append(part("r", ["reconcile"], opened, Q.agreement < BAR, _claimable(shape.admin)))
    # Are there entries of screenings not yet marked done? (Seldom: then _unfinished_statement.)
    parts.append(select(_sql("u"), func.count(), _sql(0), _sql(0), _sql(0))
                 .where(Q.job_id.in_(UNFINISHED)))
    return union_all(*parts)


def _unfinished_statement(shape: Shape) -> Any:
    """``_fast_totals_statement``'s counts (``un``: entries, ``uc``: claimable, ``ur``: below the
    bar) over the entries of unfinished screenings, to be taken off: found by job, each tested in
    the counts' filters (which leaves the planner only the job index to use)."""
    stages = ["released"] if shape.stage == "released" else [shape.stage] if shape.stage \
        else ["first", "second", "reconcile"]
    claiming = [s for s in stages if s != "released" and (not shape.admin or s == "reconcile")]
    test = [*_conditions(shape)[1:], *([_claimable(shape.admin)] if shape.claimable else [])]

    def by_stage(within: list[str], *more: ColumnElement[bool]) -> list[Any]:
        return [(func.count().filter(and_(Q.stage == _sql(s), *test, *more)) if s in within else _sql(0))
                for s in STAGES]

    parts = [select(_sql("un"), *by_stage(stages)),
             select(_sql("uc"), *by_stage(claiming, _claimable(shape.admin))),
             select(_sql("ur"), *by_stage([s for s in stages if s == "reconcile"], Q.agreement < BAR))]
    return union_all(*[s.where(Q.job_id.in_(UNFINISHED)) for s in parts])


def _fast_totals(conn: Any, shape: Shape, params: dict[str, Any]) -> tuple[dict[str, int], int, int]:
    """``by_stage`` (zeros kept), ``claimable`` and ``needs_reconciliation`` from
    ``_fast_totals_statement``."""
    rows: dict[str, list[int]] = {}
    for kind, *counts in conn.execute(_statement(("fast", shape), lambda: _fast_totals_statement(shape)), params):
        mine = rows.setdefault(kind, [0] * len(STAGES))
        for i, c in enumerate(counts):
            mine[i] += int(c or 0)
    if rows.get("u", [0])[0]:
        for kind, *counts in conn.execute(_statement(("unfinished", shape), lambda: _unfinished_statement(shape)),
                                          params):
            rows[kind] = [int(c or 0) for c in counts]
    none = [0] * len(STAGES)
    n, f, x, m, p, r, un, uc, ur = (rows.get(k, none) for k in ("n", "f", "x", "m", "p", "r", "un", "uc", "ur"))
    admin_or_released = {"released"} | ({"first", "second"} if shape.admin else set())
    may = {s: 0 if s in admin_or_released else f[i] + x[i] - m[i] + p[i] - uc[i] for i, s in enumerate(STAGES)}
    if shape.claimable:
        by_stage = {s: may[s] for s in STAGES}
    else:
        by_stage = {s: n[i] - un[i] for i, s in enumerate(STAGES)}
    return by_stage, sum(may.values()), sum(r) - sum(ur)


# The page's rows with what their items show: the entry, its submission and its report's counts
# (one row each: joined on primary keys, in the order's index order).
S, R = Submission.__table__.c, ReportRow.__table__.c
PAGE_COLUMNS = [*Q.__table__.c, S.candidate_id.label("s_candidate_id"), S.previous_id.label("s_previous_id"),
                S.status.label("s_status"), S.submitted_at.label("s_submitted_at"), S.created_at.label("s_created_at"),
                R.met.label("r_met"), R.weak.label("r_weak"), R.missing.label("r_missing"),
                R.flags_error.label("r_error"), R.flags_warning.label("r_warning"), R.flags_info.label("r_info"),
                # The report's flag codes as "code:count,…" (a primary-key range per row; no second query).
                select(func.aggregate_strings(ReportFlagCode.code + _sql(":") + cast(ReportFlagCode.count, String()),
                                              _sql(","))).where(ReportFlagCode.job_id == Q.job_id).scalar_subquery()
                .label("r_codes")]


def _entries_from(shape: Shape) -> Any:
    """Where a page's rows are read from: queue_entries, or (a flag or mine) the entries under
    the tag, in the order of one of queue_tags' indexes, each joined to its entry."""
    if _tagged(shape):
        return T.__table__.join(Q.__table__, Q.submission_id == T.submission_id)
    return Q.__table__


def _page_statement(shape: Shape, sort: str, mode: str, limit: int) -> Any:
    """The page's rows: the first ``limit`` (``mode`` "first"), by offset ("offset"), or after /
    before the key ("after", "before"). ``limit`` is written into the text (a statement per page
    size): with it bound, PostgreSQL plans every execution anew, as a generic plan for an unknown
    limit would read far more rows."""
    tagged = _tagged(shape)
    on = T if tagged else Q
    query = (select(*PAGE_COLUMNS).select_from(_entries_from(shape).join(Submission.__table__, S.id == Q.submission_id)
                                               .join(ReportRow.__table__, R.job_id == Q.job_id))
             .where(*_conditions(shape, tagged)))
    if mode in ("first", "offset"):
        query = query.order_by(*_order_by(sort, True, on)).limit(_sql(limit))
        return query if mode == "first" else query.offset(OFFSET)
    forward = mode == "after"
    return query.where(_beyond(sort, forward, on)).order_by(*_order_by(sort, forward, on)).limit(_sql(limit))


def _other_side_statement(shape: Shape, sort: str, forward: bool) -> Any:
    tagged = _tagged(shape)
    return (select(literal(1)).select_from(_entries_from(shape))
            .where(*_conditions(shape, tagged), _beyond(sort, forward, T if tagged else Q)).limit(1))


def build(session: Session, user: User, svc: ServiceSettings, filters: Filters, page: int = 1,
          per_page: int = DEFAULT_PER_PAGE, cursor: str | None = None) -> QueuePage:
    """The queue as ``user`` (an assessor or admin) sees it: matches of ``filters``, sorted, one
    page: the one after (or before) ``cursor`` when given, else page number ``page``. A constant
    number of queries whatever the size of the queue and the page."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    sort = filters.sort if filters.sort in ORDERS else "waiting"
    at = decode_cursor(cursor, sort) if cursor else None
    now = utcnow()
    conn = session.connection()  # Core statements: no ORM layer between them and the database
    shape = Shape(admin=user.role == "admin", stage=filters.stage, rubric=filters.rubric_id is not None,
                  version=filters.version is not None, flag=filters.flag is not None, mine=filters.mine,
                  claimable=filters.claimable)
    params: dict[str, Any] = {"me": user.id, "now": now, "bar": svc.agreement_bar, "rubric_id": filters.rubric_id,
                              "version": filters.version, "flag": filters.flag}
    if shape.mine or shape.flag:
        params["tag"] = f"u:{user.id}" if shape.mine else f"f:{filters.flag}"
    params = {k: v for k, v in params.items() if v is not None}

    # PostgreSQL would plan the totals (and a flag's page) anew at every execution, prepared or
    # not (its estimate of a generic plan is worse than that of a plan for the values given):
    # ~1-3 ms of planning each time for the same plan. The queue's own statements take the
    # generic plan (each reads its index ranges whatever the values); what follows does not.
    generic = conn.dialect.name == "postgresql"
    if generic:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    by_stage: dict[str, int] = {}
    claimable = reconcile = 0
    if not shape.mine:
        by_stage, claimable, reconcile = _fast_totals(conn, shape, params)
    else:
        for stage, n, may_n, recon_n in conn.execute(_statement(("totals", shape), lambda: _totals_statement(shape)),
                                                     params):
            by_stage[stage] = by_stage.get(stage, 0) + int(n)
            claimable += int(may_n)
            reconcile += int(recon_n)
    by_stage = {k: v for k, v in sorted(by_stage.items()) if v}
    total = sum(by_stage.values())

    def rows_of(mode: str, **more: Any) -> list[Any]:
        query = _statement(("page", shape, sort, mode, per_page + 1),
                           lambda: _page_statement(shape, sort, mode, per_page + 1))
        return list(conn.execute(query, {**params, **more}))

    def keys(row: Any) -> dict[str, Any]:
        return {f"k{i}": v for i, v in enumerate(_key_of(sort, row))}

    if at is not None:
        page = at.page
        rows = rows_of("after" if at.forward else "before", **{f"k{i}": v for i, v in enumerate(at.key)})
        more = len(rows) > per_page
        rows = rows[:per_page]
        if not at.forward:
            rows.reverse()
        # Is there anything on the other side? (Usually: the rows the cursor came from.)
        other = bool(rows) and conn.scalar(
            _statement(("other", shape, sort, not at.forward), lambda: _other_side_statement(shape, sort, not at.forward)),
            {**params, **keys(rows[0 if at.forward else -1])})
        has_next, has_prev = (more, bool(other)) if at.forward else (bool(other), more)
    else:
        page = max(1, page)
        rows = rows_of("first") if page == 1 else rows_of("offset", offset=(page - 1) * per_page)
        has_next, has_prev = len(rows) > per_page, page > 1 and bool(rows)
        rows = rows[:per_page]
    if generic:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = DEFAULT")
    entries = _entries(session, user, svc, rows, now)
    return QueuePage(
        total=total, by_stage=by_stage, claimable=claimable, needs_reconciliation=reconcile, page=page,
        per_page=per_page, entries=entries,
        next_cursor=_encode(Cursor(sort, _key_of(sort, rows[-1]), True, page + 1)) if has_next and rows else None,
        prev_cursor=_encode(Cursor(sort, _key_of(sort, rows[0]), False, max(1, page - 1)))
        if has_prev and rows else None,
    )


@dataclass(frozen=True)
class QueuedSubmission:
    """What the queue shows of a submission (read with its entry; never its candidate's name)."""

    id: str
    candidate_id: str  # for counting attempts only; never shown
    rubric_id: str
    version: int
    previous_id: str | None
    status: str
    submitted_at: datetime | None
    created_at: datetime


_ENTRY_FIELDS = ("submission_id", "job_id", "rubric_id", "version", "stage", "assigned_to", "claimed_by",
                 "claim_expires_at", "agreement", "double_marking", "first_marker", "second_marker", "s_candidate_id",
                 "s_previous_id", "s_status", "s_submitted_at", "s_created_at", "r_met", "r_weak", "r_missing",
                 "r_error", "r_warning", "r_info", "r_codes")


def _codes(text: str | None) -> dict[str, int]:
    """A report's flag codes from the page row's "code:count,…", by code."""
    if not text:
        return {}
    return {code: int(n) for code, n in sorted(item.rsplit(":", 1) for item in text.split(","))}


def _entries(session: Session, user: User, svc: ServiceSettings, rows: list[Any], now: datetime) -> list[Entry]:
    """The page's rows in full: flag codes and attempts read for the whole page at once (the
    submission, counts and assessment came with the row; read by position, which costs a
    fraction of reading a row's fields by name)."""
    if not rows:
        return []
    at = {name: i for i, name in enumerate(rows[0]._fields)}
    fields = itemgetter(*(at[name] for name in _ENTRY_FIELDS))
    values = [fields(r) for r in rows]
    codes = {v[1]: _codes(v[23]) for v in values}
    subs = [QueuedSubmission(id=v[0], candidate_id=v[12], rubric_id=v[2], version=v[3], previous_id=v[13],
                             status=v[14], submitted_at=v[15], created_at=v[16]) for v in values]
    attempts = programs.attempts_of(session, subs)  # type: ignore[arg-type]
    me, bar = user.id, svc.agreement_bar
    out: list[Entry] = []
    for (sub_id, job_id, rubric_id, _, stage, assigned_to, claimed_by, expires, agreement, double, first, second,
         *_rest, met, weak, missing, error, warning, info, _), sub in zip(values, subs):
        a = QueuedAssessment(
            submission_id=sub_id, stage=stage, assigned_to=assigned_to, claimed_by=claimed_by,
            claim_expires_at=expires, agreement=agreement,
            double_marking=double if double is not None else flow.double_marking(svc, rubric_id))
        counts = Counts(details={"met": met, "weak": weak, "missing": missing},
                        flags={"error": error, "warning": warning, "info": info}, flag_codes=codes[job_id])
        out.append(Entry(
            submission=sub, assessment=a, job_id=job_id, counts=counts,  # type: ignore[arg-type]
            waiting_s=int((now - sub.submitted_at).total_seconds()) if sub.submitted_at else 0,
            why_not_claimable=flow.why_not_claimable(session, user, a,  # type: ignore[arg-type]
                                                     marked=me in (first, second)),
            needs_reconciliation=stage == "reconcile" and agreement is not None and agreement < bar,
            attempt=attempts.get(sub_id),
        ))
    return out
