"""Programs: their MCs, stacks and rules; a candidate's progress, following a program, stack
credentials; an admin's record of a coaching meeting (service/programs.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from screening.programs import Program, Progress

from .. import program_stats
from .. import programs as flow
from ..deps import DB, CurrentUser, State, require
from ..errors import problem_responses
from ..models import User

router = APIRouter(prefix="/api/programs", tags=["programs"])
Candidate = Annotated[User, Depends(require("candidate"))]
Admin = Annotated[User, Depends(require("admin"))]
Designer = Annotated[User, Depends(require("program_designer", "admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


class NoteOut(BaseModel):
    text: str
    source: str


class YieldOut(BaseModel):
    kind: str
    text: str
    granted_by: str
    established: bool = Field(description="false when the source says it is proposed or hoped for, not in place.")
    source: str


class McOut(BaseModel):
    id: str
    title: str
    rubric: str | None = Field(description="The rubric a submission for it is made against; null: no rubric here.")
    published: bool
    focus_area: str
    note: str
    source: str


class StackOut(BaseModel):
    id: str
    kind: Literal["stack", "pathway", "program", "list"]
    title: str
    description: str
    mcs: list[str]
    needed: int = Field(description="How many of its MCs must be earned.")
    requires: list[str]
    requires_source: str
    eligibility: list[NoteOut]
    yields: list[YieldOut]
    credential: bool = Field(description="Completing it gives a stack credential from this service.")
    note: str
    source: str


class LimitOut(BaseModel):
    limit: int
    note: str
    source: str


class ProgramOut(BaseModel):
    id: str
    title: str
    version: str
    provider: str
    description: str
    sources: list[str]
    eligibility: list[NoteOut]
    mcs: list[McOut]
    stacks: list[StackOut]
    max_concurrent: LimitOut | None
    attempts_before_coaching: LimitOut | None
    following: bool | None = Field(description="Candidates: whether you follow it (its rules apply to your drafts).")


class ReasonOut(BaseModel):
    code: Literal["prerequisite", "concurrency", "coaching", "unpublished", "no_rubric"]
    message: str


class McProgressOut(BaseModel):
    id: str
    title: str
    rubric: str | None
    status: Literal["earned", "in_progress", "available", "blocked", "not_offered"]
    reasons: list[ReasonOut]
    attempts: int = Field(description="Submitted versions of this MC.")
    attempts_counted: int = Field(description="Those since the last coaching meeting: what the limit is checked against.")
    attempts_limit: int | None
    coaching_required: bool


class StackProgressOut(BaseModel):
    id: str
    kind: str
    title: str
    earned: list[str]
    needed: int
    complete: bool
    blocked_by: list[str] = Field(description="Required stacks not complete yet.")
    yields: list[YieldOut]
    credential: str | None = Field(description="Where to fetch the stack credential, once complete.")


class ProgressOut(BaseModel):
    program_id: str
    version: str
    following: bool
    in_progress: int
    max_concurrent: int | None
    mcs: list[McProgressOut]
    stacks: list[StackProgressOut]


class CoachingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    candidate_id: str
    mc_id: str


class CoachingOut(BaseModel):
    id: str
    candidate_id: str
    program_id: str
    rubric_id: str
    held_at: Any


class CountOut(BaseModel):
    value: int | None = Field(description="null when withheld: from 1 to the minimum group size minus one.")
    suppressed: bool


class DaysOut(BaseModel):
    median: float | None = Field(description="Days; null when withheld (fewer candidates than the minimum group).")
    low: float | None = None
    high: float | None = None
    suppressed: bool


class StateFigureOut(BaseModel):
    state: Literal["in_progress", "waiting", "returned", "coaching"]
    candidates: CountOut = Field(description="Candidates in this state now.")
    median_days: DaysOut = Field(description="Median time at this state, over every stay in it (ongoing: to now).")


class McFiguresOut(BaseModel):
    id: str
    title: str
    rubric: str | None
    earned: CountOut
    states: list[StateFigureOut]


class StackFiguresOut(BaseModel):
    id: str
    title: str
    kind: str
    needed: int
    withheld: bool = Field(description="Fewer candidates follow it than the minimum group: no figure is shown.")
    following: CountOut = Field(description="Candidates following the program who started one of its MCs.")
    completed: CountOut
    time_to_complete: DaysOut = Field(description="From the first draft (or enrolment, if later) to the release "
                                                  "that completed it: median and range.")
    mcs: list[McFiguresOut]
    notes: list[str]


class ProgramFiguresOut(BaseModel):
    program_id: str
    title: str
    version: str
    min_group: int = Field(description="service.program_figures_min_group: smaller groups are withheld.")
    followers: CountOut
    stacks: list[StackFiguresOut]
    computed_at: Any


def _c(c: program_stats.Count) -> CountOut:
    return CountOut(value=c.value, suppressed=c.suppressed)


def _d(d: program_stats.Days) -> DaysOut:
    return DaysOut(median=d.median, low=d.low, high=d.high, suppressed=d.suppressed)


def figures_out(f: program_stats.ProgramFigures) -> ProgramFiguresOut:
    return ProgramFiguresOut(
        program_id=f.program_id, title=f.title, version=f.version, min_group=f.min_group, followers=_c(f.followers),
        computed_at=f.computed_at,
        stacks=[StackFiguresOut(id=s.stack_id, title=s.title, kind=s.kind, needed=s.needed, withheld=s.withheld,
                                following=_c(s.following), completed=_c(s.completed),
                                time_to_complete=_d(s.time_to_complete), notes=list(s.notes),
                                mcs=[McFiguresOut(id=m.mc_id, title=m.title, rubric=m.rubric, earned=_c(m.earned),
                                                  states=[StateFigureOut(state=x.state, candidates=_c(x.candidates),
                                                                         median_days=_d(x.median_days))
                                                          for x in m.states]) for m in s.mcs])
                for s in f.stacks])


def _yields(stack: Any) -> list[YieldOut]:
    return [YieldOut(kind=y.kind, text=y.text, granted_by=y.granted_by, established=y.established, source=y.source)
            for y in stack.yields]


def _limit(limit: Any) -> LimitOut | None:
    return LimitOut(limit=limit.limit, note=limit.note, source=limit.source) if limit else None


def program_out(p: Program, following: bool | None) -> ProgramOut:
    return ProgramOut(
        id=p.id, title=p.title, version=p.version, provider=p.provider, description=p.description,
        sources=list(p.sources), eligibility=[NoteOut(text=n.text, source=n.source) for n in p.eligibility],
        mcs=[McOut(id=m.id, title=m.title, rubric=m.rubric, published=m.published, focus_area=m.focus_area,
                   note=m.note, source=m.source) for m in p.mcs],
        stacks=[StackOut(id=s.id, kind=s.kind, title=s.title, description=s.description, mcs=list(s.mcs),
                         needed=s.needed, requires=list(s.requires), requires_source=s.requires_source,
                         eligibility=[NoteOut(text=n.text, source=n.source) for n in s.eligibility],
                         yields=_yields(s), credential=s.gives_credential, note=s.note, source=s.source)
                for s in p.stacks],
        max_concurrent=_limit(p.limits.max_concurrent), attempts_before_coaching=_limit(p.limits.attempts_before_coaching),
        following=following)


def progress_out(g: Progress, following: bool) -> ProgressOut:
    p = g.program
    return ProgressOut(
        program_id=p.id, version=p.version, following=following, in_progress=g.in_progress,
        max_concurrent=g.concurrency_limit,
        mcs=[McProgressOut(id=m.mc.id, title=m.mc.title, rubric=m.mc.rubric, status=m.status,
                           reasons=[ReasonOut(code=r.code, message=r.message) for r in m.reasons],
                           attempts=m.attempts, attempts_counted=m.attempts_counted, attempts_limit=m.attempts_limit,
                           coaching_required=m.coaching_required) for m in g.mcs],
        stacks=[StackProgressOut(id=s.stack.id, kind=s.stack.kind, title=s.stack.title, earned=list(s.earned),
                                 needed=s.needed, complete=s.complete, blocked_by=list(s.blocked_by),
                                 yields=_yields(s.stack),
                                 credential=(f"/api/programs/{p.id}/stacks/{s.stack.id}/credential"
                                             if s.complete and s.stack.gives_credential else None))
                for s in g.stacks])


@router.get("", response_model=list[ProgramOut], responses=problem_responses(*_AUTH))
def list_programs(session: DB, user: CurrentUser) -> list[ProgramOut]:
    """The programs (programs/*.yaml): MCs, stacks and pathways, rules, what completing a stack yields."""
    followed = flow.followed_ids(session, user) if user.role == "candidate" else None
    return [program_out(p, None if followed is None else p.id in followed) for p in flow.programs(session)]


@router.get("/{program_id}/progress", response_model=ProgressOut, responses=problem_responses(*_AUTH, "not_found"))
def get_progress(program_id: str, session: DB, user: Candidate) -> ProgressOut:
    """Candidate: each MC earned (a released decision earns it), in progress, available, blocked
    (with the reason) or not offered; each stack's completion; counted from released human decisions only."""
    program = flow.get_program(session, program_id)
    return progress_out(flow.progress_of(session, user, program), program.id in flow.followed_ids(session, user))


@router.get("/{program_id}/figures", response_model=ProgramFiguresOut,
            responses=problem_responses(*_AUTH, "not_found"))
def get_figures(program_id: str, session: DB, state: State, user: Designer) -> ProgramFiguresOut:
    """Program designers and admins: per stack, candidates following it, completions and time to
    complete, and where candidates stall on each MC; from released human decisions and stored
    times only, small groups withheld (``service.program_figures_min_group``)."""
    return figures_out(program_stats.figures(session, state.settings, program_id))


@router.put("/{program_id}/following", status_code=204, responses=problem_responses(*_AUTH, "not_found"))
def follow(program_id: str, session: DB, user: Candidate) -> Response:
    """Candidate: follow the program; its rules then apply to the drafts you start for its MCs."""
    flow.follow(session, user, program_id)
    return Response(status_code=204)


@router.delete("/{program_id}/following", status_code=204, responses=problem_responses(*_AUTH, "not_found"))
def unfollow(program_id: str, session: DB, user: Candidate) -> Response:
    """Candidate: stop following the program."""
    flow.unfollow(session, user, program_id)
    return Response(status_code=204)


@router.get("/{program_id}/stacks/{stack_id}/credential", response_class=JSONResponse,
            responses=problem_responses(*_AUTH, "not_found", "stack_incomplete"))
def get_stack_credential(program_id: str, stack_id: str, session: DB, state: State, user: Candidate) -> JSONResponse:
    """Candidate: the completed stack or pathway as a signed Open Badges 3.0 AchievementCredential."""
    doc = flow.stack_credential_of(session, user, program_id, stack_id, state.settings)
    session.commit()
    return JSONResponse(doc, media_type="application/json")


@router.post("/{program_id}/coaching", status_code=201, response_model=CoachingOut,
             responses=problem_responses(*_AUTH, "not_found", "invalid_request"))
def record_coaching(program_id: str, body: CoachingIn, session: DB, user: Admin) -> CoachingOut:
    """Admin: a coaching meeting was held with the candidate about this MC; attempts count anew."""
    row = flow.record_coaching(session, user, program_id, body.candidate_id, body.mc_id)
    return CoachingOut(id=row.id, candidate_id=row.candidate_id, program_id=row.program_id, rubric_id=row.rubric_id,
                       held_at=row.held_at)
