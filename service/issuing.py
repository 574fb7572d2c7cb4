"""Issuing signed credentials: the issuer's keys, its published profile, and the revocation list.

- **Keys** (``IssuerKey``): the newest key that is neither retired nor revoked signs; one is made
  on first use. An admin *rotates* (a new key signs from then on; the old one is retired and
  still verifies what it signed) or *revokes* a key (compromised: nothing it signed verifies).
- **The issuer's profile** at ``{exports.base_url}/issuer``: an OB 3.0 ``Profile`` that is also
  the controller document of its keys (``verificationMethod`` with each ``Multikey``;
  ``assertionMethod`` lists the keys that may sign credentials; a revoked key is marked
  ``revoked``). A credential's ``verificationMethod`` is ``{base}/issuer#{publicKeyMultibase}``.
- **Revocation** (``CredentialStatus``): each credential gets a random place in a W3C Bitstring
  Status List of 131,072 entries (random, so a place says nothing about when or to whom it was
  issued) published, signed, at ``{base}/status/1``; revoking a credential sets its bit.

Every change is audited. Verifiers need nothing but these two public documents
(screening/exports/verification.py, ``screening verify-credential``).
"""

from __future__ import annotations

import base64
import gzip
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.exports.signing import CONTEXT_FILES, SigningKey, sign
from screening.settings import Settings

from . import audit
from .errors import ApiError
from .models import Assessment, CredentialStatus, IssuerKey, StackCredential, Submission, User, utcnow
from .schemas import CredentialOut, IssuerKeyOut

VC_CONTEXT = next(iter(CONTEXT_FILES))
STATUS_LIST_BITS = 131_072  # 16 KB: the size the Bitstring Status List spec gives for group privacy
STATUS_LIST_ID = "1"


def base_url(settings: Settings) -> str:
    return settings.exports.base_url.rstrip("/")


def issuer_id(settings: Settings) -> str:
    return f"{base_url(settings)}/issuer"


def method_id(settings: Settings, key: IssuerKey) -> str:
    return f"{issuer_id(settings)}#{key.public_key_multibase}"


def status_list_url(settings: Settings) -> str:
    return f"{base_url(settings)}/status/{STATUS_LIST_ID}"


# --- keys -------------------------------------------------------------------------------------

def _new_key(session: Session) -> IssuerKey:
    key = SigningKey.generate()
    row = IssuerKey(public_key_multibase=key.public_multibase, secret_key_multibase=key.secret_multibase)
    session.add(row)
    session.flush()
    return row


def signing_key(session: Session) -> IssuerKey:
    """The key that signs now, made on first use."""
    row = session.scalar(select(IssuerKey).where(IssuerKey.retired_at.is_(None), IssuerKey.revoked_at.is_(None))
                         .order_by(IssuerKey.created_at.desc(), IssuerKey.id).limit(1))
    if row is None:
        row = _new_key(session)
        audit.append(session, None, "create_issuer_key", "issuer_key", row.id, None,
                     {"public_key": row.public_key_multibase, "by": "first credential"})
    return row


def keys(session: Session) -> list[IssuerKey]:
    return list(session.scalars(select(IssuerKey).order_by(IssuerKey.created_at, IssuerKey.id)))


def rotate(session: Session, admin: User) -> IssuerKey:
    """A new signing key; the current one is retired (it still verifies what it signed)."""
    now = utcnow()
    for row in session.scalars(select(IssuerKey).where(IssuerKey.retired_at.is_(None))):
        row.retired_at = now
        audit.append(session, admin.id, "retire_issuer_key", "issuer_key", row.id, None, {"retired_at": now.isoformat()})
    new = _new_key(session)
    audit.append(session, admin.id, "create_issuer_key", "issuer_key", new.id, None,
                 {"public_key": new.public_key_multibase, "by": "rotation"})
    return new


def revoke_key(session: Session, admin: User, key_id: str) -> IssuerKey:
    """A compromised key: every credential it signed stops verifying. Those credentials can be
    issued again (asking for them signs them with the current key)."""
    row = session.get(IssuerKey, key_id)
    if row is None:
        raise ApiError("not_found", f"No issuer key {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.retired_at = row.retired_at or row.revoked_at
        audit.append(session, admin.id, "revoke_issuer_key", "issuer_key", row.id, None,
                     {"public_key": row.public_key_multibase})
    return row


def profile(session: Session, settings: Settings) -> dict[str, Any]:
    """The issuer's public profile and controller document of its keys."""
    me = issuer_id(settings)
    signing_key(session)  # a new installation publishes the key it will sign with
    methods, assertion = [], []
    for row in keys(session):
        vm: dict[str, Any] = {"id": method_id(settings, row), "type": "Multikey", "controller": me,
                              "publicKeyMultibase": row.public_key_multibase}
        if row.revoked_at is not None:
            vm["revoked"] = _iso(row.revoked_at)
        else:
            assertion.append(vm["id"])
        methods.append(vm)
    return {"@context": [VC_CONTEXT, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": me, "type": ["Profile"], "name": settings.exports.issuer_name,
            "verificationMethod": methods, "assertionMethod": assertion}


def _iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def issue(session: Session, settings: Settings, doc: dict[str, Any], status_id: str, created: datetime) -> dict[str, Any]:
    """``doc`` as issued: with its place in the revocation list (kept under ``status_id``: a
    decision's or a stack credential's id) and signed by the current key at ``created``; as it is
    when ``service.sign_credentials`` is off. The caller commits."""
    if not settings.service.sign_credentials:
        return doc
    doc = {**doc, "credentialStatus": status_entry(session, status_id, settings)}
    key = signing_key(session)
    return sign(doc, SigningKey.from_secret_multibase(key.secret_key_multibase), created,
                verification_method=method_id(settings, key), proof_list=True)


# --- revocation -------------------------------------------------------------------------------

def status_entry(session: Session, decision_id: str, settings: Settings) -> dict[str, Any]:
    """The credential's ``credentialStatus``: its place in the revocation list (allocated once)."""
    row = _place(session, decision_id)
    url = status_list_url(settings)
    return {"id": f"{url}#{row.list_index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(row.list_index), "statusListCredential": url}


def _place(session: Session, status_id: str) -> CredentialStatus:
    """The credential's place in the revocation list, allocated now if it has none yet."""
    row = session.get(CredentialStatus, status_id)
    while row is None:
        try:
            with session.begin_nested():
                session.add(CredentialStatus(decision_id=status_id, list_index=secrets.randbelow(STATUS_LIST_BITS)))
            row = session.get(CredentialStatus, status_id)
        except IntegrityError:  # the place is taken (or another request allocated this one): again
            row = session.get(CredentialStatus, status_id)
    return row


def revoke_credential(session: Session, admin: User, decision_id: str, reason: str) -> CredentialStatus:
    """Revoke an issued credential (an MC's, by its decision id, or a stack's, by its id). Revoking
    an MC credential also revokes every stack credential built on that decision: the stack is no
    longer complete (service/programs.py does not count a revoked decision as earned)."""
    row = session.get(CredentialStatus, decision_id)
    if row is None:
        raise ApiError("not_found", f"No credential was issued for decision {decision_id}.")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by, row.reason = utcnow(), admin.id, reason.strip() or None
        audit.append(session, admin.id, "revoke_credential", "decision", decision_id, None,
                     {"list_index": row.list_index, "reason": row.reason})
    revoke_stacks_built_on(session, admin, decision_id, row.reason)
    return row


def stacks_built_on(session: Session, decision_id: str) -> list[StackCredential]:
    """The stack credentials whose completion counted this MC decision."""
    import json

    found = session.scalars(select(StackCredential).where(StackCredential.decisions_json.contains(decision_id)))
    return [s for s in found if any(e.get("decision_id") == decision_id for e in json.loads(s.decisions_json))]


def revoke_stacks_built_on(session: Session, admin: User, decision_id: str, reason: str | None) -> list[str]:
    """Revoke the stack credentials built on a revoked MC credential, each with its reason stated
    and audited (``revoke_credential`` with ``because_of``). A stack credential made but never
    fetched gets its place in the list now, revoked, so it can never be issued as valid."""
    done = []
    for stack in stacks_built_on(session, decision_id):
        place = _place(session, stack.id)
        if place.revoked_at is not None:
            continue
        why = f"The micro-credential credential it was built on (decision {decision_id}) was revoked"
        place.revoked_at, place.revoked_by = utcnow(), admin.id
        place.reason = f"{why}: {reason}" if reason else f"{why}."
        audit.append(session, admin.id, "revoke_credential", "stack_credential", stack.id, None,
                     {"list_index": place.list_index, "reason": place.reason, "because_of": decision_id,
                      "stack": f"{stack.program_id}/{stack.stack_id}"})
        done.append(stack.id)
    return done


def issued(session: Session) -> list[CredentialStatus]:
    return list(session.scalars(select(CredentialStatus).order_by(CredentialStatus.created_at)))


def encoded_list(revoked: list[int], bits: int = STATUS_LIST_BITS) -> str:
    """The spec's ``encodedList``: the bitstring (index 0 = the first byte's highest bit),
    GZIP-compressed, multibase base64url without padding."""
    data = bytearray(bits // 8)
    for i in revoked:
        data[i // 8] |= 0x80 >> (i % 8)
    packed = gzip.compress(bytes(data), mtime=0)  # mtime 0: the same list gives the same bytes
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_credential(session: Session, settings: Settings) -> dict[str, Any]:
    """The revocation list as a signed ``BitstringStatusListCredential``."""
    rows = session.scalars(select(CredentialStatus).where(CredentialStatus.revoked_at.is_not(None))).all()
    revoked = [r.list_index for r in rows]
    latest = max((r.revoked_at for r in rows if r.revoked_at is not None), default=None)
    key = signing_key(session)
    when = latest or key.created_at
    url = status_list_url(settings)
    doc = {"@context": [VC_CONTEXT], "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
           "issuer": issuer_id(settings), "validFrom": _iso(when),
           "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                                 "encodedList": encoded_list(revoked)}}
    return sign(doc, SigningKey.from_secret_multibase(key.secret_key_multibase), when,
                verification_method=method_id(settings, key))


# --- views for the API and the admin page ------------------------------------------------------

def key_out(row: IssuerKey, settings: Settings, current: str | None) -> IssuerKeyOut:
    kind = "revoked" if row.revoked_at else "signing" if row.id == current else "retired"
    return IssuerKeyOut(id=row.id, public_key_multibase=row.public_key_multibase,
                        verification_method=method_id(settings, row), state=kind,  # type: ignore[arg-type]
                        created_at=row.created_at, retired_at=row.retired_at, revoked_at=row.revoked_at)


def credentials_out(session: Session) -> list[CredentialOut]:
    out = []
    for row in issued(session):
        a = session.scalar(select(Assessment).where(Assessment.released_decision_id == row.decision_id))
        sub = session.get(Submission, a.submission_id) if a is not None else None
        stack = session.get(StackCredential, row.decision_id) if sub is None else None
        out.append(CredentialOut(decision_id=row.decision_id, kind="stack" if stack else "mc",
                                 submission_id=sub.id if sub else None, rubric_id=sub.rubric_id if sub else None,
                                 stack=f"{stack.program_id}/{stack.stack_id}" if stack else None,
                                 list_index=row.list_index, issued_at=row.created_at, revoked_at=row.revoked_at,
                                 reason=row.reason))
    return out
