"""The queue in the database (issue 18, item 5), on SQLite and PostgreSQL: filters, orders, totals
and cursor paging against a brute-force reference (the queue as it was built in Python) on a few
hundred generated submissions; cursors stable when submissions arrive; counts written by the
worker in the report's transaction; counts backfilled by migration 0005."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from service import assessment as flow
from service.models import (Assessment, Decision, Job, QueueEntry, ReportFlagCode, ReportRow, Submission, User,
                            utcnow)
from service.queue import SORTS
from service.readiness import counts_of

from .conftest import RUBRIC, make_api, service_settings, tiny_submission

OTHER = "mo-il-assessment"
CODES = ("word_count_low", "evidence_missing", "citation_unresolved", "privacy_student_name")


def _report(rng: random.Random) -> dict[str, Any]:
    codes = rng.sample(CODES, rng.randint(0, 3))
    flags = [{"code": c} for c in codes for _ in range(rng.randint(1, 2))]
    return {"summary": {"met": rng.randint(0, 6), "weak": rng.randint(0, 3), "missing": rng.randint(0, 3),
                        "flags": {"error": rng.randint(0, 2), "warning": rng.randint(0, 2), "info": rng.randint(0, 1)}},
            "flags": flags}


def erase_submitted(api, n: int) -> None:  # type: ignore[no-untyped-def]
    """Erase the first ``n`` submitted submissions (by id) whole, as an erasure request does."""
    from service import erasure

    with api.state.sessions() as s:
        gone = list(s.scalars(select(Submission.id).where(Submission.status == "submitted")
                              .order_by(Submission.id).limit(n)))
        s.execute(sa.update(Submission).where(Submission.previous_id.in_(gone)).values(previous_id=None))
        erasure.delete_submissions(s, gone)
        s.commit()


def crowded_api(tmp_path: Path, database_url: str, n: int, seed: int):  # type: ignore[no-untyped-def]
    """The API with double marking for RUBRIC, a candidate, three assessors (ann, bob, cat), an
    admin (root) and ``n`` generated submissions in every state: the queue tests' fixture."""
    settings = service_settings(tmp_path, database_url=database_url, second_marking=[RUBRIC], agreement_bar=0.8)
    for api in make_api(settings):
        for name, role in (("cand", "candidate"), ("ann", "assessor"), ("bob", "assessor"), ("cat", "assessor"),
                           ("root", "admin")):
            api.add_user(name, role)
        _generate(api, n, seed=seed)
        yield api


def _generate(api, n: int, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    """``n`` submitted submissions in every state the queue distinguishes, written through the ORM
    (so the report rows get their counts the way the worker's do)."""
    rng = random.Random(seed)
    now = utcnow()
    times = [now - timedelta(hours=h) for h in range(1, 60)]  # shared: ties broken by id
    ids = api.ids
    with api.state.sessions() as s:
        for i in range(n):
            sub = Submission(candidate_id=ids["cand"], rubric_id=rng.choice((RUBRIC, RUBRIC, OTHER)),
                             version=rng.choice((1, 1, 2, 3)), status="submitted", submitted_at=rng.choice(times))
            s.add(sub)
            s.flush()
            r = rng.random()
            if r < 0.55:
                pass  # nobody has claimed it: no assessment row
            else:
                stage = rng.choice(("first", "second", "reconcile", "reconcile", "released"))
                holder = rng.choice((None, None, ids["ann"], ids["bob"]))
                s.add(Assessment(
                    submission_id=sub.id, stage=stage, double_marking=stage != "first" or rng.random() < 0.3,
                    claimed_by=holder if stage != "released" else None,
                    claim_expires_at=(now + rng.choice((timedelta(days=1), -timedelta(days=1)))) if holder else None,
                    assigned_to=rng.choice((None, None, None, ids["ann"], ids["bob"])) if stage != "released" else None,
                    agreement=rng.choice((0.5, 0.79, 0.8, 0.95, None)) if stage in ("reconcile", "released") else None))
            marked = a_stage(s, sub.id) in ("second", "reconcile") and rng.random() < 0.4
            job = Job(submission_id=sub.id, purpose="screening", state="done", finished_at=now)
            kind = rng.random()
            if kind < 0.05:
                job.state, job.finished_at = "queued", None  # not screened yet: no report
            elif kind < 0.1:
                job.state, job.finished_at = "running", None  # report stored, job not finished yet
            s.add(job)
            s.flush()
            if marked:  # ann marked it already: she may not claim it again
                s.add(Decision(submission_id=sub.id, assessor_id=ids["ann"], role="first", state="final",
                               job_id=job.id, rubric_id=RUBRIC, rubric_version="x", rubric_hash="x",
                               rubric_snapshot="{}"))
            if job.state != "queued":
                s.add(ReportRow(job_id=job.id, report_json=json.dumps(_report(rng))))
            if i % 25 == 0:  # a draft's self-check: never in the queue
                draft = Submission(candidate_id=ids["cand"], rubric_id=RUBRIC)
                s.add(draft)
                s.flush()
                check = Job(submission_id=draft.id, purpose="self_check", state="done", finished_at=now)
                s.add(check)
                s.flush()
                s.add(ReportRow(job_id=check.id, report_json=json.dumps(_report(rng))))
        s.commit()


def a_stage(s, sub_id: str) -> str | None:  # type: ignore[no-untyped-def]
    a = s.get(Assessment, sub_id)
    return a.stage if a is not None else None


def _reference(api, who: str, f: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The queue computed the slow, obvious way from the source tables (the reports' JSON, every
    assessment, the claim rules in service.assessment): what the database queue must equal."""
    return _ordered(_reference_rows(api, who, f), f.get("sort", "waiting"))


def _references(api, who: str, f: dict[str, Any], sorts) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """``_reference`` in each of ``sorts``, the rows computed once (the sort orders them only)."""
    rows = _reference_rows(api, who, f)
    return {sort: _ordered(rows, sort) for sort in sorts}


def _reference_rows(api, who: str, f: dict[str, Any]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    svc = api.state.settings.service
    with api.state.sessions() as s:
        user = s.get(User, api.ids[who])
        newest: dict[str, tuple[str, dict]] = {}
        for job, text in s.execute(select(Job, ReportRow.report_json).join(ReportRow, ReportRow.job_id == Job.id)
                                   .where(Job.purpose == "screening", Job.state == "done")
                                   .order_by(Job.finished_at, Job.id)):
            newest[job.submission_id] = (job.id, json.loads(text))
        rows = []
        for sub in s.scalars(select(Submission).where(Submission.status == "submitted")):
            if sub.id not in newest:
                continue
            job_id, report = newest[sub.id]
            c = counts_of(report)
            a = s.get(Assessment, sub.id)
            stage = a.stage if a else "first"
            if f.get("stage") is None and stage == "released" or f.get("stage") not in (None, stage):
                continue
            if f.get("rubric_id") not in (None, sub.rubric_id) or f.get("version") not in (None, sub.version):
                continue
            if f.get("flag") is not None and f["flag"] not in c.flag_codes:
                continue
            live = a is not None and flow.claim_is_live(a)
            if f.get("mine") and not (a is not None and ((a.claimed_by == user.id and live) or a.assigned_to == user.id)):
                continue
            if a is None:
                why = "reconciler_only" if user.role == "admin" else None
            else:
                why = flow.why_not_claimable(s, user, a)
            if f.get("claimable") and why is not None:
                continue
            rows.append({"id": sub.id, "t": sub.submitted_at.timestamp(), "v": sub.version, "c": c, "stage": stage,
                         "claimable": why is None, "job": job_id,
                         "recon": a is not None and a.stage == "reconcile" and a.agreement is not None
                         and a.agreement < svc.agreement_bar})
    return rows


def _ordered(found: list[dict[str, Any]], sort: str) -> dict[str, Any]:
    keys = {"waiting": lambda r: (r["t"], r["id"]), "-waiting": lambda r: (-r["t"], r["id"]),
            "missing": lambda r: (-r["c"].details["missing"], -r["c"].details["weak"], r["t"], r["id"]),
            "flags": lambda r: (-r["c"].flag_total, r["t"], r["id"]),
            "version": lambda r: (-r["v"], r["t"], r["id"])}
    rows = sorted(found, key=keys[sort])
    by_stage: dict[str, int] = {}
    for r in rows:
        by_stage[r["stage"]] = by_stage.get(r["stage"], 0) + 1
    return {"ids": [r["id"] for r in rows], "total": len(rows), "by_stage": dict(sorted(by_stage.items())),
            "claimable": sum(r["claimable"] for r in rows), "needs_reconciliation": sum(r["recon"] for r in rows),
            "rows": {r["id"]: r for r in rows}}


def _walk(api, who: str, params: dict[str, Any], per_page: int) -> tuple[list[str], list[dict], list[str]]:  # type: ignore[no-untyped-def]
    """Every page by next_cursor, then back from the last by prev_cursor: (ids forward, answers, ids backward)."""
    answers = []
    r = api.call(who, "GET", "/api/queue", params={**params, "per_page": per_page})
    assert r.status_code == 200, r.text
    answers.append(r.json())
    assert answers[0]["prev_cursor"] is None
    while answers[-1]["next_cursor"]:
        r = api.call(who, "GET", "/api/queue", params={**params, "per_page": per_page,
                                                       "cursor": answers[-1]["next_cursor"]})
        assert r.status_code == 200, r.text
        answers.append(r.json())
        assert len(answers) < 100
    forward = [i["submission_id"] for a in answers for i in a["items"]]
    pages: list[list[str]] = [[i["submission_id"] for i in answers[-1]["items"]]]
    back = answers[-1]
    while back["prev_cursor"]:
        back = api.call(who, "GET", "/api/queue", params={**params, "per_page": per_page,
                                                          "cursor": back["prev_cursor"]}).json()
        pages.insert(0, [i["submission_id"] for i in back["items"]])
        assert len(pages) < 100
    return forward, answers, [x for p in pages for x in p]


FILTERS: list[dict[str, Any]] = [
    {},
    {"stage": "reconcile"},
    {"stage": "released"},
    {"stage": "first", "rubric_id": RUBRIC},
    {"flag": "evidence_missing", "version": 2},
    {"mine": True},
    {"claimable": True},
    {"claimable": True, "flag": "word_count_low", "rubric_id": OTHER},
]


@pytest.fixture
def crowd(api):  # type: ignore[no-untyped-def]
    for name, role in (("cand", "candidate"), ("ann", "assessor"), ("bob", "assessor"), ("admin", "admin")):
        api.add_user(name, role)
    _generate(api, 240)
    return api


def test_the_database_queue_equals_the_brute_force_queue(crowd):  # type: ignore[no-untyped-def]
    api = crowd
    with api.state.sessions() as s:
        assert s.scalar(select(sa.func.count()).select_from(QueueEntry)) > 200
    for who in ("ann", "admin"):
        for f in FILTERS:
            sorts = SORTS if f in (FILTERS[0], FILTERS[6]) else ("waiting", "missing")
            for sort, ref in _references(api, who, f, sorts).items():
                params = {**f, "sort": sort}
                forward, answers, backward = _walk(api, who, params, per_page=23)
                where = f"{who} {params}"
                assert forward == ref["ids"], where
                assert backward == ref["ids"], where
                first = answers[0]
                for key in ("total", "by_stage", "claimable", "needs_reconciliation"):
                    assert first[key] == ref[key], (where, key)
                assert [a["page"] for a in answers] == list(range(1, len(answers) + 1))
                assert first["pages"] == max(1, -(-ref["total"] // 23))
                for item in (i for a in answers for i in a["items"]):
                    r = ref["rows"][item["submission_id"]]
                    assert item["claimable"] == r["claimable"] and item["stage"] == r["stage"], where
                    assert item["details"] == r["c"].details and item["flags"] == r["c"].flags, where
                    assert item["flag_codes"] == r["c"].flag_codes and item["job_id"] == r["job"], where
                # page numbers (offsets) give the same slices
                if ref["total"] > 23:
                    page2 = api.call(who, "GET", "/api/queue", params={**params, "per_page": 23, "page": 2}).json()
                    assert [i["submission_id"] for i in page2["items"]] == ref["ids"][23:46], where


def test_a_cursor_is_stable_when_submissions_arrive(crowd):  # type: ignore[no-untyped-def]
    api = crowd
    first = api.call("ann", "GET", "/api/queue", params={"per_page": 10}).json()
    before = _reference(api, "ann", {})["ids"]
    assert [i["submission_id"] for i in first["items"]] == before[:10]
    # New submissions that sort before and after the page just read, and one on it.
    with api.state.sessions() as s:
        for when in (utcnow() - timedelta(days=30), utcnow(), utcnow() - timedelta(hours=30)):
            sub = Submission(candidate_id=api.ids["cand"], rubric_id=RUBRIC, status="submitted", submitted_at=when)
            s.add(sub)
            s.flush()
            job = Job(submission_id=sub.id, purpose="screening", state="done", finished_at=utcnow())
            s.add(job)
            s.flush()
            s.add(ReportRow(job_id=job.id, report_json=json.dumps(_report(random.Random(1)))))
        s.commit()
    after = _reference(api, "ann", {})["ids"]
    assert len(after) == len(before) + 3
    nxt = api.call("ann", "GET", "/api/queue", params={"per_page": 10, "cursor": first["next_cursor"]}).json()
    last_seen = before[9]
    assert [i["submission_id"] for i in nxt["items"]] == after[after.index(last_seen) + 1:][:10]
    assert nxt["total"] == len(after)
    # Offsets shift instead: page 2 now repeats the last row of page 1 (the old submission came first).
    page2 = api.call("ann", "GET", "/api/queue", params={"per_page": 10, "page": 2}).json()
    assert page2["items"][0]["submission_id"] == last_seen


def test_a_bad_cursor_is_refused(crowd):  # type: ignore[no-untyped-def]
    api = crowd
    first = api.call("ann", "GET", "/api/queue", params={"per_page": 5}).json()
    for params in ({"cursor": "not-a-cursor"}, {"cursor": first["next_cursor"], "sort": "missing"},
                   {"cursor": first["next_cursor"][:-4]}):
        r = api.call("ann", "GET", "/api/queue", params=params)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", (params, r.text)


def test_the_worker_stores_the_counts_with_the_report(api, monkeypatch):  # type: ignore[no-untyped-def]
    from service import models
    from service.worker import Worker

    api.add_user("cand", "candidate")
    api.add_user("ann", "assessor")
    report = {"summary": {"met": 3, "weak": 2, "missing": 1, "flags": {"error": 1, "warning": 2, "info": 0}},
              "flags": [{"code": "evidence_missing"}, {"code": "word_count_low"}, {"code": "word_count_low"}]}
    st = api.state
    worker = Worker(st.sessions, st.storage, st.settings)
    monkeypatch.setattr(worker, "_screen", lambda job_id: json.dumps(report))

    def submitted() -> tuple[str, str]:
        sub = api.draft("cand")
        for part, name, data in tiny_submission():
            assert api.upload("cand", sub, part, name, data).status_code == 201
        return sub, api.call("cand", "POST", f"/api/submissions/{sub}/submit").json()["job"]["id"]

    # A failure while writing the counts leaves no report behind: one transaction.
    sub, job = submitted()
    real = models.store_queue_counts

    def broken(*args, **kw):  # type: ignore[no-untyped-def]
        real(*args, **kw)
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(models, "store_queue_counts", broken)
    assert worker.claim(job) == "claimed"
    with pytest.raises(RuntimeError):
        worker.run(job)
    with st.sessions() as s:
        assert s.get(ReportRow, job) is None and s.get(QueueEntry, sub) is None
        assert not s.scalars(select(ReportFlagCode).where(ReportFlagCode.job_id == job)).all()
    monkeypatch.setattr(models, "store_queue_counts", real)
    assert worker.run(job) == "done"
    with st.sessions() as s:
        row = s.get(ReportRow, job)
        assert (row.met, row.weak, row.missing, row.flags_error, row.flags_warning, row.flags_info) == (3, 2, 1, 1, 2, 0)
        codes = {c.code: c.count for c in s.scalars(select(ReportFlagCode).where(ReportFlagCode.job_id == job))}
        assert codes == {"evidence_missing": 1, "word_count_low": 2}
        entry = s.get(QueueEntry, sub)
        assert (entry.job_id, entry.stage, entry.open, entry.missing, entry.weak, entry.flag_total) == \
            (job, "first", True, 1, 2, 3)
    item = api.call("ann", "GET", "/api/queue", params={"flag": "word_count_low"}).json()["items"]
    assert [i["submission_id"] for i in item] == [sub] and item[0]["flag_codes"] == codes


@pytest.mark.empty_database
def test_migration_0005_backfills_the_counts(database_url):  # type: ignore[no-untyped-def]
    from alembic import command

    from screening.settings import ServiceSettings
    from service.db import alembic_config, make_engine, migrate
    from service.queue import Filters, build

    engine = make_engine(database_url)
    cfg = alembic_config(database_url)
    with engine.begin() as conn:  # the schema as it was before this change, with data in it
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    t0 = datetime(2026, 5, 1, 12, 0)  # stored naive, in UTC
    users = _t("users", "id", "email", "password_hash", "role", "created_at")
    subs = _t("submissions", "id", "candidate_id", "rubric_id", "status", "version", "created_at", "submitted_at")
    jobs = _t("jobs", "id", "submission_id", "purpose", "state", "attempts", "created_at", "finished_at")
    reports = _t("reports", "job_id", "report_json", "created_at")
    assessments = _t("assessments", "submission_id", "stage", "double_marking", "created_at")
    full = {"summary": {"met": 4, "weak": 2, "missing": 3, "flags": {"error": 1, "warning": 1, "info": 2}},
            "flags": [{"code": "evidence_missing"}, {"code": "evidence_missing"}, {"code": "word_count_low"}]}
    with engine.begin() as conn:
        conn.execute(users.insert(), [{"id": u, "email": f"{u}@example.org", "password_hash": "x", "role": role,
                                       "created_at": t0} for u, role in (("cand", "candidate"), ("ann", "assessor"))])
        conn.execute(subs.insert(), [
            {"id": sid, "candidate_id": "cand", "rubric_id": RUBRIC, "status": status, "version": 1,
             "created_at": t0, "submitted_at": t0 + timedelta(minutes=m) if status == "submitted" else None}
            for sid, status, m in (("waiting", "submitted", 1), ("released", "submitted", 2), ("draft", "draft", 0),
                                   ("twice", "submitted", 3), ("unscreened", "submitted", 4))])
        conn.execute(jobs.insert(), [
            {"id": jid, "submission_id": sid, "purpose": purpose, "state": state, "attempts": 1, "created_at": t0,
             "finished_at": t0 + timedelta(hours=h) if state == "done" else None}
            for jid, sid, purpose, state, h in (
                ("j-waiting", "waiting", "screening", "done", 1), ("j-released", "released", "screening", "done", 1),
                ("j-check", "draft", "self_check", "done", 1), ("j-old", "twice", "screening", "done", 1),
                ("j-new", "twice", "screening", "done", 2), ("j-queued", "unscreened", "screening", "queued", 0))])
        conn.execute(reports.insert(), [
            {"job_id": "j-waiting", "report_json": json.dumps(full), "created_at": t0},
            {"job_id": "j-released", "report_json": json.dumps({"flags": [{"code": "part_missing"}]}), "created_at": t0},
            {"job_id": "j-check", "report_json": json.dumps(full), "created_at": t0},
            {"job_id": "j-old", "report_json": json.dumps({"summary": {"missing": 9}}), "created_at": t0},
            {"job_id": "j-new", "report_json": json.dumps({"summary": {"missing": 0, "met": 7}}), "created_at": t0},
        ])
        conn.execute(assessments.insert(), [{"submission_id": "released", "stage": "released",
                                             "double_marking": False, "created_at": t0}])
    migrate(engine)
    with engine.connect() as conn:
        cols = {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
            "SELECT job_id, met, weak, missing, flags_error, flags_warning, flags_info FROM reports"))}
        codes = sorted(tuple(r) for r in conn.execute(sa.text("SELECT job_id, code, count FROM report_flag_codes")))
        entries = {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
            "SELECT submission_id, job_id, stage, open, missing, weak, flag_total FROM queue_entries"))}
    assert cols == {"j-waiting": (4, 2, 3, 1, 1, 2), "j-check": (4, 2, 3, 1, 1, 2), "j-released": (0,) * 6,
                    "j-old": (0, 0, 9, 0, 0, 0), "j-new": (7, 0, 0, 0, 0, 0)}
    assert codes == [("j-check", "evidence_missing", 2), ("j-check", "word_count_low", 1),
                     ("j-released", "part_missing", 1),
                     ("j-waiting", "evidence_missing", 2), ("j-waiting", "word_count_low", 1)]
    assert {k: (j, st, bool(o), m, w, f) for k, (j, st, o, m, w, f) in entries.items()} == {
        "waiting": ("j-waiting", "first", True, 3, 2, 4),
        "released": ("j-released", "released", False, 0, 0, 0),
        "twice": ("j-new", "first", True, 0, 0, 0),  # the newest finished screening
    }
    # The queue reads them as it read the reports.
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        ann = s.get(User, "ann")
        svc = ServiceSettings()
        q = build(s, ann, svc, Filters())
        assert [e.submission.id for e in q.entries] == ["waiting", "twice"] and q.total == q.claimable == 2
        assert q.entries[0].counts.flag_codes == {"evidence_missing": 2, "word_count_low": 1}
        assert [e.submission.id for e in build(s, ann, svc, Filters(stage="released")).entries] == ["released"]
        assert [e.submission.id for e in build(s, ann, svc, Filters(sort="missing")).entries] == ["waiting", "twice"]
        assert build(s, ann, svc, Filters(flag="word_count_low")).total == 1
    engine.dispose()


def _t(name: str, *cols: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in cols))
