"""The queue's copy of the claim fields (issue 18 item 5; migration 0009), on SQLite and
PostgreSQL: the totals and each item's claimability stay equal to the brute-force reference
(service.assessment's rules over the source tables) through claims, giving up, assignment,
markings, reconciliation and expiry; migration 0009 fills the copy from existing rows; a page
takes the same number of queries whatever its size; items carry the attempt count and the
program's limit (issue 19 item 5)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from service.models import Assessment, utcnow

from ..conftest import REPO
from .assessing import current_rubric, finish_with, full_marking
from .conftest import RUBRIC, make_api, service_settings
from .test_programs import ORDERED
from .test_queue_scale import OTHER, _reference, crowded_api

WHO = ("ann", "bob", "cat", "root")
VIEWS: list[dict[str, Any]] = [{}, {"claimable": True}, {"mine": True}, {"stage": "reconcile"},
                               {"stage": "released"}, {"rubric_id": RUBRIC, "sort": "missing"}]


@pytest.fixture
def qapi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Double marking for RUBRIC (single for OTHER), three assessors, an admin, a crowd of
    generated submissions in every state around the ones the test works on."""
    yield from crowded_api(tmp_path, database_url, 60, seed=11)


def _screened(api, rubric_id: str) -> tuple[str, dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    """A submitted submission with a finished screening (a report naming its rubric)."""
    rubric = current_rubric(api, rubric_id)
    report = {"rubric": {"id": rubric.id, "version": rubric.version}, "details": [], "flags": [],
              "summary": {"met": 0, "weak": 1, "missing": 2, "flags": {"error": 0, "warning": 0, "info": 0}}}
    sub = api.draft("cand", rubric_id)
    assert api.upload("cand", sub, "narrative", "n.txt", b"my narrative words").status_code == 201
    r = api.call("cand", "POST", f"/api/submissions/{sub}/submit")
    assert r.status_code == 202, r.text
    finish_with(api, r.json()["job"]["id"], report)
    return sub, report, rubric


def _mark(api, who: str, sub: str, report, rubric) -> None:  # type: ignore[no-untyped-def]
    assert api.call(who, "POST", f"/api/queue/{sub}/claim").status_code == 200
    r = api.call(who, "PUT", f"/api/assessments/{sub}/decision", json=full_marking(report, rubric))
    assert r.status_code == 200, r.text
    r = api.call(who, "POST", f"/api/assessments/{sub}/release")
    assert r.status_code == 200, r.text


def _same_as_reference(api, step: str) -> None:  # type: ignore[no-untyped-def]
    """Every caller, every view: totals and each item's stage and claimability as the rules say."""
    for who in WHO:
        for view in VIEWS:
            ref = _reference(api, who, view)
            r = api.call(who, "GET", "/api/queue", params={**view, "per_page": 500})
            assert r.status_code == 200, r.text
            got = r.json()
            where = f"{step}: {who} {view}"
            assert [i["submission_id"] for i in got["items"]] == ref["ids"], where
            for key in ("total", "by_stage", "claimable", "needs_reconciliation"):
                assert got[key] == ref[key], (where, key, got[key], ref[key])
            for item in got["items"]:
                row = ref["rows"][item["submission_id"]]
                assert (item["stage"], item["claimable"]) == (row["stage"], row["claimable"]), where


def _item(api, who: str, sub: str, **view: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    items = api.call(who, "GET", "/api/queue", params={**view, "per_page": 500}).json()["items"]
    return next(i for i in items if i["submission_id"] == sub)


def test_totals_follow_claims_assignment_markings_and_expiry(qapi):  # type: ignore[no-untyped-def]
    api = qapi
    double, report, rubric = _screened(api, RUBRIC)
    single, report2, rubric2 = _screened(api, OTHER)
    _same_as_reference(api, "screened")

    assert api.call("ann", "POST", f"/api/queue/{double}/claim").status_code == 200
    _same_as_reference(api, "claimed")
    assert not _item(api, "bob", double)["claimable"] and _item(api, "ann", double)["claim"]["by_me"]

    assert api.call("ann", "DELETE", f"/api/queue/{double}/claim").status_code == 204
    _same_as_reference(api, "given up")
    assert _item(api, "bob", double)["claimable"]

    r = api.call("root", "PUT", f"/api/queue/{single}/assignment", json={"assessor_id": api.ids["bob"]})
    assert r.status_code == 200, r.text
    _same_as_reference(api, "assigned")
    assert api.call("ann", "POST", f"/api/queue/{single}/claim").json()["code"] == "assigned_elsewhere"

    _mark(api, "bob", single, report2, rubric2)  # single marking: released
    _same_as_reference(api, "released")
    assert _item(api, "bob", single, stage="released")["stage"] == "released"

    _mark(api, "ann", double, report, rubric)  # first of two markings
    _same_as_reference(api, "first marking")
    assert not _item(api, "ann", double)["claimable"] and _item(api, "bob", double)["claimable"]
    assert api.call("ann", "POST", f"/api/queue/{double}/claim").json()["code"] == "already_marked"

    _mark(api, "bob", double, report, rubric)  # second: to reconciliation
    _same_as_reference(api, "second marking")
    assert [_item(api, w, double)["claimable"] for w in WHO] == [False, False, True, True]

    # A claim that has run out frees the submission for others, in the totals too.
    assert api.call("cat", "POST", f"/api/queue/{double}/claim").status_code == 200
    _same_as_reference(api, "reconciler's claim")
    assert not _item(api, "root", double)["claimable"]
    with api.state.sessions() as s:
        s.get(Assessment, double).claim_expires_at = utcnow() - timedelta(minutes=1)  # type: ignore[union-attr]
        s.commit()
    _same_as_reference(api, "claim expired")
    assert _item(api, "root", double)["claimable"]


def test_a_page_takes_the_same_queries_whatever_its_size(qapi):  # type: ignore[no-untyped-def]
    api = qapi
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = api.state.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        sizes = {}
        for who in ("ann", "root"):
            for per_page in (2, 50):
                statements.clear()
                view = {"per_page": per_page, **({"stage": "reconcile"} if who == "root" else {})}
                r = api.call(who, "GET", "/api/queue", params=view)
                assert r.status_code == 200 and len(r.json()["items"]) == min(per_page, r.json()["total"])
                sizes[(who, per_page)] = len(statements)
        assert sizes[("ann", 2)] == sizes[("ann", 50)] and sizes[("root", 2)] == sizes[("root", 50)], sizes
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def papi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    extra = tmp_path / "programs"
    extra.mkdir()
    (extra / "test-ordered.yaml").write_text(ORDERED)  # two attempts before coaching
    settings = service_settings(tmp_path, database_url=database_url)
    settings = settings.model_copy(update={"program_dirs": [REPO / "programs", extra]})
    for api in make_api(settings):
        for name, role in (("cand", "candidate"), ("dora", "candidate"), ("ann", "assessor"), ("root", "admin")):
            api.add_user(name, role)
        yield api


def test_items_carry_the_attempt_and_the_programs_limit(papi):  # type: ignore[no-untyped-def]
    api = papi
    assert api.call("cand", "PUT", "/api/programs/test-ordered/following").status_code == 204
    first, report, rubric = _screened(api, "mo-il-curriculum")
    other, _, _ = _screened(api, "mo-il-professional-learning")  # not an MC of the program
    item = _item(api, "ann", first)
    assert (item["attempt"], item["attempts_limit"], item["coaching_required"]) == (1, 2, False)
    assert (_item(api, "ann", other)["attempt"], _item(api, "ann", other)["coaching_required"]) == (None, False)

    # Released without earning the MC; the resubmission is the last attempt before coaching.
    assert api.call("ann", "POST", f"/api/queue/{first}/claim").status_code == 200
    low = full_marking(report, rubric, rubric.proficiency_levels[-1].id)
    assert api.call("ann", "PUT", f"/api/assessments/{first}/decision", json=low).status_code == 200
    assert api.call("ann", "POST", f"/api/assessments/{first}/release").status_code == 200
    again = api.call("cand", "POST", f"/api/submissions/{first}/resubmit").json()["id"]
    r = api.call("cand", "POST", f"/api/submissions/{again}/submit")
    finish_with(api, r.json()["job"]["id"], report)
    item = _item(api, "ann", again)
    assert (item["attempt"], item["attempts_limit"], item["coaching_required"]) == (2, 2, True)
    assert _item(api, "ann", first, stage="released")["attempt"] == 1  # the first stays the first
    assert "cand" not in json.dumps(item) and api.ids["cand"] not in json.dumps(item)

    # Not earned again; after a coaching meeting the next version is attempt 1 of 2 again.
    assert api.call("ann", "POST", f"/api/queue/{again}/claim").status_code == 200
    assert api.call("ann", "PUT", f"/api/assessments/{again}/decision", json=low).status_code == 200
    assert api.call("ann", "POST", f"/api/assessments/{again}/release").status_code == 200
    r = api.call("root", "POST", "/api/programs/test-ordered/coaching",
                 json={"candidate_id": api.ids["cand"], "mc_id": "first-mc"})
    assert r.status_code == 201, r.text
    third = api.call("cand", "POST", f"/api/submissions/{again}/resubmit").json()["id"]
    finish_with(api, api.call("cand", "POST", f"/api/submissions/{third}/submit").json()["job"]["id"], report)
    item = _item(api, "ann", third)
    assert (item["attempt"], item["attempts_limit"], item["coaching_required"]) == (1, 2, False)
    assert _item(api, "ann", again, stage="released")["attempt"] == 2  # counted as it was submitted


# --- migration 0009 -------------------------------------------------------------------------------

def _t(name: str, *cols: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in cols))


@pytest.mark.empty_database
def test_migration_0009_fills_the_claim_fields_from_existing_rows(database_url):  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy.orm import Session

    from screening.settings import ServiceSettings
    from service.db import alembic_config, make_engine, migrate
    from service.models import User
    from service.queue import Filters, build

    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:  # the schema as it was before this change, with data in it
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    t0 = datetime(2026, 5, 1, 12, 0)  # stored naive, in UTC
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)  # a live claim
    people = (("cand", "candidate"), ("ann", "assessor"), ("bob", "assessor"), ("cat", "assessor"))
    # submission: (stage or None, claimed_by, expires, assigned_to, agreement, final markings {role: who})
    cases: dict[str, tuple[Any, ...]] = {
        "plain": (None, None, None, None, None, {}),
        "held": ("first", "ann", later, None, None, {}),
        "expired": ("first", "ann", t0, None, None, {}),
        "assigned": ("first", None, None, "bob", None, {}),
        "second": ("second", None, None, None, None, {"first": "ann"}),
        "recon": ("reconcile", None, None, None, 0.5, {"first": "ann", "second": "bob"}),
        "done": ("released", None, None, None, 0.9, {"first": "cat"}),
    }
    with engine.begin() as conn:
        conn.execute(_t("users", "id", "email", "password_hash", "role", "created_at").insert(), [
            {"id": u, "email": f"{u}@example.org", "password_hash": "x", "role": r, "created_at": t0} for u, r in people])
        conn.execute(_t("submissions", "id", "candidate_id", "rubric_id", "status", "version", "created_at",
                        "submitted_at").insert(), [
            {"id": sid, "candidate_id": "cand", "rubric_id": RUBRIC, "status": "submitted", "version": 1,
             "created_at": t0, "submitted_at": t0 + timedelta(minutes=i)} for i, sid in enumerate(cases)])
        conn.execute(_t("jobs", "id", "submission_id", "purpose", "state", "attempts", "created_at",
                        "finished_at").insert(), [
            {"id": f"j-{sid}", "submission_id": sid, "purpose": "screening", "state": "done", "attempts": 1,
             "created_at": t0, "finished_at": t0} for sid in cases])
        conn.execute(_t("reports", "job_id", "report_json", "created_at").insert(), [
            {"job_id": f"j-{sid}", "report_json": json.dumps({"summary": {"missing": 1}}), "created_at": t0}
            for sid in cases])
        conn.execute(_t("queue_entries", "submission_id", "job_id", "rubric_id", "version", "submitted_at", "stage",
                        "open", "missing", "weak", "flag_total").insert(), [
            {"submission_id": sid, "job_id": f"j-{sid}", "rubric_id": RUBRIC, "version": 1,
             "submitted_at": t0 + timedelta(minutes=i), "stage": c[0] or "first", "open": c[0] != "released",
             "missing": 1, "weak": 0, "flag_total": 0} for i, (sid, c) in enumerate(cases.items())])
        conn.execute(_t("assessments", "submission_id", "stage", "double_marking", "claimed_by", "claim_expires_at",
                        "assigned_to", "agreement", "created_at").insert(), [
            {"submission_id": sid, "stage": c[0], "double_marking": c[0] in ("second", "reconcile"), "claimed_by": c[1],
             "claim_expires_at": c[2], "assigned_to": c[3], "agreement": c[4], "created_at": t0}
            for sid, c in cases.items() if c[0] is not None])
        conn.execute(_t("decisions", "id", "submission_id", "assessor_id", "role", "state", "job_id", "rubric_id",
                        "rubric_version", "rubric_hash", "rubric_snapshot", "flags_json", "details_json",
                        "levels_json", "created_at", "updated_at").insert(), [
            {"id": f"d-{sid}-{role}", "submission_id": sid, "assessor_id": who, "role": role, "state": "final",
             "job_id": f"j-{sid}", "rubric_id": RUBRIC, "rubric_version": "x", "rubric_hash": "x",
             "rubric_snapshot": "{}", "flags_json": "{}", "details_json": "{}", "levels_json": "{}",
             "created_at": t0, "updated_at": t0}
            for sid, c in cases.items() for role, who in c[5].items()]
            + [{"id": "d-draft", "submission_id": "plain", "assessor_id": "bob", "role": "first", "state": "draft",
                "job_id": "j-plain", "rubric_id": RUBRIC, "rubric_version": "x", "rubric_hash": "x",
                "rubric_snapshot": "{}", "flags_json": "{}", "details_json": "{}", "levels_json": "{}",
                "created_at": t0, "updated_at": t0}])
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
    cols = ("stage", "open", "double_marking", "claimed_by", "assigned_to", "agreement", "first_marker",
            "second_marker")
    with engine.connect() as conn:
        got = {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
            f"SELECT submission_id, {', '.join(cols)} FROM queue_entries"))}
    got = {k: (v[0], bool(v[1]), None if v[2] is None else bool(v[2]), *v[3:]) for k, v in got.items()}
    assert got == {
        "plain": ("first", True, None, None, None, None, None, None),  # a draft marking is no marking
        "held": ("first", True, False, "ann", None, None, None, None),
        "expired": ("first", True, False, "ann", None, None, None, None),
        "assigned": ("first", True, False, None, "bob", None, None, None),
        "second": ("second", True, True, None, None, None, "ann", None),
        "recon": ("reconcile", True, True, None, None, 0.5, "ann", "bob"),
        "done": ("released", False, False, None, None, 0.9, "cat", None),
    }
    # The queue reads the copy as the rules read the source rows (its counts by MC, version and
    # stage come with migration 0011, filled from these rows).
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    svc = ServiceSettings(agreement_bar=0.8)
    with Session(engine) as s:
        claimable = {}
        for who in ("ann", "bob", "cat"):
            q = build(s, s.get(User, who), svc, Filters())
            assert q.total == 6 and q.by_stage == {"first": 4, "second": 1, "reconcile": 1}
            assert q.needs_reconciliation == 1
            claimable[who] = (q.claimable, sorted(e.submission.id for e in q.entries if e.claimable))
        assert claimable == {"ann": (3, ["expired", "held", "plain"]),  # her own claim; she marked the others
                             "bob": (4, ["assigned", "expired", "plain", "second"]),
                             "cat": (4, ["expired", "plain", "recon", "second"])}
    # Down and up again: the columns go and come back filled the same way.
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008")
    with engine.connect() as conn:
        assert "first_marker" not in {c["name"] for c in sa.inspect(conn).get_columns("queue_entries")}
    migrate(engine)
    with engine.connect() as conn:
        again = {r[0]: r[1] for r in conn.execute(sa.text("SELECT submission_id, second_marker FROM queue_entries"))}
    assert again["recon"] == "bob" and again["plain"] is None
    engine.dispose()
