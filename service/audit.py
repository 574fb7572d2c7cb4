"""The audit log: an append-only hash chain of every action in the assessor workflow.

Each row's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no spaces) which includes
the previous row's hash, so editing, deleting or reordering a row breaks the chain from there on.
Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock; everywhere by the
row number being the primary key and ``prev_hash`` being unique, so two appends after the same
row cannot both commit (the chain cannot fork).

**Erasable payloads.** A row's hash covers the SHA-256 *digest* of its ``before`` and ``after``
payloads, not the payloads themselves (format 2, marked ``"v": 2`` in the hashed body). Erasure on
request (service/erasure.py) replaces a payload that holds a candidate's text or file hashes with
a marker, ``{"erased": {"sha256": <digest of the payload>, "reason": ...}}``: the chain still
verifies (the marker carries the digest the hash was made over), nothing of the text remains, and
the marker says the payload was erased. The payload cannot be changed instead of erased: a changed
payload no longer matches its digest. Rows written before format 2 hashed their payloads whole
(format 1, still verified as such); their payloads cannot be erased without breaking the chain,
so ``erase_payloads`` leaves them and counts them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import AuditEntry, utcnow

GENESIS = "0" * 64
_LOCK_KEY = 0x6D63_6175  # an arbitrary constant naming "the audit chain" among advisory locks


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(seq: int, at: str, actor_id: str | None, action: str, target_type: str, target_id: str,
             before_json: str | None, after_json: str | None, prev_hash: str) -> str:
    body = {"seq": seq, "at": at, "actor": actor_id, "action": action, "target_type": target_type,
            "target_id": target_id, "before": before_json, "after": after_json, "prev": prev_hash}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


ERASED = "erased"  # the key of an erased payload's marker


def erased_marker(payload: str | None) -> dict[str, Any] | None:
    """The marker of an erased payload (``{"erased": {"sha256": ..., "reason": ...}}``), or None."""
    if not payload or not payload.startswith('{"' + ERASED + '":'):
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    inner = value.get(ERASED) if isinstance(value, dict) and len(value) == 1 else None
    return inner if isinstance(inner, dict) and isinstance(inner.get("sha256"), str) else None


def payload_digest(payload: str | None) -> str | None:
    """What the chain covers of a payload: its SHA-256, kept in the marker once it is erased."""
    if payload is None:
        return None
    marker = erased_marker(payload)
    return str(marker["sha256"]) if marker is not None else hashlib.sha256(payload.encode()).hexdigest()


def row_hash_v2(seq: int, at: str, actor_id: str | None, action: str, target_type: str, target_id: str,
                before_digest: str | None, after_digest: str | None, prev_hash: str) -> str:
    body = {"v": 2, "seq": seq, "at": at, "actor": actor_id, "action": action, "target_type": target_type,
            "target_id": target_id, "before": before_digest, "after": after_digest, "prev": prev_hash}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def _hash_of(e: AuditEntry) -> str:
    return row_hash_v2(e.seq, e.at.isoformat(), e.actor_id, e.action, e.target_type, e.target_id,
                       payload_digest(e.before_json), payload_digest(e.after_json), e.prev_hash)


def _hash_v1(e: AuditEntry) -> str:
    return row_hash(e.seq, e.at.isoformat(), e.actor_id, e.action, e.target_type, e.target_id, e.before_json,
                    e.after_json, e.prev_hash)


def _intact(e: AuditEntry) -> bool:
    """The row's hash follows from its content: format 2, or format 1 (rows written before erasable
    payloads; never erased)."""
    return _hash_of(e) == e.hash or _hash_v1(e) == e.hash


def erase_payloads(session: Session, rows: Iterable[AuditEntry], reason: str) -> tuple[int, int]:
    """Replace the payloads of these rows with erasure markers, keeping the chain intact; in the
    caller's transaction. Returns (rows erased, rows left because they are of format 1: their
    payloads are hashed whole, so erasing them would break the chain). Rows already erased, or
    with no payload, count as neither."""
    erased = kept = 0
    for e in rows:
        if all(p is None or erased_marker(p) is not None for p in (e.before_json, e.after_json)):
            continue
        if _hash_of(e) != e.hash:
            kept += 1  # format 1 (or already broken: audit-verify says so)
            continue
        for column in ("before_json", "after_json"):
            payload = getattr(e, column)
            if payload is not None and erased_marker(payload) is None:
                setattr(e, column, canonical({ERASED: {"sha256": payload_digest(payload), "reason": reason}}))
        erased += 1
    session.flush()
    return erased, kept


def append(session: Session, actor_id: str | None, action: str, target_type: str, target_id: str,
           before: Any = None, after: Any = None) -> AuditEntry:
    """Add a row in the caller's transaction (it commits or rolls back with the action itself)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Held until the transaction ends: appends queue here instead of forking the chain.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    elif dialect == "sqlite":
        # A write that changes nothing still takes SQLite's write lock, before the last row is
        # read: appends then wait their turn (busy timeout) instead of two reading the same head.
        session.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    # Microseconds are what both backends keep, so the hash recomputes from the stored value.
    entry = AuditEntry(seq=seq, at=utcnow(), actor_id=actor_id, action=action, target_type=target_type,
                       target_id=target_id, before_json=None if before is None else canonical(before),
                       after_json=None if after is None else canonical(after), prev_hash=prev)
    entry.hash = _hash_of(entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Problem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"row {self.seq}: {self.message}"


@dataclass(frozen=True)
class Verified:
    rows: int
    head: str
    problem: Problem | None


def verify_rows(rows: Iterable[AuditEntry]) -> Verified:
    """Walk the chain in row order; stop at the first row that does not follow from the one before."""
    prev, expected, count = GENESIS, 1, 0
    for e in rows:
        if e.seq != expected:
            return Verified(count, prev, Problem(expected, f"missing (the next row present is {e.seq})"))
        if e.prev_hash != prev:
            return Verified(count, prev, Problem(e.seq, "does not follow the row before it "
                                                        "(its prev_hash differs: a row was removed or moved)"))
        if not _intact(e):
            return Verified(count, prev, Problem(e.seq, "was changed after it was written (its hash differs)"))
        prev, expected, count = e.hash, expected + 1, count + 1
    return Verified(count, prev, None)


def verify(session: Session) -> Verified:
    return verify_rows(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
