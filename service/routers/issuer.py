"""The issuer: its public profile and revocation list (for anyone verifying a credential), and
the admin's key and revocation management (service/issuing.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from .. import issuing
from ..deps import DB, State, require
from ..errors import ApiError, problem_responses
from ..issuing import credentials_out, key_out
from ..models import User
from ..schemas import CredentialOut, IssuerKeyOut

public = APIRouter(tags=["issuer"])
router = APIRouter(prefix="/api", tags=["issuer"])
Admin = Annotated[User, Depends(require("admin"))]
_AUTH = ("unauthenticated", "token_expired", "forbidden")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=500, description="Why, for the audit log (not published).")


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
    return [key_out(k, state.settings, current) for k in issuing.keys(session)]


@router.post("/issuer/keys", status_code=201, response_model=IssuerKeyOut, responses=problem_responses(*_AUTH))
def rotate_key(session: DB, state: State, admin: Admin) -> IssuerKeyOut:
    """Admin: rotate. A new key signs from now on; the previous one is retired and keeps verifying."""
    row = issuing.rotate(session, admin)
    session.commit()
    return key_out(row, state.settings, row.id)


@router.post("/issuer/keys/{key_id}/revoke", response_model=IssuerKeyOut,
             responses=problem_responses(*_AUTH, "not_found"))
def revoke_key(key_id: str, session: DB, state: State, admin: Admin) -> IssuerKeyOut:
    """Admin: revoke a compromised key. Every credential it signed stops verifying (asking for one
    again signs it with the current key)."""
    row = issuing.revoke_key(session, admin, key_id)
    session.commit()
    current = issuing.signing_key(session).id
    session.commit()
    return key_out(row, state.settings, current)


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
