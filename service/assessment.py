"""The assessor workflow's rules: stages, claims, decisions and their release.

    first ──(single marking: release)──────────────────────────────▶ released
      └──(double marking: first marker done)──▶ second ──(second marker done)──▶ reconcile ──▶ released

A claim is a time-limited lock on one submission (``service.claim_minutes``), taken with a
conditional UPDATE so of two assessors racing exactly one wins. Only the claim holder may decide.
Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.errors import ScreeningError
from screening.rubric import Rubric
from screening.settings import ServiceSettings

from . import audit, rubric_store
from .errors import ApiError
from .models import Assessment, Decision, Job, ReportRow, Submission, User, utcnow

STAGE_ROLE = {"first": "first", "second": "second", "reconcile": "reconciler"}
FLAG_DECISIONS = ("confirmed", "overridden")
STATUSES = ("met", "weak", "missing")


def double_marking(svc: ServiceSettings, rubric_id: str) -> bool:
    return "*" in svc.second_marking or rubric_id in svc.second_marking


@dataclass(frozen=True)
class Screened:
    job_id: str
    report: dict[str, Any]


def screened(session: Session, sub: Submission) -> Screened:
    """The newest finished screening of a submitted submission (what assessors judge)."""
    row = session.execute(
        select(Job.id, ReportRow.report_json).join(ReportRow, ReportRow.job_id == Job.id)
        .where(Job.submission_id == sub.id, Job.purpose == "screening", Job.state == "done")
        .order_by(Job.finished_at.desc(), Job.id).limit(1)
    ).first()
    if row is None or sub.status != "submitted":
        raise ApiError("not_screened", f"Submission {sub.id} has no finished screening yet.")
    return Screened(row[0], json.loads(row[1]))


def ensure(session: Session, sub: Submission, svc: ServiceSettings) -> Assessment:
    a = session.get(Assessment, sub.id)
    if a is not None:
        return a
    try:
        with session.begin_nested():  # two first claims racing: one inserts, the other reads it
            session.add(Assessment(submission_id=sub.id, double_marking=double_marking(svc, sub.rubric_id)))
    except IntegrityError:
        pass
    a = session.get(Assessment, sub.id)
    assert a is not None
    return a


def _snapshot(a: Assessment) -> dict[str, Any]:
    return {"stage": a.stage, "claimed_by": a.claimed_by, "assigned_to": a.assigned_to,
            "claim_expires_at": a.claim_expires_at.isoformat() if a.claim_expires_at else None}


def claim_is_live(a: Assessment) -> bool:
    return a.claimed_by is not None and a.claim_expires_at is not None and a.claim_expires_at > utcnow()


def has_marked(session: Session, user: User, sub_id: str) -> bool:
    return session.scalar(select(Decision.id).where(Decision.submission_id == sub_id, Decision.assessor_id == user.id,
                                                    Decision.state == "final").limit(1)) is not None


def why_not_claimable(session: Session, user: User, a: Assessment, marked: bool | None = None) -> str | None:
    """The error code that would refuse ``user``'s claim now, or None when they may claim.
    ``marked``: whether ``user`` released a marking of it, when the caller knows already (the
    queue does, from its entries); else read from the decisions."""
    if a.stage == "released":
        return "already_released"
    if user.role == "admin" and a.stage != "reconcile":
        return "reconciler_only"
    if a.stage in ("second", "reconcile") and (
            marked if marked is not None else has_marked(session, user, a.submission_id)):
        return "already_marked"
    if a.assigned_to is not None and a.assigned_to != user.id:
        return "assigned_elsewhere"
    if claim_is_live(a) and a.claimed_by != user.id:
        return "claim_held"
    return None


def claim(session: Session, user: User, sub: Submission, svc: ServiceSettings) -> Assessment:
    screened(session, sub)
    a = ensure(session, sub, svc)
    code = why_not_claimable(session, user, a)
    if code is not None:
        raise ApiError(code)
    before = _snapshot(a)
    now = utcnow()
    # The same conditions as above, checked again by the database in one statement: of two
    # assessors racing, exactly one changes the row.
    won = session.execute(
        update(Assessment).where(
            Assessment.submission_id == sub.id, Assessment.stage == a.stage,
            or_(Assessment.claimed_by.is_(None), Assessment.claimed_by == user.id, Assessment.claim_expires_at <= now),
            or_(Assessment.assigned_to.is_(None), Assessment.assigned_to == user.id),
        ).values(claimed_by=user.id, claim_expires_at=now + timedelta(minutes=svc.claim_minutes))
    ).rowcount
    if won != 1:
        session.rollback()
        raise ApiError("claim_held", "Another assessor claimed this submission a moment ago.")
    session.refresh(a)  # (the queue's entry followed: models._bulk_changes_to_queue)
    audit.append(session, user.id, "claim", "submission", sub.id, before, _snapshot(a))
    return a


def release_claim(session: Session, user: User, sub: Submission) -> Assessment:
    a = session.get(Assessment, sub.id)
    if a is None or a.claimed_by is None or (a.claimed_by != user.id and user.role != "admin"):
        raise ApiError("no_claim", "You hold no claim on this submission.")
    before = _snapshot(a)
    a.claimed_by, a.claim_expires_at = None, None
    session.flush()
    audit.append(session, user.id, "release_claim", "submission", sub.id, before, _snapshot(a))
    return a


def assign(session: Session, admin: User, sub: Submission, assessor_id: str | None, svc: ServiceSettings) -> Assessment:
    screened(session, sub)
    if assessor_id is not None:
        target = session.get(User, assessor_id)
        if target is None or target.role != "assessor":
            raise ApiError("not_an_assessor", f"User {assessor_id} is not an assessor.")
    a = ensure(session, sub, svc)
    if a.stage == "released":
        raise ApiError("already_released")
    before = _snapshot(a)
    a.assigned_to = assessor_id
    session.flush()
    audit.append(session, admin.id, "assign", "submission", sub.id, before, _snapshot(a))
    return a


def live_claim(session: Session, user: User, sub: Submission) -> Assessment:
    """The assessment, if ``user`` holds a live claim on it; the precise refusal otherwise."""
    a = session.get(Assessment, sub.id)
    if a is not None and a.stage == "released":
        raise ApiError("already_released")
    if a is None or a.claimed_by != user.id:
        raise ApiError("no_claim")
    if not claim_is_live(a):
        raise ApiError("claim_expired", f"Your claim expired at {a.claim_expires_at.isoformat()}: claim it again.")
    return a


# --- decisions ------------------------------------------------------------------------------------

def rubric_of(d: Decision) -> Rubric:
    return Rubric.model_validate(json.loads(d.rubric_snapshot))


def decision_data(d: Decision) -> dict[str, Any]:
    return {"flags": json.loads(d.flags_json), "details": json.loads(d.details_json),
            "eo_levels": json.loads(d.levels_json), "state": d.state}


def my_decision(session: Session, user: User, a: Assessment) -> Decision | None:
    role = STAGE_ROLE.get(a.stage)
    if role is None:
        return None
    return session.scalar(select(Decision).where(Decision.submission_id == a.submission_id,
                                                 Decision.assessor_id == user.id, Decision.role == role))


def open_decision(session: Session, user: User, a: Assessment, work: Screened) -> Decision:
    d = my_decision(session, user, a)
    if d is not None:
        return d
    rubric_id, version = work.report["rubric"]["id"], str(work.report["rubric"]["version"])
    try:
        rubric = rubric_store.load(session, rubric_id, version)
    except ScreeningError as exc:
        raise ApiError("unknown_rubric", exc.message) from None
    if rubric is None:
        raise ApiError("unknown_rubric", f"The service no longer holds rubric {rubric_id} {version}, "
                                         "which the report was made on.")
    # The exact version the report was made on, copied whole: nothing later can change this decision.
    d = Decision(submission_id=a.submission_id, assessor_id=user.id, role=STAGE_ROLE[a.stage], job_id=work.job_id,
                 rubric_id=rubric.id, rubric_version=rubric.version, rubric_hash=rubric.content_hash,
                 rubric_snapshot=rubric.model_dump_json())
    session.add(d)
    session.flush()
    return d


def flag_refs(report: dict[str, Any]) -> list[str]:
    from screening.pilot import flag_ref

    return [flag_ref(i) for i in range(len(report.get("flags", [])))]


def update_decision(session: Session, user: User, d: Decision, report: dict[str, Any], change: dict[str, Any]) -> None:
    """Merge ``change`` (flags, details, eo_levels: each a mapping of target → judgment)."""
    rubric = rubric_of(d)
    refs = set(flag_refs(report))
    details = {det.id for _, det in rubric.details()}
    eos = {eo.id for eo in rubric.essential_outcomes}
    levels = [lvl.id for lvl in rubric.proficiency_levels]
    unknown = ([f"flag {k}" for k in change.get("flags", {}) if k not in refs]
               + [f"detail {k}" for k in change.get("details", {}) if k not in details]
               + [f"EO {k}" for k in change.get("eo_levels", {}) if k not in eos])
    if unknown:
        raise ApiError("unknown_target", f"Not in this submission's report and rubric: {', '.join(unknown)}. "
                       f"Flags are {', '.join(sorted(refs)) or 'none'}.")
    bad = [f"{eo}: {v['level']!r}" for eo, v in change.get("eo_levels", {}).items() if v["level"] not in levels]
    if bad:
        raise ApiError("unknown_level", f"Levels must be one of {', '.join(levels)} (rubric {rubric.id} "
                       f"{rubric.version}); got {'; '.join(bad)}.")
    before = decision_data(d)
    merged = {k: {**before[k], **change.get(k, {})} for k in ("flags", "details", "eo_levels")}
    d.flags_json = audit.canonical(merged["flags"])
    d.details_json = audit.canonical(merged["details"])
    d.levels_json = audit.canonical(merged["eo_levels"])
    d.updated_at = utcnow()
    session.flush()
    audit.append(session, user.id, "decide", "decision", d.id, before, decision_data(d))


def missing_parts(d: Decision, report: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The first kind of judgment still missing (as its error code) and what is missing."""
    data, rubric = decision_data(d), rubric_of(d)
    checks = [("undecided_flags", flag_refs(report), data["flags"]),
              ("undecided_details", [det.id for _, det in rubric.details()], data["details"]),
              ("undecided_levels", [eo.id for eo in rubric.essential_outcomes], data["eo_levels"])]
    for code, wanted, given in checks:
        missing = [k for k in wanted if k not in given]
        if missing:
            return code, missing
    return None


def agreement(a: Decision, b: Decision) -> float:
    """Share of details and EO levels on which two markings agree."""
    da, db = decision_data(a), decision_data(b)
    pairs = [(da["details"].get(k, {}).get("status"), v.get("status")) for k, v in db["details"].items()]
    pairs += [(da["eo_levels"].get(k, {}).get("level"), v.get("level")) for k, v in db["eo_levels"].items()]
    return sum(x == y for x, y in pairs) / len(pairs) if pairs else 1.0


def release(session: Session, user: User, a: Assessment, d: Decision, report: dict[str, Any]) -> Assessment:
    """Finish the caller's marking: the next stage, or the released decision."""
    gap = missing_parts(d, report)
    if gap is not None:
        code, missing = gap
        raise ApiError(code, f"Still undecided: {', '.join(missing)}.")
    before = _snapshot(a)
    now = utcnow()
    d.state, d.finalised_at = "final", now
    if a.stage == "first" and a.double_marking:
        a.stage = "second"
    elif a.stage == "second":
        first = session.scalar(select(Decision).where(Decision.submission_id == a.submission_id,
                                                      Decision.role == "first", Decision.state == "final"))
        a.agreement = agreement(first, d) if first is not None else None
        a.stage = "reconcile"
    else:
        a.stage, a.released_at, a.released_decision_id = "released", now, d.id
    a.claimed_by = a.claim_expires_at = a.assigned_to = None
    session.flush()  # the queue's entry follows (stage, claim, markers: models.sync_queue_claims)
    after = {**_snapshot(a), "agreement": a.agreement, "decision": d.id}
    audit.append(session, user.id, "release" if a.stage == "released" else "finish_marking", "submission",
                 a.submission_id, before, after)
    return a


def visible_decisions(session: Session, user: User, a: Assessment | None, sub_id: str) -> list[Decision]:
    """Decisions the caller may read now. Before both markings of a double-marked submission
    are in, the others' stay sealed (asking for them is refused, not answered with a partial list)."""
    if a is not None and a.double_marking and a.stage in ("first", "second"):
        raise ApiError("decision_sealed", "Both independent markings must be in before anyone reads them; "
                       "your own marking is in GET /api/assessments/{id}.")
    query = select(Decision).where(Decision.submission_id == sub_id).order_by(Decision.created_at, Decision.id)
    if a is None or (a.stage == "first" and not a.double_marking):
        query = query.where(Decision.assessor_id == user.id)  # single marking under way: one's own
    elif a.stage == "reconcile":
        query = query.where(or_(Decision.state == "final", Decision.assessor_id == user.id))
    else:  # released: the final markings, not abandoned drafts
        query = query.where(Decision.state == "final")
    return list(session.scalars(query))


def outcome(d: Decision) -> str:
    """``earned`` when every EO's level is at or above the rubric's required level (levels are
    listed highest first), else ``not_yet``."""
    rubric = rubric_of(d)
    order = [lvl.id for lvl in rubric.proficiency_levels]
    required = order.index(rubric.required_level)
    levels = decision_data(d)["eo_levels"]
    ok = all(eo.id in levels and order.index(levels[eo.id]["level"]) <= required for eo in rubric.essential_outcomes)
    return "earned" if ok else "not_yet"
