from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from .. import assessment as flow
from ..access import submitted_submission
from ..assess_schemas import Assign, AssessmentState, ClaimOut, Queue, QueueItem, Stage
from ..deps import DB, State, require
from ..errors import problem_responses
from ..models import Assessment, Job, ReportRow, Submission, User, utcnow

router = APIRouter(prefix="/api/queue", tags=["assessment"])
Marker = Annotated[User, Depends(require("assessor", "admin"))]
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")
Sort = Literal["waiting", "-waiting", "missing", "flags", "version"]


def claim_out(a: Assessment | None, viewer: User) -> ClaimOut:
    live = a is not None and flow.claim_is_live(a)
    mine = live and a.claimed_by == viewer.id  # type: ignore[union-attr]
    return ClaimOut(claimed=live, by_me=mine,
                    expires_at=a.claim_expires_at if live and (mine or viewer.role == "admin") else None)  # type: ignore[union-attr]


def state_out(a: Assessment, viewer: User) -> AssessmentState:
    return AssessmentState(submission_id=a.submission_id, stage=a.stage, double_marking=a.double_marking,  # type: ignore[arg-type]
                           claim=claim_out(a, viewer), assigned=a.assigned_to is not None,
                           assigned_to_me=a.assigned_to == viewer.id, agreement=a.agreement)


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
) -> Queue:
    """Assessors and admins: submitted, screened submissions to assess, with their readiness
    counts from the report. Anonymised: no candidate, no file names."""
    svc = state.settings.service
    latest: dict[str, tuple[str, str]] = {}
    for sub_id, job_id, report_json in session.execute(
        select(Job.submission_id, Job.id, ReportRow.report_json).join(ReportRow, ReportRow.job_id == Job.id)
        .where(Job.purpose == "screening", Job.state == "done").order_by(Job.finished_at, Job.id)
    ):
        latest[sub_id] = (job_id, report_json)  # the newest finished screening wins
    subs = session.scalars(select(Submission).where(Submission.status == "submitted", Submission.id.in_(latest)))
    assessments = {a.submission_id: a for a in session.scalars(select(Assessment))}
    now = utcnow()
    items: list[QueueItem] = []
    for sub in subs:
        job_id, report_json = latest[sub.id]
        report = json.loads(report_json)
        a = assessments.get(sub.id) or Assessment(submission_id=sub.id, stage="first",
                                                  double_marking=flow.double_marking(svc, sub.rubric_id))
        summary = report.get("summary", {})
        codes = Counter(f.get("code", "") for f in report.get("flags", []))
        items.append(QueueItem(
            submission_id=sub.id, rubric_id=sub.rubric_id, version=sub.version, previous_id=sub.previous_id,
            job_id=job_id, submitted_at=sub.submitted_at,
            waiting_s=int((now - sub.submitted_at).total_seconds()) if sub.submitted_at else 0,
            stage=a.stage, double_marking=a.double_marking,  # type: ignore[arg-type]
            details={k: int(summary.get(k, 0)) for k in ("met", "weak", "missing")},
            flags={k: int(summary.get("flags", {}).get(k, 0)) for k in ("error", "warning", "info")},
            flag_codes=dict(sorted(codes.items())), claim=claim_out(a, user), assigned=a.assigned_to is not None,
            assigned_to_me=a.assigned_to == user.id, assigned_to=a.assigned_to if user.role == "admin" else None,
            claimable=flow.why_not_claimable(session, user, a) is None, agreement=a.agreement,
            needs_reconciliation=a.stage == "reconcile" and a.agreement is not None and a.agreement < svc.agreement_bar,
        ))
    keep = [i for i in items
            if (rubric_id is None or i.rubric_id == rubric_id)
            and (i.stage == stage if stage else i.stage != "released")
            and (flag is None or flag in i.flag_codes)
            and (version is None or i.version == version)
            and (not mine or i.claim.by_me or i.assigned_to_me)
            and (not claimable or i.claimable)]
    def since(i: QueueItem) -> float:  # submit time: earlier = waiting longer
        return i.submitted_at.timestamp() if i.submitted_at else 0.0

    keys = {"waiting": lambda i: (since(i), i.submission_id), "-waiting": lambda i: (-since(i), i.submission_id),
            "missing": lambda i: (-i.details["missing"], -i.details["weak"], since(i)),
            "flags": lambda i: (-sum(i.flags.values()), since(i)), "version": lambda i: (-i.version, since(i))}
    keep.sort(key=keys[sort])  # type: ignore[arg-type]
    return Queue(total=len(keep), by_stage=dict(sorted(Counter(i.stage for i in keep).items())),
                 claimable=sum(i.claimable for i in keep),
                 needs_reconciliation=sum(i.needs_reconciliation for i in keep), items=keep)


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
