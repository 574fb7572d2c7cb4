"""Programs in the service: which programs a candidate follows, their progress through each, the
rules that refuse a draft, attempts and coaching, and stack credentials.

The rules themselves are the library's (screening/programs.py); this module feeds them from the
database. What counts as *earned* is a released human decision that earns the MC
(service/outcomes.py ``released`` and ``assessment.outcome``): a screening report, however good,
and a marking not yet released never count. The API (service/routers/programs.py), the candidate's
pages and the assessor's queue page call these functions.

Programs are read from the files of ``program_dirs`` (like rubric files, but not stored in the
database): the server's sessions carry the catalogue in ``session.info["programs"]``
(service/state.py); a session without it reads the folders of the current settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.exports.decision import Recipient
from screening.exports.openbadges import Issuer
from screening.exports.stack import EarnedMc, stack_credential
from screening.programs import McRecord, Program, ProgramCatalogue, Progress, may_start, progress
from screening.settings import Settings

from . import assessment as flow
from . import audit, issuing, rubric_store
from .errors import ApiError
from .models import (Assessment, CoachingRecord, CredentialStatus, Decision, ProgramEnrolment, StackCredential,
                     Submission, User)


@lru_cache(maxsize=8)
def _catalogue_for(dirs: tuple[str, ...]) -> ProgramCatalogue:
    from pathlib import Path

    return ProgramCatalogue([Path(d) for d in dirs])


def catalogue_for_settings(settings: Settings) -> ProgramCatalogue:
    return _catalogue_for(tuple(str(d) for d in settings.program_dirs))


def catalogue(session: Session) -> ProgramCatalogue:
    found = session.info.get("programs")
    if found is not None:
        return found  # type: ignore[no-any-return]
    from screening.settings import get_settings

    return catalogue_for_settings(get_settings())


def programs(session: Session) -> list[Program]:
    return catalogue(session).list()


def get_program(session: Session, program_id: str) -> Program:
    program = catalogue(session).find(program_id)
    if program is None:
        raise ApiError("not_found", f"No program {program_id}.")
    return program


# --- following a program ------------------------------------------------------------------------------

def followed_ids(session: Session, user: User) -> set[str]:
    return set(session.scalars(select(ProgramEnrolment.program_id).where(ProgramEnrolment.candidate_id == user.id)))


def follow(session: Session, user: User, program_id: str) -> None:
    program = get_program(session, program_id)
    if session.get(ProgramEnrolment, (user.id, program.id)) is None:
        try:
            with session.begin_nested():
                session.add(ProgramEnrolment(candidate_id=user.id, program_id=program.id))
            audit.append(session, user.id, "follow_program", "program", program.id, None, {"version": program.version})
        except IntegrityError:  # followed meanwhile by another request: the same result
            pass
    session.commit()


def unfollow(session: Session, user: User, program_id: str) -> None:
    program = get_program(session, program_id)
    gone = session.execute(delete(ProgramEnrolment).where(ProgramEnrolment.candidate_id == user.id,
                                                          ProgramEnrolment.program_id == program.id)).rowcount
    if gone:
        audit.append(session, user.id, "unfollow_program", "program", program.id, None, None)
    session.commit()


# --- what the candidate has done, per MC -----------------------------------------------------------------

@dataclass(frozen=True)
class Earned:
    decision_id: str
    released_at: datetime


@dataclass
class RubricWork:
    """A candidate's work on one rubric (MC), read from their submissions and released decisions."""

    earned: list[Earned]
    in_progress: bool
    submitted_at: list[datetime]  # every submitted version's time, oldest first
    coached_at: datetime | None

    @property
    def attempts(self) -> int:
        return len(self.submitted_at)

    @property
    def counted(self) -> int:
        """Attempts since the last coaching meeting: what the program's limit is checked against."""
        return sum(1 for t in self.submitted_at if self.coached_at is None or t > self.coached_at)

    def record(self) -> McRecord:
        return McRecord(earned=bool(self.earned), in_progress=self.in_progress and not self.earned,
                        attempts=self.attempts, attempts_counted=self.counted,
                        earned_by=tuple(e.decision_id for e in self.earned))


def work_on(session: Session, candidate_id: str, rubric_ids: list[str]) -> dict[str, RubricWork]:
    """Per rubric id: what the candidate earned (released decisions that earn it, earliest first),
    whether work is in progress (a draft, or a submitted version without a released decision),
    and their attempts (submitted versions)."""
    out = {r: RubricWork([], False, [], None) for r in rubric_ids}
    if not rubric_ids:
        return out
    subs = session.scalars(select(Submission).where(Submission.candidate_id == candidate_id,
                                                    Submission.rubric_id.in_(rubric_ids))).all()
    by_id = {s.id: s for s in subs}
    released: dict[str, tuple[Assessment, Decision]] = {}
    if by_id:
        rows = session.execute(select(Assessment, Decision).join(Decision, Decision.id == Assessment.released_decision_id)
                               .where(Assessment.submission_id.in_(list(by_id)), Assessment.released_at.is_not(None)))
        for a, d in rows:
            if d.submission_id == a.submission_id:
                released[a.submission_id] = (a, d)
    revoked = revoked_decisions(session, [d.id for _, d in released.values()])
    for s in sorted(subs, key=lambda s: (s.submitted_at or s.created_at, s.version)):
        w = out[s.rubric_id]
        if s.status == "draft":
            w.in_progress = True
            continue
        w.submitted_at.append(s.submitted_at or s.created_at)
        got = released.get(s.id)
        if got is None:
            w.in_progress = True  # waiting for its released decision
        elif got[1].id not in revoked and flow.outcome(got[1]) == "earned":
            w.earned.append(Earned(got[1].id, got[0].released_at))  # type: ignore[arg-type]
    for w in out.values():
        w.earned.sort(key=lambda e: (e.released_at, e.decision_id))
    coached = session.execute(select(CoachingRecord.rubric_id, CoachingRecord.held_at)
                              .where(CoachingRecord.candidate_id == candidate_id,
                                     CoachingRecord.rubric_id.in_(rubric_ids)))
    for rubric_id, held_at in coached:
        w = out[rubric_id]
        w.coached_at = held_at if w.coached_at is None or held_at > w.coached_at else w.coached_at
    return out


def revoked_decisions(session: Session, decision_ids: list[str]) -> set[str]:
    """Of these decisions, those whose MC credential an admin revoked: they earn nothing any more,
    so a stack they completed is no longer complete (and its credential was revoked with them:
    service/issuing.py ``revoke_credential``)."""
    if not decision_ids:
        return set()
    return set(session.scalars(select(CredentialStatus.decision_id).where(CredentialStatus.decision_id.in_(decision_ids),
                                                                         CredentialStatus.revoked_at.is_not(None))))


def records(program: Program, work: dict[str, RubricWork]) -> dict[str, McRecord]:
    return {m.id: work[m.rubric].record() for m in program.mcs if m.rubric and m.rubric in work}


def offered_rubrics(session: Session) -> set[str]:
    return {r.rubric_id for r in rubric_store.current_versions(session)}


def progress_of(session: Session, user: User, program: Program) -> Progress:
    work = work_on(session, user.id, program.rubric_ids())
    return progress(program, records(program, work), offered_rubrics(session))


# --- the enrolment rule: may this draft be started? ---------------------------------------------------

def lock_candidate(session: Session, user: User) -> None:
    """Serialise the starting of drafts per candidate, to the end of the caller's transaction: on
    PostgreSQL the account's row is locked (``SELECT ... FOR NO KEY UPDATE``, which does not
    block rows that merely refer to it); on SQLite a write that changes nothing takes the
    database's write lock before anything is read. Two drafts started at the same instant then
    check the program's rules one after the other, the second seeing the first's draft."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user.id).with_for_update(key_share=True))
    else:
        session.execute(update(User).where(User.id == user.id).values(role=User.role)
                        .execution_options(synchronize_session=False))


def check_new_draft(session: Session, user: User, rubric_id: str) -> None:
    """Refuse (409 ``program_rule``) a new draft for ``rubric_id`` (a first draft or a resubmission)
    that breaks a rule of a program the candidate follows: a prerequisite stack not complete, the
    limit on MCs in progress, or attempts that need a coaching meeting first.

    Takes the candidate's lock first (``lock_candidate``): the caller makes the draft in the same
    transaction and commits (or rolls back), so the check and the draft are one step."""
    lock_candidate(session, user)
    followed = followed_ids(session, user)
    if not followed:
        return
    offered = offered_rubrics(session)
    for program in programs(session):
        if program.id not in followed or not program.mcs_for_rubric(rubric_id):
            continue
        work = work_on(session, user.id, program.rubric_ids())
        refusal = may_start(program, records(program, work), rubric_id, offered)
        if refusal is not None:
            raise ApiError("program_rule", refusal.message())


# --- attempts and coaching ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """Which attempt a submitted version is, against the strictest limit of the programs its
    candidate follows that hold its MC."""

    number: int
    limit: int
    program_id: str

    @property
    def coaching_required(self) -> bool:
        return self.number >= self.limit


def attempts_of(session: Session, submissions: list[Submission]) -> dict[str, Attempt]:
    """For the assessor's queue: per submission id, its attempt number and the program's limit,
    when its candidate follows a program with an attempt limit for its MC. Says nothing of who
    the candidate is. At most three queries whatever the number of submissions (enrolments, the
    candidates' submitted versions of those MCs, their coaching meetings)."""
    rubric_ids = {s.rubric_id for s in submissions}
    limited = [p for p in programs(session) if p.attempts_limit is not None
               and any(p.mcs_for_rubric(r) for r in rubric_ids)]
    if not limited:  # no program limits attempts at these MCs: nothing to read
        return {}
    cands = {s.candidate_id for s in submissions}
    follows: dict[str, set[str]] = {}
    for cand, pid in session.execute(select(ProgramEnrolment.candidate_id, ProgramEnrolment.program_id)
                                     .where(ProgramEnrolment.candidate_id.in_(cands))):
        follows.setdefault(cand, set()).add(pid)
    relevant: dict[str, list[Program]] = {}
    for s in submissions:
        found = [p for p in limited if p.id in follows.get(s.candidate_id, set()) and p.mcs_for_rubric(s.rubric_id)]
        if found and s.status == "submitted":
            relevant[s.id] = found
    if not relevant:
        return {}
    pairs = {(s.candidate_id, s.rubric_id) for s in submissions if s.id in relevant}
    rubrics = {r for _, r in pairs}
    # As work_on counts them: every version not a draft, by submit time; attempts count anew
    # after a coaching meeting (for each version: the last meeting before it was submitted).
    versions: dict[tuple[str, str], list[datetime]] = {p: [] for p in pairs}
    for cand, rubric_id, submitted_at, created_at in session.execute(
            select(Submission.candidate_id, Submission.rubric_id, Submission.submitted_at, Submission.created_at)
            .where(Submission.candidate_id.in_({c for c, _ in pairs}), Submission.rubric_id.in_(rubrics),
                   Submission.status != "draft")):
        if (cand, rubric_id) in versions:
            versions[(cand, rubric_id)].append(submitted_at or created_at)
    coached: dict[tuple[str, str], list[datetime]] = {}
    for cand, rubric_id, held_at in session.execute(
            select(CoachingRecord.candidate_id, CoachingRecord.rubric_id, CoachingRecord.held_at)
            .where(CoachingRecord.candidate_id.in_({c for c, _ in pairs}), CoachingRecord.rubric_id.in_(rubrics))):
        coached.setdefault((cand, rubric_id), []).append(held_at)
    out: dict[str, Attempt] = {}
    for s in submissions:
        if s.id not in relevant:
            continue
        key = (s.candidate_id, s.rubric_id)
        at = s.submitted_at or s.created_at
        since = max((t for t in coached.get(key, []) if t < at), default=None)
        number = sum(1 for t in versions[key] if t <= at and (since is None or t > since))
        program = min(relevant[s.id], key=lambda p: p.attempts_limit or 0)
        out[s.id] = Attempt(number=number, limit=program.attempts_limit or 0, program_id=program.id)
    return out


def record_coaching(session: Session, admin: User, program_id: str, candidate_id: str, mc_id: str) -> CoachingRecord:
    """An admin records a coaching meeting with a candidate about one MC: its attempts count
    toward the limit again from now."""
    program = get_program(session, program_id)
    mc = program.mc(mc_id)
    if mc is None or not mc.rubric:
        raise ApiError("invalid_request", f"{mc_id!r} is not an MC of {program.id} with a rubric here.")
    cand = session.get(User, candidate_id)
    if cand is None or cand.role != "candidate":
        raise ApiError("not_found", f"No candidate {candidate_id}.")
    row = CoachingRecord(candidate_id=cand.id, program_id=program.id, rubric_id=mc.rubric, recorded_by=admin.id)
    session.add(row)
    session.flush()
    audit.append(session, admin.id, "record_coaching", "user", cand.id, None,
                 {"program": program.id, "mc": mc.id, "coaching_id": row.id})
    session.commit()
    return row


# --- stack credentials --------------------------------------------------------------------------------

def _earned_for_stack(program: Program, stack_id: str, work: dict[str, RubricWork]) -> list[EarnedMc]:
    """The MCs that complete the stack (each by its first earning decision): the earliest
    ``needed`` of them, or none while it is not complete."""
    stack = program.stack(stack_id)
    earned = sorted(_all_earned(program, stack_id, work), key=lambda e: (e.released_at, e.mc_id))
    return earned[:stack.needed] if stack is not None and earned and len(earned) >= stack.needed else []


def _stored(session: Session, user: User, program: Program, stack_id: str, earned: list[EarnedMc]) -> StackCredential:
    """The stack's credential record, made once when it is first asked for after completion."""
    query = select(StackCredential).where(StackCredential.candidate_id == user.id,
                                          StackCredential.program_id == program.id,
                                          StackCredential.program_version == program.version,
                                          StackCredential.stack_id == stack_id)
    row = session.scalar(query)
    if row is not None:
        return row
    data = [{"mc": e.mc_id, "title": e.title, "rubric_id": e.rubric_id, "decision_id": e.decision_id,
             "released_at": e.released_at.isoformat()} for e in earned]
    try:
        with session.begin_nested():
            row = StackCredential(candidate_id=user.id, program_id=program.id, program_version=program.version,
                                  stack_id=stack_id, decisions_json=json.dumps(data),
                                  completed_at=max(e.released_at for e in earned))
            session.add(row)
        audit.append(session, user.id, "issue_stack_credential", "program", program.id, None,
                     {"stack": stack_id, "credential": row.id, "decisions": [e.decision_id for e in earned]})
        return row
    except IntegrityError:  # another request made it meanwhile
        return session.scalars(query).one()


def stack_credential_of(session: Session, user: User, program_id: str, stack_id: str,
                        settings: Settings) -> dict[str, Any]:
    """The candidate's credential for a completed stack or pathway, signed by the issuer's
    current key, with its place in the revocation list. 409 ``stack_incomplete`` before
    completion (or for a kind that gives no credential). The caller commits."""
    program = get_program(session, program_id)
    stack = program.stack(stack_id)
    if stack is None:
        raise ApiError("not_found", f"No stack {stack_id} in program {program.id}.")
    if not stack.gives_credential:
        raise ApiError("stack_incomplete", f"{stack.title} groups MCs by purpose: it has no credential of its own.")
    work = work_on(session, user.id, program.rubric_ids())
    earned = _earned_for_stack(program, stack.id, work)
    if not earned:
        have = len({e.mc_id for e in _all_earned(program, stack.id, work)})
        raise ApiError("stack_incomplete", f"{stack.title} needs {stack.needed} micro-credentials earned; "
                                           f"released decisions earn {have} so far.")
    row = _stored(session, user, program, stack.id, earned)
    kept = [EarnedMc(mc_id=e["mc"], title=e["title"], rubric_id=e["rubric_id"], decision_id=e["decision_id"],
                     released_at=datetime.fromisoformat(e["released_at"])) for e in json.loads(row.decisions_json)]
    exports = settings.exports
    issuer = Issuer(id=issuing.issuer_id(settings), name=exports.issuer_name)
    recipient = Recipient.from_email(user.email, salt=f"salt-{row.id}")
    doc = stack_credential(program, stack, kept, recipient, credential_id=row.id, base_url=exports.base_url,
                           issuer=issuer)
    return issuing.issue(session, settings, doc, row.id, row.completed_at)


def _all_earned(program: Program, stack_id: str, work: dict[str, RubricWork]) -> list[EarnedMc]:
    stack = program.stack(stack_id)
    out = []
    for mc_id in stack.mcs if stack else ():
        mc = program.mc(mc_id)
        w = work.get(mc.rubric or "") if mc else None
        if mc and mc.rubric and w and w.earned:
            out.append(EarnedMc(mc.id, mc.title, mc.rubric, w.earned[0].decision_id, w.earned[0].released_at))
    return out


def issued_stack_credentials(session: Session, user: User) -> dict[tuple[str, str], StackCredential]:
    rows = session.scalars(select(StackCredential).where(StackCredential.candidate_id == user.id))
    return {(r.program_id, r.stack_id): r for r in rows}
