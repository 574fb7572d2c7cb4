"""The audit log: an append-only hash chain of every action in the assessor workflow.

Each row's ``hash`` is the SHA-256 of its canonical JSON (sorted keys, no spaces) which includes
the previous row's hash, so editing, deleting or reordering a row breaks the chain from there on.
Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock; everywhere by the
row number being the primary key and ``prev_hash`` being unique, so two appends after the same
row cannot both commit (the chain cannot fork).
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


def _hash_of(e: AuditEntry) -> str:
    return row_hash(e.seq, e.at.isoformat(), e.actor_id, e.action, e.target_type, e.target_id, e.before_json,
                    e.after_json, e.prev_hash)


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
        if _hash_of(e) != e.hash:
            return Verified(count, prev, Problem(e.seq, "was changed after it was written (its hash differs)"))
        prev, expected, count = e.hash, expected + 1, count + 1
    return Verified(count, prev, None)


def verify(session: Session) -> Verified:
    return verify_rows(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
