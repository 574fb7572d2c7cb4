"""The issuer: its public profile and revocation list (for anyone verifying a credential), and
the admin's key and revocation management (service/issuing.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from .. import issuing
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..models import Assessment, IssuerKey, StackCredential, Submission, User

public = APIRouter(tags=["issuer"])
router = APIRouter(prefix="/api", tags=["issuer"])
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


class IssuerKeyOut(BaseModel):
    id: str
    public_key_multibase: str
    verification_method: str
    state: Literal["signing", "retired", "revoked"]
    created_at: datetime
    retired_at: datetime | None
    revoked_at: datetime | None


class CredentialOut(BaseModel):
    decision_id: str = Field(description="The released decision, or the completed stack, the credential is for.")
    kind: Literal["mc", "stack"]
    submission_id: str | None
    rubric_id: str | None
    stack: str | None = Field(None, description="A stack credential's program and stack, as program/stack.")
    list_index: int
    issued_at: datetime
    revoked_at: datetime | None
    reason: str | None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=500, description="Why, for the audit log (not published).")


def key_out(row: IssuerKey, state: State, current: str | None) -> IssuerKeyOut:
    kind = "revoked" if row.revoked_at else "signing" if row.id == current else "retired"
    return IssuerKeyOut(id=row.id, public_key_multibase=row.public_key_multibase,
                        verification_method=issuing.method_id(state.settings, row), state=kind,  # type: ignore[arg-type]
                        created_at=row.created_at, retired_at=row.retired_at, revoked_at=row.revoked_at)


def credentials_out(session: DB) -> list[CredentialOut]:
    out = []
    for row in issuing.issued(session):
        a = session.scalar(select(Assessment).where(Assessment.released_decision_id == row.decision_id))
        sub = session.get(Submission, a.submission_id) if a is not None else None
        stack = session.get(StackCredential, row.decision_id) if sub is None else None
        out.append(CredentialOut(decision_id=row.decision_id, kind="stack" if stack else "mc",
                                 submission_id=sub.id if sub else None, rubric_id=sub.rubric_id if sub else None,
                                 stack=f"{stack.program_id}/{stack.stack_id}" if stack else None,
                                 list_index=row.list_index, issued_at=row.created_at, revoked_at=row.revoked_at,
                                 reason=row.reason))
    return out


# --- public documents (no sign-in: verifiers fetch them) ---------------------------------------

@public.get("/issuer", response_class=JSONResponse, summary="The issuer's profile and public keys")
def issuer_profile(session: DB, state: State) -> JSONResponse:
    """The issuer's OB 3.0 Profile, which is also the controller document of its keys: every
    credential's verificationMethod is one of these Multikeys."""
    doc = issuing.profile(session, state.settings)
    session.commit()
    return JSONResponse(doc, media_type="application/json", headers={"Cache-Control": "public, max-age=300"})


@public.get("/status/{list_id}", response_class=JSONResponse, summary="The revocation list",
            responses=problem_responses("not_found"))
def status_list(list_id: str, session: DB, state: State) -> JSONResponse:
    """The signed BitstringStatusListCredential every credential's credentialStatus points to."""
    if list_id != issuing.STATUS_LIST_ID:
        raise ApiError("not_found", f"No status list {list_id}.")
    doc = issuing.status_list_credential(session, state.settings)
    session.commit()  # the first document ever makes the signing key
    return JSONResponse(doc, media_type="application/json", headers={"Cache-Control": "no-cache"})


# --- admin -----------------------------------------------------------------------------------

@router.get("/issuer/keys", response_model=list[IssuerKeyOut], responses=problem_responses(*_AUTH))
def list_keys(session: DB, state: State, _: Admin) -> list[IssuerKeyOut]:
    """Admin: the issuer's keys, the one signing now, retired ones (they still verify what they
    signed) and revoked ones (nothing they signed verifies)."""
    current = issuing.signing_key(session).id
    session.commit()
    return [key_out(k, state, current) for k in issuing.keys(session)]


@router.post("/issuer/keys", status_code=201, response_model=IssuerKeyOut, responses=problem_responses(*_AUTH))
def rotate_key(session: DB, state: State, admin: Admin) -> IssuerKeyOut:
    """Admin: rotate. A new key signs from now on; the previous one is retired and keeps verifying."""
    row = issuing.rotate(session, admin)
    session.commit()
    return key_out(row, state, row.id)


@router.post("/issuer/keys/{key_id}/revoke", response_model=IssuerKeyOut,
             responses=problem_responses(*_AUTH, "not_found"))
def revoke_key(key_id: str, session: DB, state: State, admin: Admin) -> IssuerKeyOut:
    """Admin: revoke a compromised key. Every credential it signed stops verifying (asking for one
    again signs it with the current key)."""
    row = issuing.revoke_key(session, admin, key_id)
    session.commit()
    current = issuing.signing_key(session).id
    session.commit()
    return key_out(row, state, current)


@router.get("/credentials", response_model=list[CredentialOut], responses=problem_responses(*_AUTH))
def list_credentials(session: DB, _: Admin) -> list[CredentialOut]:
    """Admin: the credentials issued (by decision), with their revocation state."""
    return credentials_out(session)


@router.post("/credentials/{decision_id}/revoke", response_model=CredentialOut,
             responses=problem_responses(*_AUTH, "not_found", "invalid_request", "malformed_json"))
def revoke_credential(decision_id: str, body: RevokeIn, session: DB, admin: Admin) -> CredentialOut:
    """Admin: revoke an issued credential; the revocation list says so from now on."""
    issuing.revoke_credential(session, admin, decision_id, body.reason)
    session.commit()
    return next(c for c in credentials_out(session) if c.decision_id == decision_id)
