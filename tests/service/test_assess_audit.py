"""The audit log: every workflow action is a row of a hash chain; `python -m service audit-verify`
passes an intact chain and names the first bad row of an edited, shortened or reordered one;
concurrent appends never fork the chain."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from service import audit
from service.__main__ import main
from service.models import AuditEntry

from ..conftest import REPO
from .assessing import current_rubric, finish_with, full_marking, submit
from .conftest import tiny_submission
from .test_assess import report  # noqa: F401 - the real screening report fixture


def _verify(url: str, capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = main(["audit-verify", "--database-url", url])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.models
def test_every_action_is_chained_and_tampering_is_found(api, database_url, report, capsys):  # noqa: F811
    api.add_user("admin", "admin")
    api.add_user("ann", "assessor")
    api.add_user("cand", "candidate")
    sub, job = submit(api, "cand")
    finish_with(api, job, report)
    rubric = current_rubric(api)
    assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    api.call("ann", "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric))
    assert api.call("ann", "POST", f"/api/assessments/{sub}/release").status_code == 200
    r = api.call("admin", "POST", "/api/users", json={"email": "new@example.org", "password": "long enough pw",
                                                       "role": "assessor", "display_name": "New Person"})
    assert r.status_code == 201 and r.json()["display_name"] == "New Person"

    with api.state.sessions() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.action for e in rows] == ["add_file"] * 3 + ["submit", "claim", "decide", "release", "create_user"]
    assert rows[0].actor_id == api.ids["cand"] and "sha256" in rows[0].after_json
    assert all(name not in rows[0].after_json for _, name, _ in tiny_submission())  # no uploaded names
    decide = rows[5]
    assert decide.actor_id == api.ids["ann"] and decide.target_type == "decision"
    assert '"flags":{}' in decide.before_json and '"confirmed"' in decide.after_json
    assert [e.prev_hash for e in rows[1:]] == [e.hash for e in rows[:-1]] and rows[0].prev_hash == audit.GENESIS

    code, out = _verify(database_url, capsys)
    assert code == 0 and "8 rows" in out and rows[-1].hash in out

    def tampered(change, expected: str) -> None:  # type: ignore[no-untyped-def]
        with api.state.sessions() as s:
            change(s)
            s.commit()
        code, out = _verify(database_url, capsys)
        assert code == 1 and expected in out, out
        with api.state.sessions() as s:  # put the original rows back
            s.execute(delete(AuditEntry))
            for e in rows:
                s.add(AuditEntry(**{c.key: getattr(e, c.key) for c in AuditEntry.__table__.columns}))
            s.commit()
        assert _verify(database_url, capsys)[0] == 0

    # An edited row: the decision's "after" made to say something else.
    tampered(lambda s: s.execute(update(AuditEntry).where(AuditEntry.seq == 6)
                                 .values(after_json=rows[5].after_json.replace("confirmed", "overridden"))),
             "row 6: was changed")
    # A removed row.
    tampered(lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq == 2)), "row 2: missing")

    # Two rows swapped (their numbers kept, their contents exchanged).
    def swap(s) -> None:  # type: ignore[no-untyped-def]
        a, b = rows[1], rows[2]
        cols = [c.key for c in AuditEntry.__table__.columns if c.key not in ("seq", "prev_hash", "hash")]
        s.execute(delete(AuditEntry).where(AuditEntry.seq.in_([2, 3])))
        s.flush()
        s.add(AuditEntry(seq=2, prev_hash=b.prev_hash, hash=b.hash, **{k: getattr(b, k) for k in cols}))
        s.add(AuditEntry(seq=3, prev_hash=a.prev_hash, hash=a.hash, **{k: getattr(a, k) for k in cols}))

    tampered(swap, "row 2: does not follow")


def test_audit_verify_command_exit_codes(tmp_path):
    """The real command in its own process: 0 on an intact copy, 1 naming the row on a tampered one."""
    from service.db import make_engine, migrate, session_factory

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as s:
        for i in range(5):
            audit.append(s, "someone", "test", "thing", str(i), {"n": i}, {"n": i + 1})
        s.commit()
    run = [sys.executable, "-m", "service", "audit-verify", "--database-url", url]
    ok = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "intact: 5 rows" in ok.stdout, ok.stderr
    with session_factory(engine)() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(actor_id="someone else"))
        s.commit()
    engine.dispose()
    bad = subprocess.run(run, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "row 4" in bad.stderr, (bad.stdout, bad.stderr)
    missing = subprocess.run([*run[:-1], f"sqlite:///{tmp_path / 'nothing-here.db'}"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "there is no database at" in missing.stderr
    assert not (tmp_path / "nothing-here.db").exists()  # checking never creates an empty database


def test_concurrent_appends_do_not_fork_the_chain(api, database_url, capsys):
    """Eight threads append at once: PostgreSQL serialises them on an advisory lock, SQLite on its
    write lock taken before the chain's head is read. No append is refused, none forks the chain."""
    barrier = threading.Barrier(8)
    refused: list[str] = []

    def appender(n: int) -> None:
        barrier.wait()
        for i in range(5):
            while True:
                try:
                    with api.state.sessions() as s:
                        audit.append(s, f"t{n}", "test", "thing", f"{n}-{i}")
                        s.commit()
                    break
                except (IntegrityError, OperationalError) as exc:
                    refused.append(type(exc).__name__)

    threads = [threading.Thread(target=appender, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with api.state.sessions() as s:
        result = audit.verify(s)
        targets = sorted(s.scalars(select(AuditEntry.target_id)))
    assert result.problem is None and result.rows == 40
    assert targets == sorted(f"{n}-{i}" for n in range(8) for i in range(5))
    assert refused == []
    assert _verify(database_url, capsys)[0] == 0
