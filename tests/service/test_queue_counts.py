"""The queue's counts by MC, version and stage (migration 0011), on SQLite and PostgreSQL: the
triggers keep ``queue_counts`` equal to a recount of ``queue_entries`` through screening,
rescreening, claims, markings, erasure (cascade deletes) and plain SQL; a claim that runs out
frees its submission in the totals with no write at all."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service import assessment as flow
from service import queue as queue_flow
from service.models import Assessment, Job, ReportRow, utcnow

from .conftest import RUBRIC
from .test_queue_claims import _mark, _same_as_reference, _screened
from .test_queue_scale import OTHER, crowded_api, erase_submitted

FREE = "CASE WHEN assigned_to IS NULL AND (claimed_by IS NULL OR claim_expires_at IS NULL) THEN 1 ELSE 0 END"


@pytest.fixture
def capi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    yield from crowded_api(tmp_path, database_url, 40, seed=5)


def _counts_match_a_recount(api: Any, step: str) -> None:
    with api.state.engine.connect() as conn:
        kept = {(r, v, s): (n, f) for r, v, s, n, f in conn.execute(sa.text(
            "SELECT rubric_id, version, stage, n, n_free FROM queue_counts WHERE n <> 0 OR n_free <> 0"))}
        recount = {(r, v, s): (n, f) for r, v, s, n, f in conn.execute(sa.text(
            f"SELECT rubric_id, version, stage, count(*), sum({FREE}) FROM queue_entries "
            "GROUP BY rubric_id, version, stage"))}
    assert kept == recount, step
    assert sum(n for n, _ in kept.values()) > 0, step


def test_triggers_keep_the_counts_through_every_change(capi):  # type: ignore[no-untyped-def]
    api = capi
    _counts_match_a_recount(api, "generated")
    double, report, rubric = _screened(api, RUBRIC)
    single, report2, rubric2 = _screened(api, OTHER)
    _counts_match_a_recount(api, "screened")

    # Screened again: the entry is replaced (deleted and inserted in one transaction).
    with api.state.sessions() as s:
        job = Job(submission_id=single, purpose="screening", state="done", finished_at=utcnow())
        s.add(job)
        s.flush()
        s.add(ReportRow(job_id=job.id, report_json=json.dumps({**report2, "summary": {"missing": 3}})))
        s.commit()
    _counts_match_a_recount(api, "screened again")

    assert api.call("ann", "POST", f"/api/queue/{double}/claim").status_code == 200
    _counts_match_a_recount(api, "claimed")
    r = api.call("root", "PUT", f"/api/queue/{single}/assignment", json={"assessor_id": api.ids["bob"]})
    assert r.status_code == 200, r.text
    _counts_match_a_recount(api, "assigned")
    _mark(api, "bob", single, report2, rubric2)
    _counts_match_a_recount(api, "released")
    assert api.call("ann", "DELETE", f"/api/queue/{double}/claim").status_code == 204
    _mark(api, "ann", double, report, rubric)
    _counts_match_a_recount(api, "first of two markings")

    # Plain SQL, no ORM event: the triggers still see it (and see it undone).
    for assigned, step in (("'someone'", 1), ("NULL", -1)):
        with api.state.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE queue_entries SET assigned_to = {assigned} WHERE submission_id = :s"),
                         {"s": double})
            conn.execute(sa.text(f"UPDATE queue_entries SET version = version + {step} WHERE stage = 'first'"))
        _counts_match_a_recount(api, f"plain SQL updates {step}")

    # Erasure deletes submissions whole: the entries go by cascade, and so do their counts.
    erase_submitted(api, 15)
    _counts_match_a_recount(api, "erased")
    _same_as_reference(api, "erased")


def test_a_claim_that_runs_out_frees_the_submission_with_no_write(capi, monkeypatch):  # type: ignore[no-untyped-def]
    api = capi
    double, _, _ = _screened(api, RUBRIC)
    single, _, _ = _screened(api, OTHER)
    for sub in (double, single):
        assert api.call("ann", "POST", f"/api/queue/{sub}/claim").status_code == 200
    before = api.call("bob", "GET", "/api/queue", params={"per_page": 500}).json()
    _same_as_reference(api, "held")
    with api.state.sessions() as s:
        expires = s.get(Assessment, double).claim_expires_at  # type: ignore[union-attr]
    assert expires is not None

    later = expires + timedelta(minutes=1)  # the claims have run out; nothing was written
    monkeypatch.setattr(queue_flow, "utcnow", lambda: later)
    monkeypatch.setattr(flow, "utcnow", lambda: later)
    after = api.call("bob", "GET", "/api/queue", params={"per_page": 500}).json()
    assert after["claimable"] == before["claimable"] + 2
    assert after["total"] == before["total"]
    _same_as_reference(api, "run out")
    mine = api.call("ann", "GET", "/api/queue", params={"mine": True}).json()
    assert {i["submission_id"] for i in mine["items"]}.isdisjoint({double, single})
