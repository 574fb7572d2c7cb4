"""The queue's entries under their flag codes and their people (issue 18 item 5; migration 0012),
on SQLite and PostgreSQL: the flag and ``mine`` filters, read along ``queue_tags``, give the same
pages, totals and cursors as a plain Python computation over the same submissions, in every
order, forward and back; the triggers keep ``queue_tags`` and ``queue_tag_counts`` equal to a
recount from the entries and the reports' flag codes (and ``queue_agreement_counts`` equal to a
recount of the open reconciliations by agreement) through screening, rescreening, claims,
assignments, markings, plain SQL and erasure; migration 0012 fills both for existing entries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service.models import Job, ReportRow, User, utcnow
from service.queue import SORTS

from .conftest import RUBRIC
from .test_queue_claims import _mark, _screened
from .test_queue_scale import CODES, OTHER, _reference, _references, _t, _walk, crowded_api, erase_submitted

FREE = "CASE WHEN e.assigned_to IS NULL AND (e.claimed_by IS NULL OR e.claim_expires_at IS NULL) THEN 1 ELSE 0 END"

# Every view that is read along queue_tags, alone and with the other filters.
TAGGED: list[dict[str, Any]] = [
    {"flag": "evidence_missing"},
    {"flag": "word_count_low", "rubric_id": OTHER},
    {"flag": "citation_unresolved", "stage": "reconcile"},
    {"flag": "privacy_student_name", "stage": "released"},
    {"flag": "word_count_low", "claimable": True},
    {"flag": "evidence_missing", "version": 1, "stage": "first"},
    {"mine": True},
    {"mine": True, "flag": "evidence_missing"},
    {"mine": True, "stage": "second"},
    {"mine": True, "claimable": True, "rubric_id": RUBRIC},
    {"flag": "no_such_code"},
]


@pytest.fixture
def tapi(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    yield from crowded_api(tmp_path, database_url, 160, seed=23)


@pytest.mark.heavy
def test_flag_and_mine_filters_equal_a_python_computation_in_every_order(tapi):  # type: ignore[no-untyped-def]
    api = tapi
    seen = 0
    for who in ("ann", "bob", "root"):
        for f in TAGGED:
            for sort, ref in _references(api, who, f, SORTS).items():
                params = {**f, "sort": sort}
                forward, answers, backward = _walk(api, who, params, per_page=7)
                where = f"{who} {params}"
                assert forward == ref["ids"] and backward == ref["ids"], where
                for key in ("total", "by_stage", "claimable", "needs_reconciliation"):
                    assert answers[0][key] == ref[key], (where, key, answers[0][key], ref[key])
                for item in (i for a in answers for i in a["items"]):
                    row = ref["rows"][item["submission_id"]]
                    assert (item["stage"], item["claimable"], item["flag_codes"]) == \
                        (row["stage"], row["claimable"], row["c"].flag_codes), where
                if ref["total"] > 7:  # an offset page agrees too
                    page2 = api.call(who, "GET", "/api/queue", params={**params, "per_page": 7, "page": 2}).json()
                    assert [i["submission_id"] for i in page2["items"]] == ref["ids"][7:14], where
                seen += ref["total"]
    assert seen > 500  # the views are not all empty
    assert _reference(api, "ann", {"mine": True})["total"] > 7  # mine spans pages


def _tags_match_a_recount(api: Any, step: str) -> None:
    """queue_tags holds exactly each entry's flag codes and the people on it, with the entry's
    values; queue_tag_counts the counts of the flag tags."""
    with api.state.engine.connect() as conn:
        kept = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT submission_id, tag, rubric_id, version, stage, open, missing, weak, flag_total, free, agreement "
            "FROM queue_tags")))
        entries = list(conn.execute(sa.text(
            "SELECT submission_id, job_id, rubric_id, version, stage, open, missing, weak, flag_total, claimed_by, "
            "assigned_to, claim_expires_at, agreement FROM queue_entries")))
        codes: dict[str, list[str]] = {}
        for job, code in conn.execute(sa.text("SELECT job_id, code FROM report_flag_codes")):
            codes.setdefault(job, []).append(code)
        counts = {(t, r, v, s): (n, f) for t, r, v, s, n, f in conn.execute(sa.text(
            "SELECT tag, rubric_id, version, stage, n, n_free FROM queue_tag_counts WHERE n <> 0 OR n_free <> 0"))}
        agreements = {(r, v, a): n for r, v, a, n in conn.execute(sa.text(
            "SELECT rubric_id, version, agreement, n FROM queue_agreement_counts WHERE n <> 0"))}
    expected = []
    recount: dict[tuple[Any, ...], list[int]] = {}
    by_agreement: dict[tuple[Any, ...], int] = {}
    for (sid, job, rubric, version, stage, opened, missing, weak, total, claimed, assigned, expires,
         agreement) in entries:
        free = assigned is None and (claimed is None or expires is None)
        if stage == "reconcile" and agreement is not None:
            by_agreement[(rubric, version, agreement)] = by_agreement.get((rubric, version, agreement), 0) + 1
        tags = [f"f:{c}" for c in codes.get(job, [])] + [f"u:{u}" for u in {claimed, assigned} - {None}]
        for tag in tags:
            expected.append((sid, tag, rubric, version, stage, bool(opened), missing, weak, total, free, agreement))
            if tag.startswith("f:"):
                n = recount.setdefault((tag, rubric, version, stage), [0, 0])
                n[0] += 1
                n[1] += free
    kept = [(*r[:5], bool(r[5]), *r[6:9], bool(r[9]), r[10]) for r in kept]
    assert kept == sorted(expected), step
    assert counts == {k: tuple(v) for k, v in recount.items()}, step
    assert agreements == by_agreement and agreements, step
    assert any(t.startswith("u:") for _, t, *_ in kept) and counts, step


def test_triggers_keep_the_tags_through_every_change(tapi):  # type: ignore[no-untyped-def]
    api = tapi
    _tags_match_a_recount(api, "generated")
    double, report, rubric = _screened(api, RUBRIC)
    single, report2, rubric2 = _screened(api, OTHER)
    _tags_match_a_recount(api, "screened")

    # Screened again with other flags: the entry is replaced, and its tags with it.
    third, report3, _ = _screened(api, OTHER)
    with api.state.sessions() as s:
        # (The reference takes the last finished screening: the first one finished first.)
        s.execute(sa.update(Job).where(Job.submission_id == third).values(finished_at=utcnow()))
        job = Job(submission_id=third, purpose="screening", state="done", finished_at=utcnow() + timedelta(seconds=1))
        s.add(job)
        s.flush()
        s.add(ReportRow(job_id=job.id, report_json=json.dumps(
            {**report3, "flags": [{"code": "evidence_missing"}, {"code": CODES[0]}], "summary": {"missing": 3}})))
        s.commit()
    _tags_match_a_recount(api, "screened again")
    flagged = {"flag": "evidence_missing", "per_page": 500}
    assert third in [i["submission_id"] for i in api.call("bob", "GET", "/api/queue", params=flagged).json()["items"]]

    assert api.call("ann", "POST", f"/api/queue/{double}/claim").status_code == 200
    _tags_match_a_recount(api, "claimed")
    assert double in [i["submission_id"] for i in
                      api.call("ann", "GET", "/api/queue", params={"mine": True, "per_page": 500}).json()["items"]]
    r = api.call("root", "PUT", f"/api/queue/{single}/assignment", json={"assessor_id": api.ids["bob"]})
    assert r.status_code == 200, r.text
    _tags_match_a_recount(api, "assigned")
    _mark(api, "bob", single, report2, rubric2)
    _tags_match_a_recount(api, "released")
    assert api.call("ann", "DELETE", f"/api/queue/{double}/claim").status_code == 204
    _tags_match_a_recount(api, "given up")
    _mark(api, "ann", double, report, rubric)
    _tags_match_a_recount(api, "first of two markings")
    for who in ("ann", "bob", "cat"):
        for f in ({"flag": "evidence_missing"}, {"flag": CODES[0], "sort": "flags"}, {"mine": True}):
            ref = _reference(api, who, f)
            got = api.call(who, "GET", "/api/queue", params={**f, "per_page": 500}).json()
            assert [i["submission_id"] for i in got["items"]] == ref["ids"], (who, f)
            assert (got["total"], got["claimable"]) == (ref["total"], ref["claimable"]), (who, f)

    # Plain SQL, no ORM event: the triggers still see it.
    with api.state.engine.begin() as conn:
        conn.execute(sa.text("UPDATE queue_entries SET assigned_to = :a, claimed_by = :a, "
                             "claim_expires_at = :t WHERE submission_id = :s"),
                     {"a": api.ids["cat"], "t": datetime(2030, 1, 1), "s": double})
        conn.execute(sa.text("UPDATE queue_entries SET version = version + 1, agreement = 0.5 "
                             "WHERE stage = 'reconcile'"))
    _tags_match_a_recount(api, "plain SQL")

    # Erasure deletes submissions whole: the entries go by cascade, their tags and counts with them.
    erase_submitted(api, 40)
    _tags_match_a_recount(api, "erased")


@pytest.mark.empty_database
def test_migration_0012_tags_the_existing_entries(database_url):  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy.orm import Session

    from screening.settings import ServiceSettings
    from service.db import alembic_config, make_engine, migrate
    from service.queue import Filters, build

    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:  # the schema as it was before, with data in it
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
    t0 = datetime(2026, 5, 1, 12, 0)
    later = utcnow().replace(tzinfo=None) + timedelta(hours=1)
    users = _t("users", "id", "email", "password_hash", "role", "created_at")
    subs = _t("submissions", "id", "candidate_id", "rubric_id", "status", "version", "created_at", "submitted_at")
    jobs = _t("jobs", "id", "submission_id", "purpose", "state", "attempts", "created_at", "finished_at")
    reports = _t("reports", "job_id", "report_json", "created_at", "missing")
    codes = _t("report_flag_codes", "job_id", "code", "count")
    entries = _t("queue_entries", "submission_id", "job_id", "rubric_id", "version", "submitted_at", "stage", "open",
                 "missing", "weak", "flag_total", "claimed_by", "claim_expires_at", "assigned_to")
    # (submission, its flags, stage, claimed by, assigned to)
    rows = [("s1", ["evidence_missing", "word_count_low"], "first", None, None),
            ("s2", ["evidence_missing"], "first", "ann", None),
            ("s3", [], "second", "bob", "ann"),
            ("s4", ["word_count_low"], "released", None, None),
            ("s5", ["evidence_missing"], "first", None, "ann")]
    with engine.begin() as conn:
        conn.execute(users.insert(), [{"id": u, "email": f"{u}@example.org", "password_hash": "x", "role": role,
                                       "created_at": t0} for u, role in (("cand", "candidate"), ("ann", "assessor"),
                                                                         ("bob", "assessor"))])
        for i, (sid, flags, stage, claimed, assigned) in enumerate(rows):
            when = t0 + timedelta(minutes=i)
            conn.execute(subs.insert().values(id=sid, candidate_id="cand", rubric_id=RUBRIC, status="submitted",
                                              version=1, created_at=when, submitted_at=when))
            conn.execute(jobs.insert().values(id=f"j{sid}", submission_id=sid, purpose="screening", state="done",
                                              attempts=1, created_at=when, finished_at=when))
            # As the service stores them at 0011: the report, its flag codes, the queue entry.
            conn.execute(reports.insert().values(job_id=f"j{sid}", created_at=when, missing=i, report_json=json.dumps(
                {"summary": {"missing": i}, "flags": [{"code": c} for c in flags]})))
            for c in flags:
                conn.execute(codes.insert().values(job_id=f"j{sid}", code=c, count=1))
            conn.execute(entries.insert().values(
                submission_id=sid, job_id=f"j{sid}", rubric_id=RUBRIC, version=1, submitted_at=when, stage=stage,
                open=stage != "released", missing=i, weak=0, flag_total=len(flags), claimed_by=claimed,
                claim_expires_at=later if claimed else None, assigned_to=assigned))
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM queue_entries")) == 5
    migrate(engine)
    with engine.connect() as conn:
        tags = sorted((s, t) for s, t in conn.execute(sa.text("SELECT submission_id, tag FROM queue_tags")))
        counts = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT tag, stage, n, n_free FROM queue_tag_counts")))
    assert tags == [("s1", "f:evidence_missing"), ("s1", "f:word_count_low"), ("s2", "f:evidence_missing"),
                    ("s2", "u:ann"), ("s3", "u:ann"), ("s3", "u:bob"), ("s4", "f:word_count_low"),
                    ("s5", "f:evidence_missing"), ("s5", "u:ann")]
    assert counts == [("f:evidence_missing", "first", 3, 1), ("f:word_count_low", "first", 1, 1),
                      ("f:word_count_low", "released", 1, 1)]
    with Session(engine) as s:
        ann, bob = s.get(User, "ann"), s.get(User, "bob")
        svc = ServiceSettings()
        q = build(s, ann, svc, Filters(flag="evidence_missing"))
        assert [e.submission.id for e in q.entries] == ["s1", "s2", "s5"]
        assert (q.total, q.claimable) == (3, 3)  # s2 is ann's own claim, s5 assigned to her
        q = build(s, bob, svc, Filters(flag="evidence_missing", sort="missing"))
        assert [e.submission.id for e in q.entries] == ["s5", "s2", "s1"] and (q.total, q.claimable) == (3, 1)
        assert [e.submission.id for e in build(s, ann, svc, Filters(mine=True)).entries] == ["s2", "s3", "s5"]
        assert [e.submission.id for e in build(s, bob, svc, Filters(mine=True)).entries] == ["s3"]
        released = build(s, ann, svc, Filters(flag="word_count_low", stage="released"))
        assert [e.submission.id for e in released.entries] == ["s4"] and released.by_stage == {"released": 1}
    # New entries after the upgrade are tagged by the triggers.
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE queue_entries SET assigned_to = 'bob' WHERE submission_id = 's1'"))
    with Session(engine) as s:
        assert [e.submission.id for e in build(s, s.get(User, "bob"), ServiceSettings(), Filters(mine=True)).entries] \
            == ["s1", "s3"]
    engine.dispose()
