"""What the candidate sees of the assessment: the released outcome, and what changed since the
last version.

Only a *released* decision is ever read here (``Assessment.released_decision_id`` with
``released_at`` set): drafts, unreleased markings and the other marker's work stay hidden, and
nothing names the assessor. The API (``GET /api/submissions/{id}/outcome``) and the candidate's
pages call the same functions.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.errors import ScreeningError
from screening.report.diff import diff_reports
from screening.report.model import load_report

from . import assessment as flow
from .access import own_submission
from .errors import ApiError
from .models import Assessment, Decision, Job, ReportRow, Submission, User


class EoOutcome(BaseModel):
    eo: str = Field(description="The essential outcome's id.")
    title: str
    text: str
    level: str | None = Field(description="The proficiency level the assessor gave (its id).")
    level_label: str | None = Field(description="The level as the rubric names it.")
    reaches_required: bool = Field(description="The level is at or above the rubric's required level.")
    comment: str | None = Field(None, description="The assessor's comment on this outcome, if any.")


class Outcome(BaseModel):
    """The released decision on one submission, as its candidate reads it (no assessor identity)."""

    submission_id: str
    rubric_id: str
    rubric_version: str
    rubric_title: str
    released_at: datetime
    required_level: str
    required_level_label: str
    earned: bool = Field(description="Every EO is at or above the required level: a credential can be downloaded "
                                     "(GET /api/assessments/{id}/credential).")
    eos: list[EoOutcome]


def released(session: Session, sub: Submission) -> tuple[Assessment, Decision] | None:
    """The released assessment and decision of ``sub``, or None while nothing is released."""
    a = session.get(Assessment, sub.id)
    if a is None or a.released_at is None or not a.released_decision_id:
        return None
    d = session.get(Decision, a.released_decision_id)
    if d is None or d.submission_id != sub.id:
        return None
    return a, d


def outcome_of(session: Session, sub: Submission) -> Outcome:
    """The released outcome of ``sub`` (no access check: callers check who asks); 409 not_released."""
    got = released(session, sub)
    if got is None:
        raise ApiError("not_released", f"No decision on submission {sub.id} has been released yet.")
    a, d = got
    rubric = flow.rubric_of(d)
    order = [lvl.id for lvl in rubric.proficiency_levels]
    labels = {lvl.id: lvl.label for lvl in rubric.proficiency_levels}
    required = order.index(rubric.required_level)
    levels = flow.decision_data(d)["eo_levels"]
    eos = []
    for eo in rubric.essential_outcomes:
        given = levels.get(eo.id) or {}
        level = given.get("level")
        eos.append(EoOutcome(eo=eo.id, title=eo.title, text=eo.text, level=level, level_label=labels.get(level or ""),
                             reaches_required=level in order and order.index(level) <= required,
                             comment=given.get("comment") or None))
    return Outcome(submission_id=sub.id, rubric_id=d.rubric_id, rubric_version=d.rubric_version,
                   rubric_title=rubric.title, released_at=a.released_at,  # type: ignore[arg-type]
                   required_level=rubric.required_level, required_level_label=labels[rubric.required_level],
                   earned=flow.outcome(d) == "earned", eos=eos)


def candidate_outcome(session: Session, user: User, submission_id: str) -> Outcome:
    """The candidate's own released outcome: 404 for anyone else's submission, 409 before release."""
    return outcome_of(session, own_submission(session, user, submission_id))


def released_ids(session: Session, submission_ids: list[str]) -> set[str]:
    """Which of these submissions have a released decision (for lists)."""
    if not submission_ids:
        return set()
    rows = session.scalars(select(Assessment.submission_id).where(
        Assessment.submission_id.in_(submission_ids), Assessment.released_at.is_not(None),
        Assessment.released_decision_id.is_not(None)))
    return set(rows)


# --- what changed since the previous version ------------------------------------------------------

def screening_report(session: Session, sub: Submission) -> tuple[Job, dict[str, Any]] | None:
    """The newest finished screening (made on submit) of ``sub`` and its report."""
    row = session.execute(
        select(Job, ReportRow.report_json).join(ReportRow, ReportRow.job_id == Job.id)
        .where(Job.submission_id == sub.id, Job.purpose == "screening", Job.state == "done")
        .order_by(Job.finished_at.desc(), Job.id).limit(1)).first()
    return None if row is None else (row[0], json.loads(row[1]))


def changes_since_previous(session: Session, sub: Submission, report: dict[str, Any]) -> dict[str, Any] | None:
    """For a resubmission: what changed between the previous version's screening report and
    ``report`` (this version's screening, or a self-check of its draft), as
    ``screening.report.diff.ReportDiff`` data. None for a first version, when the previous
    version has no finished screening, or when a report is of a schema too old to compare."""
    if sub.previous_id is None:
        return None
    prev = session.get(Submission, sub.previous_id)
    got = screening_report(session, prev) if prev is not None else None
    if got is None:
        return None
    try:
        diff = diff_reports(load_report(got[1]), load_report(report))
    except (ValidationError, ScreeningError):  # a report of a schema too old to read, or another rubric (E021)
        return None
    return diff.model_dump(mode="json")  # type: ignore[no-any-return]
