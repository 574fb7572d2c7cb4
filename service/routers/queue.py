from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from .. import assessment as flow
from .. import queue as queue_flow
from ..access import submitted_submission
from ..assess_schemas import Assign, AssessmentState, ClaimOut, Queue, QueueItem, Stage
from ..deps import DB, State, require
from ..errors import problem_responses
from ..models import Assessment, User

router = APIRouter(prefix="/api/queue", tags=["assessment"])
Marker = Annotated[User, Depends(require("assessor", "admin"))]
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")
Sort = queue_flow.Sort


def claim_out(a: Assessment | None, viewer: User) -> ClaimOut:
    live = a is not None and flow.claim_is_live(a)
    mine = live and a.claimed_by == viewer.id  # type: ignore[union-attr]
    return ClaimOut(claimed=live, by_me=mine,
                    expires_at=a.claim_expires_at if live and (mine or viewer.role == "admin") else None)  # type: ignore[union-attr]


def state_out(a: Assessment, viewer: User) -> AssessmentState:
    return AssessmentState(submission_id=a.submission_id, stage=a.stage, double_marking=a.double_marking,  # type: ignore[arg-type]
                           claim=claim_out(a, viewer), assigned=a.assigned_to is not None,
                           assigned_to_me=a.assigned_to == viewer.id, agreement=a.agreement)


def item_out(e: queue_flow.Entry, viewer: User) -> QueueItem:
    a, sub, c = e.assessment, e.submission, e.counts
    return QueueItem(
        submission_id=sub.id, rubric_id=sub.rubric_id, version=sub.version, previous_id=sub.previous_id,
        job_id=e.job_id, submitted_at=sub.submitted_at, waiting_s=e.waiting_s,
        stage=a.stage, double_marking=a.double_marking,  # type: ignore[arg-type]
        details=c.details, flags=c.flags, flag_codes=c.flag_codes, claim=claim_out(a, viewer),  # type: ignore[arg-type]
        assigned=a.assigned_to is not None, assigned_to_me=a.assigned_to == viewer.id,
        assigned_to=a.assigned_to if viewer.role == "admin" else None, claimable=e.claimable,
        agreement=a.agreement, needs_reconciliation=e.needs_reconciliation,
        attempt=e.attempt.number if e.attempt else None, attempts_limit=e.attempt.limit if e.attempt else None,
        coaching_required=bool(e.attempt and e.attempt.coaching_required))


@router.get("", response_model=Queue, responses=problem_responses(*_AUTH, "invalid_request"))
def queue(
    session: DB, state: State, user: Marker,
    rubric_id: Annotated[str | None, Query(description="Only this MC.")] = None,
    stage: Annotated[Stage | None, Query(description="Only this stage; default: every stage but released.")] = None,
    flag: Annotated[str | None, Query(description="Only submissions with a flag of this code.")] = None,
    version: Annotated[int | None, Query(ge=1, description="Only this version (1: first submissions).")] = None,
    mine: Annotated[bool, Query(description="Only those claimed by or assigned to me.")] = False,
    claimable: Annotated[bool, Query(description="Only those I may claim now.")] = False,
    sort: Annotated[Sort, Query(description="waiting (longest first), -waiting, missing (most missing details "
                                            "first), flags (most flags first), version (highest first).")] = "waiting",
    page: Annotated[int, Query(ge=1, description="Which page of the sorted matches (1: the first).")] = 1,
    per_page: Annotated[int, Query(ge=1, le=queue_flow.MAX_PER_PAGE, description="Items per page.")]
    = queue_flow.DEFAULT_PER_PAGE,
    cursor: Annotated[str | None, Query(max_length=2000, description="The next_cursor or prev_cursor of a previous "
                                        "answer (same sort): the page after or before it, stable when submissions "
                                        "are added meanwhile. Overrides page.")] = None,
) -> Queue:
    """Assessors and admins: submitted, screened submissions to assess, with their readiness
    counts from the report, one page at a time (``total`` counts every match); follow
    ``next_cursor``/``prev_cursor`` to page. Anonymised: no
    candidate, no file names."""
    filters = queue_flow.Filters(rubric_id=rubric_id, stage=stage, flag=flag, version=version, mine=mine,
                                 claimable=claimable, sort=sort)
    q = queue_flow.build(session, user, state.settings.service, filters, page, per_page, cursor)
    return Queue(total=q.total, by_stage=q.by_stage, claimable=q.claimable,
                 needs_reconciliation=q.needs_reconciliation, page=q.page, per_page=q.per_page, pages=q.pages,
                 items=[item_out(e, user) for e in q.entries], next_cursor=q.next_cursor, prev_cursor=q.prev_cursor)


_CLAIM_ERRORS = ("not_found", "not_screened", "already_released", "reconciler_only", "already_marked",
                 "assigned_elsewhere", "claim_held")


@router.post("/{submission_id}/claim", response_model=AssessmentState,
             responses=problem_responses(*_AUTH, *_CLAIM_ERRORS))
def claim(submission_id: str, session: DB, state: State, user: Marker) -> AssessmentState:
    """Take (or renew) the time-limited claim on a submission: only its holder may decide, and no
    one else may claim it until it is released or expires (service.claim_minutes)."""
    sub = submitted_submission(session, user, submission_id)
    a = flow.claim(session, user, sub, state.settings.service)
    session.commit()
    return state_out(a, user)


@router.delete("/{submission_id}/claim", status_code=204, responses=problem_responses(*_AUTH, "not_found", "no_claim"))
def release_claim(submission_id: str, session: DB, user: Marker) -> Response:
    """Give the claim up (its holder, or an admin freeing it for someone else)."""
    sub = submitted_submission(session, user, submission_id)
    flow.release_claim(session, user, sub)
    session.commit()
    return Response(status_code=204)


@router.put("/{submission_id}/assignment", response_model=AssessmentState,
            responses=problem_responses(*_AUTH, "not_found", "not_screened", "not_an_assessor", "already_released",
                                        "invalid_request", "malformed_json"))
def assign(submission_id: str, body: Assign, session: DB, state: State, user: Admin) -> AssessmentState:
    """Admin: assign the submission's current stage to one assessor (only they may claim it), or
    remove the assignment with null."""
    sub = submitted_submission(session, user, submission_id)
    a = flow.assign(session, user, sub, body.assessor_id, state.settings.service)
    session.commit()
    return state_out(a, user)
