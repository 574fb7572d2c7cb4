"""One submission under review, the steps the API's and the pages' handlers share: what a
reader may see (admins read content only to reconcile), the previous version and what changed
since it, and recording and finishing a marking (``service.assessment`` holds the rules)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.report.diff import diff_reports
from screening.report.model import load_report
from screening.settings import ServiceSettings

from . import assessment as flow
from .anonymise import Scrubber
from .errors import ApiError
from .models import Assessment, Decision, Job, ReportRow, Submission, User
from .review import scrubber


def current_assessment(session: Session, sub: Submission, svc: ServiceSettings) -> Assessment:
    """The submission's assessment; when no one has claimed it yet, what it would be (a row not
    added to the session: nothing is written on a read)."""
    a = session.get(Assessment, sub.id)
    if a is None:
        a = Assessment(submission_id=sub.id, stage="first", double_marking=flow.double_marking(svc, sub.rubric_id))
    return a


def admin_may_read(user: User, a: Assessment) -> None:
    """Admins see content only as reconcilers (issue 6: admins see metadata, not content)."""
    if user.role == "admin" and a.stage not in ("reconcile", "released"):
        raise ApiError("reconciler_only", "An admin reads a submission's content only to reconcile two markings.")


@dataclass(frozen=True)
class Previous:
    """The version a resubmission replaced: its newest screening and its released decision."""

    submission: Submission
    job_id: str | None
    decision: Decision | None


def previous_version(session: Session, sub: Submission) -> Previous | None:
    if sub.previous_id is None:
        return None
    prev = session.get(Submission, sub.previous_id)
    if prev is None:
        return None
    job_id = session.scalar(select(Job.id).where(Job.submission_id == prev.id, Job.purpose == "screening",
                                                 Job.state == "done").order_by(Job.finished_at.desc()).limit(1))
    a = session.get(Assessment, prev.id)
    released = session.get(Decision, a.released_decision_id) if a is not None and a.released_decision_id else None
    return Previous(prev, job_id, released)


def diff_since_previous(session: Session, sub: Submission, previous: Previous | None, report: dict[str, Any],
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
    before = scrubber(session, previous.submission)  # type: ignore[union-attr]
    both = Scrubber(names={**before.names, **scrub.names}, person=scrub.person)
    return both.json(diff.model_dump(mode="json"))  # type: ignore[no-any-return]


def report_of(session: Session, d: Decision) -> dict[str, Any]:
    """The report a decision was made on."""
    row = session.get(ReportRow, d.job_id)
    return json.loads(row.report_json) if row is not None else {}


def decide(session: Session, user: User, sub: Submission, change: dict[str, Any]) -> Decision:
    """The claim holder's judgments merged into their marking (flags, details, eo_levels: each a
    mapping of target → judgment); the first call pins the report and the exact rubric."""
    a = flow.live_claim(session, user, sub)
    work = flow.screened(session, sub)
    d = flow.open_decision(session, user, a, work)
    report = work.report if d.job_id == work.job_id else report_of(session, d)
    flow.update_decision(session, user, d, report, change)
    return d


def finish(session: Session, user: User, sub: Submission) -> Assessment:
    """The claim holder finishes their marking: the next stage, or the released decision.
    Refused with undecided_flags / undecided_details / undecided_levels naming what is left."""
    a = flow.live_claim(session, user, sub)
    d = flow.my_decision(session, user, a) or flow.open_decision(session, user, a, flow.screened(session, sub))
    return flow.release(session, user, a, d, report_of(session, d))
