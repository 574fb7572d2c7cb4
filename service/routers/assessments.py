from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from sqlalchemy import select

from screening.report.diff import diff_reports
from screening.report.model import load_report

from .. import assessment as flow
from ..access import own_submission, submitted_submission
from ..anonymise import Scrubber
from ..credentials import credential
from ..assess_schemas import AssessmentState, DecisionIn, DecisionOut, PreviousVersion, Review, RubricPin
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..models import Assessment, Decision, Job, ReportRow, Submission, User
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


def _assessment(session: DB, state: State, sub: Submission) -> Assessment:
    a = session.get(Assessment, sub.id)
    if a is None:  # not started: what it would be, without writing anything on a read
        a = Assessment(submission_id=sub.id, stage="first",
                       double_marking=flow.double_marking(state.settings.service, sub.rubric_id))
    return a


def _admin_may_read(user: User, a: Assessment) -> None:
    # Admins see content only as reconcilers (issue 6: admins see metadata, not content).
    if user.role == "admin" and a.stage not in ("reconcile", "released"):
        raise ApiError("reconciler_only", "An admin reads a submission's content only to reconcile two markings.")


def _previous(session: DB, sub: Submission) -> PreviousVersion | None:
    if sub.previous_id is None:
        return None
    prev = session.get(Submission, sub.previous_id)
    if prev is None:
        return None
    job_id = session.scalar(select(Job.id).where(Job.submission_id == prev.id, Job.purpose == "screening",
                                                 Job.state == "done").order_by(Job.finished_at.desc()).limit(1))
    a = session.get(Assessment, prev.id)
    released = session.get(Decision, a.released_decision_id) if a is not None and a.released_decision_id else None
    return PreviousVersion(submission_id=prev.id, version=prev.version, job_id=job_id,
                           decision=decision_out(released) if released is not None else None)


@router.get("/{submission_id}", response_model=Review,
            responses=problem_responses(*_AUTH, "not_found", "not_screened", "reconciler_only"))
def review(submission_id: str, session: DB, state: State, user: Marker) -> Review:
    """The submission to assess, anonymised: its report (files by alias, no candidate name or
    email), its files, the caller's own marking, and for a resubmission the previous version's
    released decision and report id."""
    sub = submitted_submission(session, user, submission_id)
    work = flow.screened(session, sub)
    a = _assessment(session, state, sub)
    _admin_may_read(user, a)
    scrub = scrubber(session, sub)
    names = aliases(session, sub.id)
    mine = flow.my_decision(session, user, a) if a.stage != "released" else None
    previous = _previous(session, sub)
    return Review(assessment=state_out(a, user), rubric_id=sub.rubric_id, version=sub.version,
                  submitted_at=sub.submitted_at, job_id=work.job_id, report=anonymised_report(work.report, scrub),
                  files=[file_out(f, names[f.id]) for f in files_of(session, sub.id)],
                  my_decision=decision_out(mine) if mine is not None else None, previous=previous,
                  diff=_diff(session, sub, previous, work.report, scrub))


def _diff(session: DB, sub: Submission, previous: PreviousVersion | None, report: dict[str, Any],
          scrub: Scrubber) -> dict[str, Any] | None:
    """What changed since the previous version's report, anonymised like the report (files the
    previous version had and this one dropped appear under the previous version's aliases)."""
    old_row = session.get(ReportRow, previous.job_id) if previous is not None and previous.job_id else None
    if old_row is None:
        return None
    try:
        diff = diff_reports(load_report(old_row.report_json), load_report(report))
    except ValidationError:  # a report of a schema too old to read (1.0) cannot be compared field by field
        return None
    before = scrubber(session, session.get(Submission, sub.previous_id))  # type: ignore[arg-type]
    both = Scrubber(names={**before.names, **scrub.names}, person=scrub.person)
    return both.json(diff.model_dump(mode="json"))  # type: ignore[no-any-return]


@router.get("/{submission_id}/credential", responses={
    200: {"description": "An unsigned Open Badges 3.0 AchievementCredential (docs/exports.md)."},
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
    return credential(session, sub, state.settings)


_DECIDE = ("not_found", "not_screened", "no_claim", "claim_expired", "already_released", "unknown_target",
           "unknown_level", "unknown_rubric", "invalid_request", "malformed_json")


@router.put("/{submission_id}/decision", response_model=DecisionOut, responses=problem_responses(*_AUTH, *_DECIDE))
def decide(submission_id: str, body: DecisionIn, session: DB, state: State, user: Marker) -> DecisionOut:
    """The claim holder records judgments: flags confirmed or overridden, details' evidence status
    confirmed or changed, a proficiency level per EO, each with an optional comment. Merged into
    the caller's marking; the first call pins the report and the exact rubric it is made on."""
    sub = submitted_submission(session, user, submission_id)
    a = flow.live_claim(session, user, sub)
    work = flow.screened(session, sub)
    d = flow.open_decision(session, user, a, work)
    report = work.report if d.job_id == work.job_id else _report_of(session, d)
    flow.update_decision(session, user, d, report, body.model_dump(exclude_none=True))
    session.commit()
    return decision_out(d)


def _report_of(session: DB, d: Decision) -> dict:  # type: ignore[type-arg]
    row = session.get(ReportRow, d.job_id)
    return json.loads(row.report_json) if row is not None else {}


@router.post("/{submission_id}/release", response_model=AssessmentState,
             responses=problem_responses(*_AUTH, "not_found", "not_screened", "no_claim", "claim_expired",
                                         "already_released", "undecided_flags", "undecided_details",
                                         "undecided_levels"))
def release(submission_id: str, session: DB, state: State, user: Marker) -> AssessmentState:
    """The claim holder finishes their marking. Single marking: the decision is released. Double
    marking: the first marking hands over to a second, independent marker; the second to a
    reconciler (another assessor or an admin), whose release is the final decision."""
    sub = submitted_submission(session, user, submission_id)
    a = flow.live_claim(session, user, sub)
    d = flow.my_decision(session, user, a) or flow.open_decision(session, user, a, flow.screened(session, sub))
    a = flow.release(session, user, a, d, _report_of(session, d))
    session.commit()
    return state_out(a, user)


@router.get("/{submission_id}/decisions", response_model=list[DecisionOut],
            responses=problem_responses(*_AUTH, "not_found", "decision_sealed", "reconciler_only"))
def decisions(submission_id: str, session: DB, state: State, user: Marker) -> list[DecisionOut]:
    """The markings the caller may read. For a double-marked submission nobody reads either
    marking until both are in (decision_sealed); then both, and the reconciler's."""
    sub = submitted_submission(session, user, submission_id)
    a = _assessment(session, state, sub)
    _admin_may_read(user, a)
    return [decision_out(d) for d in flow.visible_decisions(session, user, session.get(Assessment, sub.id), sub.id)]
