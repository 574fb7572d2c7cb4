"""Verifying a credential the way a relying party would: proof, key, dates, revocation, schema.

``verify_credential(doc, fetch=...)`` runs every check and returns them all, so a person reading
the result sees what passed as well as what failed:

- **proof**: the ``eddsa-rdfc-2022`` signature (screening/exports/signing.py);
- **key**: the verification method is the issuer's: a ``did:key`` that *is* the issuer, or a
  ``Multikey`` in the issuer's published profile (controller document) whose ``controller`` is
  the issuer, listed under ``assertionMethod`` and not ``revoked``;
- **dates**: ``validFrom`` has come and ``validUntil`` (if any) has not passed;
- **revocation**: for each ``BitstringStatusListEntry`` with purpose ``revocation``, the status
  list credential is fetched, its own proof and issuer checked, and the credential's bit read;
- **schema** (when a schema file is given): 1EdTech's OB 3.0 JSON Schema.

``fetch(url) -> dict`` gets a published document (the issuer's profile, the status list); the
command line uses HTTP(S), or local copies given as ``URL=FILE`` for offline checks.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from .signing import SigningError, from_multibase, public_key_of, verify

Fetch = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def _issuer_id(doc: dict[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None


def _proof(doc: dict[str, Any]) -> dict[str, Any] | None:
    proof = doc.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    return proof if isinstance(proof, dict) else None


def resolve_key(doc: dict[str, Any], fetch: Fetch | None) -> tuple[bytes | None, Check]:
    """The public key of the credential's verification method, if it belongs to the issuer."""
    proof, issuer = _proof(doc), _issuer_id(doc)
    method = str(proof.get("verificationMethod", "")) if proof else ""
    if not method or not issuer:
        return None, Check("key", False, "the credential names no issuer or no verification method")
    if method.startswith("did:key:"):
        if method.split("#", 1)[0] != issuer:
            return None, Check("key", False, f"the key {method} is not the issuer {issuer}")
        try:
            return public_key_of(method), Check("key", True, f"the issuer's own did:key {method.split('#')[0]}")
        except SigningError as exc:
            return None, Check("key", False, str(exc))
    controller_url = method.split("#", 1)[0]
    if controller_url != issuer:
        return None, Check("key", False, f"the key {method} is published by {controller_url}, not by the issuer {issuer}")
    if fetch is None:
        return None, Check("key", False, f"the issuer's profile {controller_url} is needed to find the key "
                                         "(offline: give a local copy)")
    try:
        controller = fetch(controller_url)
    except Exception as exc:  # noqa: BLE001 - whatever the transport says, the check fails with it
        return None, Check("key", False, f"the issuer's profile {controller_url} could not be read: {exc}")
    vm = next((m for m in controller.get("verificationMethod", []) if isinstance(m, dict) and m.get("id") == method),
              None)
    if vm is None:
        return None, Check("key", False, f"the issuer's profile does not list the key {method}")
    if vm.get("controller") != issuer:
        return None, Check("key", False, f"the key's controller {vm.get('controller')} is not the issuer")
    if vm.get("revoked"):
        return None, Check("key", False, f"the issuer revoked this key on {vm['revoked']}: nothing it signed is valid")
    if method not in controller.get("assertionMethod", []):
        return None, Check("key", False, "the issuer does not list this key as one that may sign credentials")
    try:
        raw = from_multibase(str(vm.get("publicKeyMultibase", "")))
    except SigningError as exc:
        return None, Check("key", False, str(exc))
    if raw[:2] != b"\xed\x01" or len(raw) != 34:
        return None, Check("key", False, "the published key is not an Ed25519 Multikey")
    return raw[2:], Check("key", True, f"published by the issuer at {controller_url}")


def _date(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def check_dates(doc: dict[str, Any], now: datetime) -> Check:
    start, end = _date(doc.get("validFrom")), _date(doc.get("validUntil"))
    if start is None:
        return Check("dates", False, "validFrom is missing or not a date")
    if start > now:
        return Check("dates", False, f"not valid before {doc['validFrom']}")
    if "validUntil" in doc and (end is None or end < now):
        return Check("dates", False, f"expired on {doc.get('validUntil')}")
    return Check("dates", True, f"valid from {doc['validFrom']}" + (f" until {doc['validUntil']}" if end else ""))


def bit(encoded: str, index: int) -> bool:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    if index >= len(raw) * 8:
        raise ValueError(f"index {index} is beyond the list's {len(raw) * 8} entries")
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def check_status(doc: dict[str, Any], fetch: Fetch | None, now: datetime) -> list[Check]:
    entries = doc.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries] if isinstance(entries, dict) else []
    out: list[Check] = []
    for entry in entries:
        if entry.get("type") != "BitstringStatusListEntry" or entry.get("statusPurpose") != "revocation":
            out.append(Check("revocation", False, f"a status of type {entry.get('type')!r} cannot be checked here"))
            continue
        url = str(entry.get("statusListCredential", ""))
        if fetch is None:
            out.append(Check("revocation", False, f"the revocation list {url} is needed (offline: give a local copy)"))
            continue
        try:
            listed = fetch(url)
        except Exception as exc:  # noqa: BLE001
            out.append(Check("revocation", False, f"the revocation list {url} could not be read: {exc}"))
            continue
        if _issuer_id(listed) != _issuer_id(doc):
            out.append(Check("revocation", False, "the revocation list is not the credential issuer's"))
            continue
        key, key_check = resolve_key(listed, fetch)
        signed = verify(listed, public_key=key) if key is not None else None
        if signed is None or not signed.ok:
            why = signed.problem if signed is not None else key_check.detail
            out.append(Check("revocation", False, f"the revocation list's own signature does not hold: {why}"))
            continue
        try:
            revoked = bit(str(listed["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))
        except (KeyError, TypeError, ValueError, OSError) as exc:
            out.append(Check("revocation", False, f"the revocation list cannot be read: {exc}"))
            continue
        out.append(Check("revocation", not revoked, "revoked by the issuer" if revoked else "not revoked"))
    return out


def verify_credential(doc: dict[str, Any], *, fetch: Fetch | None = None, schema: Path | None = None,
                      now: datetime | None = None) -> Verdict:
    now = now or datetime.now(timezone.utc)
    checks: list[Check] = []
    key, key_check = resolve_key(doc, fetch)
    if key is None:
        checks.append(Check("proof", False, "not checked: the signing key is unknown"))
    else:
        got = verify(doc, public_key=key)
        checks.append(Check("proof", got.ok, "the signature matches the credential" if got.ok else str(got.problem)))
    checks.append(key_check)
    checks.append(check_dates(doc, now))
    checks.extend(check_status(doc, fetch, now))
    if schema is not None:
        from .ob3_validate import credential_problems

        problems = credential_problems(doc, schema)
        checks.append(Check("schema", not problems, "valid Open Badges 3.0" if not problems else "; ".join(problems[:5])))
    return Verdict(tuple(checks))
