"""A released human decision as a signed Open Badges 3.0 AchievementCredential.

Only what assessors confirmed becomes a ``Result``; the screener's advice goes in the namespaced
extension (screening/exports/openbadges.py). A credential says the achievement was earned, so a
decision below the rubric's required level gives none (``not_earned``). It carries an
``eddsa-rdfc-2022`` proof made with the service's issuer key (screening/exports/signing.py),
dated at the release, so asking again gives the same credential.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.exports.decision import AdvisorySummary, Recipient, ReleasedDecision
from screening.exports.openbadges import Issuer, decision_credential
from screening.exports.signing import SigningKey, load_or_create_key, sign
from screening.report.model import load_report
from screening.settings import Settings

from . import assessment as flow
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


@lru_cache(maxsize=4)
def issuer_key(path: Path) -> SigningKey:
    return load_or_create_key(path)


def credential(session: Session, sub: Submission, settings: Settings) -> dict[str, Any]:
    decision, d = released_decision(session, sub)
    exports, svc = settings.exports, settings.service
    key = issuer_key(svc.resolved_signing_key_file()) if svc.sign_credentials else None
    # Signed, the issuer is named by its key's did:key, which any verifier resolves offline.
    issuer_id = key.did if key is not None else f"{exports.base_url.rstrip('/')}/issuer"
    issuer = Issuer(id=issuer_id, name=exports.issuer_name)
    if flow.outcome(d) != "earned":
        raise ApiError("not_earned", "The released decision does not reach the rubric's required level on "
                                     "every essential outcome, so no credential is issued.")
    doc = decision_credential(decision, flow.rubric_of(d), base_url=exports.base_url, issuer=issuer)
    return sign(doc, key, decision.released_at, proof_list=True) if key is not None else doc
