"""Erasable audit payloads (service/audit.py): the chain covers each payload's digest, so erasure
replaces a payload with a marker and the chain still verifies; rows of the older format (payloads
hashed whole) still verify and are left unerased."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from service import audit
from service.db import make_engine, migrate, session_factory
from service.models import AuditEntry


def _sessions(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    return session_factory(engine)


def _rows(s) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_an_erased_payload_leaves_the_chain_verifiable_and_nothing_of_the_text(tmp_path):
    sessions = _sessions(tmp_path)
    with sessions() as s:
        for i in range(3):
            audit.append(s, "ann", "decide", "decision", f"d{i}", {"comment": "old"}, {"comment": f"secret-{i}"})
        s.commit()
        head = audit.verify(s).head
        erased, kept = audit.erase_payloads(s, [r for r in _rows(s) if r.target_id == "d1"], "erasure on request")
        s.commit()
        assert (erased, kept) == (1, 0)
        row = _rows(s)[1]
        assert "secret-1" not in (row.after_json or "") and "old" not in (row.before_json or "")
        assert audit.erased_marker(row.after_json)["reason"] == "erasure on request"  # type: ignore[index]
        verified = audit.verify(s)
        assert verified.problem is None and verified.rows == 3 and verified.head == head
        # Erasing again does nothing more.
        assert audit.erase_payloads(s, _rows(s), "again")[0] == 2  # the other two; row 2 is done
        s.commit()
        assert audit.verify(s).problem is None


def test_a_changed_payload_or_a_forged_marker_is_caught(tmp_path):
    sessions = _sessions(tmp_path)
    with sessions() as s:
        for i in range(3):
            audit.append(s, "ann", "decide", "decision", f"d{i}", None, {"level": "met", "n": i})
        s.commit()
        s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(after_json='{"level":"not_yet","n":1}'))
        s.commit()
        assert "row 2: was changed" in str(audit.verify(s).problem)
        # A marker claiming another digest (content swapped, then "erased") does not verify either.
        forged = audit.canonical({"erased": {"sha256": "0" * 64, "reason": "x"}})
        s.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(after_json=forged))
        s.commit()
        assert "row 2: was changed" in str(audit.verify(s).problem)


def test_rows_of_the_first_format_still_verify_and_are_left_as_they_are(tmp_path):
    sessions = _sessions(tmp_path)
    with sessions() as s:
        audit.append(s, "ann", "decide", "decision", "d0", None, {"comment": "new format"})
        s.commit()
        # A row as the service wrote them before payloads were erasable: its hash over the payload itself.
        prev = _rows(s)[-1].hash
        e = AuditEntry(seq=2, at=audit.utcnow(), actor_id="ann", action="decide", target_type="decision",
                       target_id="d1", before_json=None, after_json=audit.canonical({"comment": "secret"}),
                       prev_hash=prev)
        e.hash = audit.row_hash(e.seq, e.at.isoformat(), e.actor_id, e.action, e.target_type, e.target_id,
                                e.before_json, e.after_json, e.prev_hash)
        s.add(e)
        s.commit()
        audit.append(s, "ann", "decide", "decision", "d2", None, {"comment": "after"})
        s.commit()
        assert audit.verify(s).problem is None and audit.verify(s).rows == 3
        assert audit.erase_payloads(s, _rows(s), "erasure on request") == (2, 1)
        s.commit()
        assert "secret" in (_rows(s)[1].after_json or "")  # left: erasing it would break the chain
        assert audit.verify(s).problem is None
