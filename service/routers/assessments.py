from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from .. import assessment as flow
from .. import marking
from ..access import own_submission, submitted_submission
from ..credentials import credential
from ..assess_schemas import AssessmentState, DecisionIn, DecisionOut, PreviousVersion, Review, RubricPin
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..models import Assessment, Decision, Submission, User
from ..review import aliases, anonymised_report, files_of, scrubber
from .queue import state_out
from .submissions import file_out

router = APIRouter(prefix="/api/assessments", tags=["assessment"])
Marker = Annotated[User, Depends(require("assessor", "admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


def decision_out(d: Decision) -> DecisionOut:
    data = flow.decision_data(d)
    return DecisionOut(id=d.id, submission_id=d.submission_id, assessor_id=d.assessor_id, role=d.role,  # type: ignore[arg-type]
                       state=d.state, job_id=d.job_id,  # type: ignore[arg-type]
                       rubric=RubricPin(id=d.rubric_id, version=d.rubric_version, content_hash=d.rubric_hash),
                       flags=data["flags"], details=data["details"], eo_levels=data["eo_levels"],
                       created_at=d.created_at, updated_at=d.updated_at, finalised_at=d.finalised_at)


def _previous(session: DB, sub: Submission) -> tuple[marking.Previous | None, PreviousVersion | None]:
    prev = marking.previous_version(session, sub)
    if prev is None:
        return None, None
    return prev, PreviousVersion(submission_id=prev.submission.id, version=prev.submission.version,
                                 job_id=prev.job_id,
                                 decision=decision_out(prev.decision) if prev.decision is not None else None)


@router.get("/{submission_id}", response_model=Review,
            responses=problem_responses(*_AUTH, "not_found", "not_screened", "reconciler_only"))
def review(submission_id: str, session: DB, state: State, user: Marker) -> Review:
    """The submission to assess, anonymised: its report (files by alias, no candidate name or
    email), its files, the caller's own marking, and for a resubmission the previous version's
    released decision and report id."""
    sub = submitted_submission(session, user, submission_id)
    work = flow.screened(session, sub)
    a = marking.current_assessment(session, sub, state.settings.service)
    marking.admin_may_read(user, a)
    scrub = scrubber(session, sub)
    names = aliases(session, sub.id)
    mine = flow.my_decision(session, user, a) if a.stage != "released" else None
    prev, previous = _previous(session, sub)
    return Review(assessment=state_out(a, user), rubric_id=sub.rubric_id, version=sub.version,
                  submitted_at=sub.submitted_at, job_id=work.job_id, report=anonymised_report(work.report, scrub),
                  files=[file_out(f, names[f.id]) for f in files_of(session, sub.id)],
                  my_decision=decision_out(mine) if mine is not None else None, previous=previous,
                  diff=marking.diff_since_previous(session, sub, prev, work.report, scrub))


@router.get("/{submission_id}/credential", responses={
    200: {"description": "A signed Open Badges 3.0 AchievementCredential (docs/exports.md#signing)."},
    **problem_responses(*_AUTH, "not_found", "not_released", "not_earned")})
def get_credential(submission_id: str, session: DB, state: State,
                   user: Annotated[User, Depends(require("candidate", "admin"))]) -> dict[str, Any]:
    """The candidate (their own submission) and admins: the released decision as an Open Badges
    3.0 AchievementCredential, when it reaches the required level on every EO. Only assessors'
    confirmed judgments appear as results; the screener's advice sits in a namespaced extension."""
    if user.role == "candidate":
        sub = own_submission(session, user, submission_id)
    else:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise ApiError("not_found", f"No submission {submission_id}.")
    doc = credential(session, sub, state.settings)
    session.commit()  # a first issue allocates the credential's place in the revocation list
    return doc


_DECIDE = ("not_found", "not_screened", "no_claim", "claim_expired", "already_released", "unknown_target",
           "unknown_level", "unknown_rubric", "invalid_request", "malformed_json")


@router.put("/{submission_id}/decision", response_model=DecisionOut, responses=problem_responses(*_AUTH, *_DECIDE))
def decide(submission_id: str, body: DecisionIn, session: DB, state: State, user: Marker) -> DecisionOut:
    """The claim holder records judgments: flags confirmed or overridden, details' evidence status
    confirmed or changed, a proficiency level per EO, each with an optional comment. Merged into
    the caller's marking; the first call pins the report and the exact rubric it is made on."""
    sub = submitted_submission(session, user, submission_id)
    d = marking.decide(session, user, sub, body.model_dump(exclude_none=True))
    session.commit()
    return decision_out(d)


@router.post("/{submission_id}/release", response_model=AssessmentState,
             responses=problem_responses(*_AUTH, "not_found", "not_screened", "no_claim", "claim_expired",
                                         "already_released", "undecided_flags", "undecided_details",
                                         "undecided_levels"))
def release(submission_id: str, session: DB, state: State, user: Marker) -> AssessmentState:
    """The claim holder finishes their marking. Single marking: the decision is released. Double
    marking: the first marking hands over to a second, independent marker; the second to a
    reconciler (another assessor or an admin), whose release is the final decision."""
    sub = submitted_submission(session, user, submission_id)
    a = marking.finish(session, user, sub)
    session.commit()
    return state_out(a, user)


@router.get("/{submission_id}/decisions", response_model=list[DecisionOut],
            responses=problem_responses(*_AUTH, "not_found", "decision_sealed", "reconciler_only"))
def decisions(submission_id: str, session: DB, state: State, user: Marker) -> list[DecisionOut]:
    """The markings the caller may read. For a double-marked submission nobody reads either
    marking until both are in (decision_sealed); then both, and the reconciler's."""
    sub = submitted_submission(session, user, submission_id)
    a = marking.current_assessment(session, sub, state.settings.service)
    marking.admin_may_read(user, a)
    return [decision_out(d) for d in flow.visible_decisions(session, user, session.get(Assessment, sub.id), sub.id)]
