"""Per-stack figures for program designers (issue 19): for each program and each of its stacks,
how many candidates follow it, how many completed it and how long that took, and where candidates
stall on each of its MCs. The API (``GET /api/programs/{id}/figures``) and the designer's pages
(service/web/designer.py) call ``figures``.

Computed only from stored timestamps and released human decisions, like candidates' progress
(service/programs.py): an MC counts as earned from the release of a decision that earns it (and
whose credential was not revoked); screening reports never count. Only candidates who follow the
program are counted. Definitions (docs/pages-designer.md, "Program figures"):

- **following the stack**: candidates following the program who have started a draft for one of
  the stack's MCs;
- **completed**: of those, the ones who earned as many of its MCs as it needs; **time to
  complete** runs from their first draft for one of its MCs (or their enrolment in the program,
  if that came later) to the release of the decision that completed it;
- **where candidates stall**, per MC of the stack, each candidate's current state: *in progress*
  (a draft not yet submitted), *waiting for assessment* (submitted, no released decision),
  *returned for more work* (the newest release does not earn the MC), *coaching required* (that
  release used the last attempt the program allows before a coaching meeting, and none was
  recorded since). The median time at each state is taken over every stay in it by the stack's
  candidates, finished or still going on (counted up to now).

Small groups are withheld (privacy, as for every figure shown to designers): with fewer than
``service.program_figures_min_group`` candidates following a stack, none of its figures are
shown; a count from 1 to that size minus one is shown as "fewer than N", and a time (median or
range) is shown only when at least that many candidates contribute to it. Nothing names a
candidate, a submission or an assessor.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.programs import Program, Stack
from screening.settings import Settings

from . import assessment as flow
from .models import Assessment, CoachingRecord, Decision, ProgramEnrolment, Submission, utcnow
from .programs import get_program, revoked_decisions

State = Literal["in_progress", "waiting", "returned", "coaching"]
STATES: tuple[State, ...] = ("in_progress", "waiting", "returned", "coaching")
STATE_LABELS = {"in_progress": "In progress (drafting)", "waiting": "Waiting for assessment",
                "returned": "Returned for more work", "coaching": "Coaching required"}
_DAY = 86400.0


@dataclass(frozen=True)
class Count:
    """A count of candidates, or ``None`` (withheld) when it is from 1 to the minimum group minus one."""

    value: int | None

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Days:
    """A median (and range) of durations in days; all ``None`` when there is nothing to measure,
    or when it is withheld (``suppressed``: too few candidates contribute)."""

    median: float | None
    low: float | None = None
    high: float | None = None
    suppressed: bool = False


_WITHHELD = Days(None, suppressed=True)


@dataclass(frozen=True)
class StateFigure:
    state: State
    candidates: Count  # in this state now
    median_days: Days  # at this state, over every stay in it (finished or going on)


@dataclass(frozen=True)
class McFigures:
    mc_id: str
    title: str
    rubric: str | None
    states: tuple[StateFigure, ...]
    earned: Count


@dataclass(frozen=True)
class StackFigures:
    stack_id: str
    title: str
    kind: str
    needed: int
    following: Count
    completed: Count
    time_to_complete: Days
    mcs: tuple[McFigures, ...]
    withheld: bool  # fewer candidates follow it than the minimum group: no figure is shown
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgramFigures:
    program_id: str
    title: str
    version: str
    followers: Count
    min_group: int
    stacks: tuple[StackFigures, ...]
    computed_at: datetime = field(default_factory=utcnow)


# --- what each candidate did on each MC --------------------------------------------------------------

@dataclass
class _Stay:
    state: State
    start: datetime
    end: datetime | None  # None: going on now


@dataclass
class _McWork:
    started: datetime | None = None  # their first draft for it
    earned_at: datetime | None = None  # the first release that earns it (credential not revoked)
    stays: list[_Stay] = field(default_factory=list)

    @property
    def now(self) -> State | None:
        going = [s for s in self.stays if s.end is None]
        return going[-1].state if going and self.earned_at is None else None


def _work(session: Session, program: Program, candidates: list[str]) -> dict[tuple[str, str], _McWork]:
    """Per (candidate, rubric id): their drafts, submissions, released decisions and stays."""
    rubric_ids = program.rubric_ids()
    out: dict[tuple[str, str], _McWork] = {}
    if not rubric_ids or not candidates:
        return out
    subs = list(session.scalars(select(Submission).where(Submission.candidate_id.in_(candidates),
                                                         Submission.rubric_id.in_(rubric_ids))))
    released: dict[str, tuple[datetime, bool, str]] = {}
    if subs:
        rows = session.execute(select(Assessment, Decision).join(Decision, Decision.id == Assessment.released_decision_id)
                               .where(Assessment.submission_id.in_([s.id for s in subs]),
                                      Assessment.released_at.is_not(None)))
        for a, d in rows:
            if d.submission_id == a.submission_id:
                released[a.submission_id] = (a.released_at, flow.outcome(d) == "earned", d.id)  # type: ignore[assignment]
    revoked = revoked_decisions(session, [d for _, _, d in released.values()])
    coached: dict[tuple[str, str], list[datetime]] = {}
    for cand, rubric_id, held_at in session.execute(
            select(CoachingRecord.candidate_id, CoachingRecord.rubric_id, CoachingRecord.held_at)
            .where(CoachingRecord.candidate_id.in_(candidates), CoachingRecord.rubric_id.in_(rubric_ids))):
        coached.setdefault((cand, rubric_id), []).append(held_at)
    by_key: dict[tuple[str, str], list[Submission]] = {}
    for s in subs:
        by_key.setdefault((s.candidate_id, s.rubric_id), []).append(s)
    limit = program.attempts_limit
    for key, versions in by_key.items():
        versions.sort(key=lambda s: (s.version, s.created_at))
        meetings = sorted(coached.get(key, []))
        w = out[key] = _McWork(started=min(s.created_at for s in versions))
        attempts: list[datetime] = []
        for i, v in enumerate(versions):
            nxt = versions[i + 1].created_at if i + 1 < len(versions) else None
            w.stays.append(_Stay("in_progress", v.created_at, v.submitted_at))
            if v.submitted_at is None:
                continue
            attempts.append(v.submitted_at)
            got = released.get(v.id)
            w.stays.append(_Stay("waiting", v.submitted_at, got[0] if got else None))
            if got is None:
                continue
            at, earns, decision_id = got
            if earns:
                if decision_id not in revoked and w.earned_at is None:
                    w.earned_at = at
                continue
            last_meeting = max((m for m in meetings if m <= at), default=None)
            counted = sum(1 for t in attempts if last_meeting is None or t > last_meeting)
            if limit is not None and counted >= limit:
                meeting = next((m for m in meetings if m > at), None)
                ends = [t for t in (meeting, nxt) if t is not None]
                w.stays.append(_Stay("coaching", at, min(ends) if ends else None))
                if meeting is not None and (nxt is None or meeting < nxt):
                    w.stays.append(_Stay("returned", meeting, nxt))
            else:
                w.stays.append(_Stay("returned", at, nxt))
    return out


# --- the figures ----------------------------------------------------------------------------------

def _count(n: int, k: int) -> Count:
    return Count(n if n == 0 or n >= k else None)


def _days(values: list[float], contributors: int, k: int, with_range: bool) -> Days:
    if not values:
        return Days(None)
    if contributors < k:
        return _WITHHELD
    med = round(statistics.median(values) / _DAY, 1)
    if not with_range:
        return Days(med)
    return Days(med, round(min(values) / _DAY, 1), round(max(values) / _DAY, 1))


def _seconds(start: datetime, end: datetime | None, now: datetime) -> float:
    return max(0.0, ((end or now) - start).total_seconds())


def _stack(program: Program, stack: Stack, enrolled: dict[str, datetime],
           work: dict[tuple[str, str], _McWork], k: int, now: datetime) -> StackFigures:
    mcs = [m for m in (program.mc(i) for i in stack.mcs) if m is not None]
    rubrics = [m.rubric for m in mcs if m.rubric]
    notes: list[str] = []
    if not rubrics:
        notes.append("None of its micro-credentials can be submitted here yet, so there is nothing to count.")
    following = [c for c in enrolled if any((c, r) in work for r in rubrics)]
    durations: list[float] = []
    for c in following:
        earned = sorted(t for r in rubrics if (w := work.get((c, r))) and (t := w.earned_at) is not None)
        if stack.mcs and len(earned) >= stack.needed:
            done = earned[stack.needed - 1]
            first = min(w.started for r in rubrics if (w := work.get((c, r))) and w.started is not None)
            start = max(first, enrolled[c])
            durations.append(_seconds(start, done, now))
    withheld = 0 < len(following) < k
    if withheld:
        notes.append(f"Fewer than {k} candidates following the program have started this "
                     f"{stack.kind}: its figures are withheld so that no one can be recognised.")
    mc_figures = []
    for m in mcs:
        states = []
        for state in STATES:
            now_in = 0
            stays: list[float] = []
            contributors = set()
            for c in following:
                w = work.get((c, m.rubric or ""))
                if w is None:
                    continue
                mine = [s for s in w.stays if s.state == state]
                if mine:
                    contributors.add(c)
                    stays.extend(_seconds(s.start, s.end, now) for s in mine)
                if w.now == state:
                    now_in += 1
            states.append(StateFigure(state, Count(None) if withheld else _count(now_in, k),
                                      _WITHHELD if withheld else _days(stays, len(contributors), k, False)))
        earned = sum(1 for c in following if (w := work.get((c, m.rubric or ""))) and w.earned_at is not None)
        mc_figures.append(McFigures(m.id, m.title, m.rubric, tuple(states),
                                    Count(None) if withheld else _count(earned, k)))
    return StackFigures(
        stack_id=stack.id, title=stack.title, kind=stack.kind, needed=stack.needed,
        following=Count(None) if withheld else _count(len(following), k),
        completed=Count(None) if withheld else _count(len(durations), k),
        time_to_complete=_WITHHELD if withheld else _days(durations, len(durations), k, True),
        mcs=tuple(mc_figures), withheld=withheld, notes=tuple(notes))


def figures(session: Session, settings: Settings, program_id: str) -> ProgramFigures:
    """The per-stack figures of one program (``not_found`` for an unknown program)."""
    program = get_program(session, program_id)
    k = settings.service.program_figures_min_group
    enrolled = {c: at for c, at in session.execute(select(ProgramEnrolment.candidate_id, ProgramEnrolment.created_at)
                                                   .where(ProgramEnrolment.program_id == program.id))}
    work = _work(session, program, list(enrolled))
    now = utcnow()
    return ProgramFigures(program_id=program.id, title=program.title, version=program.version,
                          followers=_count(len(enrolled), k), min_group=k,
                          stacks=tuple(_stack(program, s, enrolled, work, k, now) for s in program.stacks))
