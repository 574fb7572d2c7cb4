"""A released human decision as a signed Open Badges 3.0 AchievementCredential.

Only what assessors confirmed becomes a ``Result``; the screener's advice goes in the namespaced
extension (screening/exports/openbadges.py). A credential says the achievement was earned, so a
decision below the rubric's required level gives none (``not_earned``). It carries an
``eddsa-rdfc-2022`` proof made with the issuer's current key (service/issuing.py), dated at the
release, so asking again gives the same credential until the key is rotated.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.exports.decision import AdvisorySummary, Recipient, ReleasedDecision
from screening.exports.openbadges import Issuer, decision_credential
from screening.report.model import load_report
from screening.settings import Settings

from . import assessment as flow
from . import issuing
from .erasure import is_erased
from .errors import ApiError
from .models import Assessment, Decision, ReportRow, Submission, User


def _assessor_pseudonym(user_id: str) -> str:
    return "assessor-" + hashlib.sha256(f"credential:{user_id}".encode()).hexdigest()[:10]


def _advisory(session: Session, d: Decision) -> AdvisorySummary | None:
    row = session.get(ReportRow, d.job_id)
    try:
        return AdvisorySummary.from_report(load_report(row.report_json)) if row else None
    except ValidationError:  # a report of a schema too old to read: the credential goes out without the advice
        return None


def released_decision(session: Session, sub: Submission) -> tuple[ReleasedDecision, Decision]:
    a = session.get(Assessment, sub.id)
    d = session.get(Decision, a.released_decision_id) if a is not None and a.released_decision_id else None
    if a is None or d is None or a.released_at is None:
        raise ApiError("not_released", f"No decision on submission {sub.id} has been released yet.")
    candidate = session.get(User, sub.candidate_id)
    if candidate is None or is_erased(candidate):
        # The decision stays as a de-identified record; a credential would name no one.
        raise ApiError("not_found", "The candidate's data was erased on request, so no credential is issued for it.")
    markers = session.scalars(select(Decision.assessor_id).where(Decision.submission_id == sub.id,
                                                                 Decision.state == "final")).all()
    data = flow.decision_data(d)
    decision = ReleasedDecision(
        decision_id=d.id, rubric_id=d.rubric_id, rubric_version=d.rubric_version, rubric_hash=d.rubric_hash,
        # The salt is the decision's id, so the same credential is produced every time it is asked for.
        recipient=Recipient.from_email(candidate.email, salt=f"salt-{d.id}"),  # type: ignore[union-attr]
        eo_levels={k: v["level"] for k, v in data["eo_levels"].items()},
        eo_comments={k: v["comment"] for k, v in data["eo_levels"].items() if v.get("comment")},
        detail_statuses={k: v["status"] for k, v in data["details"].items()},
        detail_comments={k: v["comment"] for k, v in data["details"].items() if v.get("comment")},
        released_at=a.released_at, assessors=tuple(sorted({_assessor_pseudonym(m) for m in markers})),
        advisory=_advisory(session, d))
    return decision, d


def credential(session: Session, sub: Submission, settings: Settings) -> dict[str, Any]:
    """The released decision's credential, signed by the issuer's current key, with its place in
    the revocation list (service/issuing.py). The caller commits (a first issue allocates the
    place, and the first credential ever makes the key)."""
    decision, d = released_decision(session, sub)
    exports = settings.exports
    issuer = Issuer(id=issuing.issuer_id(settings), name=exports.issuer_name)
    if flow.outcome(d) != "earned":
        raise ApiError("not_earned", "The released decision does not reach the rubric's required level on "
                                     "every essential outcome, so no credential is issued.")
    doc = decision_credential(decision, flow.rubric_of(d), base_url=exports.base_url, issuer=issuer)
    return issuing.issue(session, settings, doc, d.id, decision.released_at)
