"""The assessors' queue at 2,000, 20,000 and 100,000 submissions, on SQLite and PostgreSQL.

For each database the queue is filled in steps (bulk SQL inserts, not the API: submissions,
screening jobs, reports with their readiness counts, flag codes, queue entries and assessments,
the way the service stores them), and at each size these are requested ``--repeat`` times after
two warm-up requests, their server time read from the ``Server-Timing`` header the app sets:

* ``GET /api/auth/me``: the baseline (the cheapest authenticated request), in the same run;
* ``GET /api/queue?per_page=25``: the first page, default order (waiting longest first);
* ``GET /api/queue`` (default 100 per page): the same with the API's default page size;
* ``GET /api/queue?rubric_id=…&flag=…&sort=missing&per_page=25``: filtered and sorted;
* the next page of that, by ``next_cursor``;
* ``GET /api/queue?mine=true&per_page=25``: the caller's own (claimed or assigned);
* ``/queue``: the assessor's queue page (HTML, 25 per page).

The submissions are a year of a state program: four MCs, versions 1–3, submitted over 365 days;
70% released (the oldest), 20% waiting with no one on them, 10% under way (first or second
marking, reconciliation; some claimed, some assigned; a second marking's entry names who released
the first, a reconciliation's both, as ``assessment.release`` leaves them). Report texts are small
(the queue never reads them). In-process (Starlette's TestClient): no network, one request at a time. SQLite on
local disk (no ANALYZE: the service never runs one); PostgreSQL a throw-away server started with
``.ci/postgres`` (``fsync=off``), VACUUM ANALYZEd after each fill as autovacuum would after that
many inserts (so index-only scans need no heap visits: the steady state of a running server).

Run: ``python -m bench.queue [--sizes 2000,20000,100000] [--repeat 100] [--backends sqlite,postgres]
[--postgres-url URL] [--no-write]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse
import json
import random
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from .pages import _time
from .results import append_section

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench password 123"
RUBRICS = ("mo-il-professional-learning", "mo-il-curriculum", "mo-il-instructional-practice", "mo-il-assessment")
CODES = ("missing_evidence", "weak_evidence", "word_minimum", "citation_page_out_of_range", "student_privacy",
         "file_unreadable", "part_missing")
FILTERED = f"/api/queue?rubric_id={RUBRICS[0]}&flag=missing_evidence&sort=missing&per_page=25"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def _fill(engine: Any, start: int, stop: int, cand: str, assessors: list[str], rng: random.Random) -> None:
    """Submissions ``start``..``stop``-1 of the year, with everything the service would have stored
    for them by now, inserted in bulk."""
    from service.models import Assessment, Job, QueueEntry, ReportFlagCode, ReportRow, Submission, utcnow
    from service.readiness import counts_of

    now = utcnow()
    year = timedelta(days=365)
    batch: dict[Any, list[dict[str, Any]]] = {t: [] for t in (Submission, Job, ReportRow, ReportFlagCode,
                                                              QueueEntry, Assessment)}

    def flush(conn: Any) -> None:
        for model, rows in batch.items():
            if rows:
                conn.execute(model.__table__.insert(), rows)
                rows.clear()

    with engine.begin() as conn:
        for i in range(start, stop):
            sid, jid = secrets.token_hex(12), secrets.token_hex(12)
            # Spread over the year; which share is released depends on age, not on the size filled.
            age = rng.random()
            submitted = now - year * age
            rubric = RUBRICS[rng.randrange(4)]
            version = rng.choices((1, 2, 3), (80, 15, 5))[0]
            codes = rng.sample(CODES, rng.randint(0, 4))
            report = {"summary": {"met": rng.randint(0, 12), "weak": rng.randint(0, 5), "missing": rng.randint(0, 5),
                                  "flags": {"error": rng.randint(0, 2), "warning": rng.randint(0, 4),
                                            "info": rng.randint(0, 2)}},
                      "flags": [{"code": c} for c in codes for _ in range(rng.randint(1, 3))]}
            c = counts_of(report)
            stage = None
            roll = rng.random()
            if age > 0.3:
                stage = "released"
            elif roll < 1 / 3:
                stage = rng.choice(("first", "second", "reconcile"))
            batch[Submission].append({"id": sid, "candidate_id": cand, "rubric_id": rubric, "version": version,
                                      "status": "submitted", "created_at": submitted, "submitted_at": submitted})
            batch[Job].append({"id": jid, "submission_id": sid, "purpose": "screening", "state": "done", "attempts": 1,
                               "created_at": submitted, "started_at": submitted, "finished_at": submitted})
            batch[ReportRow].append({"job_id": jid, "report_json": json.dumps(report), "created_at": submitted,
                                     **c.columns()})
            batch[ReportFlagCode] += [{"job_id": jid, "code": k, "count": n} for k, n in c.flag_codes.items()]
            entry = {"submission_id": sid, "job_id": jid, "rubric_id": rubric, "version": version,
                     "submitted_at": submitted, "stage": stage or "first", "open": stage != "released",
                     "missing": c.details["missing"], "weak": c.details["weak"], "flag_total": c.flag_total,
                     "double_marking": None, "claimed_by": None, "claim_expires_at": None, "assigned_to": None,
                     "agreement": None, "first_marker": None, "second_marker": None}
            if stage is not None:
                held = stage != "released" and rng.random() < 0.5
                a = {"submission_id": sid, "stage": stage, "double_marking": stage in ("second", "reconcile"),
                     "claimed_by": rng.choice(assessors) if held else None,
                     "claim_expires_at": now + timedelta(minutes=30) if held else None,
                     "assigned_to": rng.choice(assessors) if stage != "released" and rng.random() < 0.2 else None,
                     "agreement": rng.choice((0.6, 0.75, 0.85, 0.95)) if stage in ("reconcile", "released") else None,
                     "released_at": submitted + timedelta(days=3) if stage == "released" else None,
                     "created_at": submitted}
                batch[Assessment].append(a)
                # The entry's copy of the assessment, and who released the markings before this stage
                # (the queue reads these from its entry; the markings themselves are not inserted).
                markers = rng.sample(assessors, 2) if stage in ("second", "reconcile") else [None, None]
                entry.update({k: a[k] for k in ("double_marking", "claimed_by", "claim_expires_at", "assigned_to",
                                                "agreement")},
                             first_marker=markers[0], second_marker=markers[1] if stage == "reconcile" else None)
            batch[QueueEntry].append(entry)
            if len(batch[Submission]) >= 2000:
                flush(conn)
        flush(conn)


def _run(backend: str, url: str, sizes: list[int], repeat: int, tmp: Path) -> list[tuple[str, int, str, list[float]]]:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from screening.settings import Settings
    from service.app import create_app
    from service.auth import create_user

    settings = Settings(cache_dir=tmp / "cache", rubric_dirs=[REPO / "rubrics"],
                        service={"data_dir": tmp / f"svc-{backend}", "worker": "none", "database_url": url})
    rows: list[tuple[str, int, str, list[float]]] = []
    rng = random.Random(18)
    with TestClient(create_app(settings)) as client:
        state = client.app.state.service  # type: ignore[attr-defined]
        with state.sessions() as s:
            cand = create_user(s, "cand@example.org", PASSWORD, "candidate").id
            ass = create_user(s, "ass@example.org", PASSWORD, "assessor").id
            others = [create_user(s, f"a{i}@example.org", PASSWORD, "assessor").id for i in range(5)]
            s.commit()
        r = client.post("/api/auth/token", json={"email": "ass@example.org", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        client.post("/login", data={"email": "ass@example.org", "password": PASSWORD}, follow_redirects=False)
        engine = state.engine
        have = 0
        for size in sizes:
            started = time.perf_counter()
            _fill(engine, have, size, cand, [ass, *others], rng)
            have = size
            if backend == "postgres":
                with engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            print(f"{backend}: {size:,} submissions ({time.perf_counter() - started:.0f} s to insert)", flush=True)
            first = client.get(FILTERED, headers=auth).json()
            urls = [("`GET /api/auth/me` (baseline)", "/api/auth/me"),
                    ("`GET /api/queue?per_page=25` (first page, default order)", "/api/queue?per_page=25"),
                    ("`GET /api/queue` (first page, 100 items)", "/api/queue"),
                    ("`GET /api/queue?rubric_id=…&flag=…&sort=missing&per_page=25`", FILTERED),
                    ("… its next page (`cursor=`)", f"{FILTERED}&cursor={first['next_cursor']}"),
                    ("`GET /api/queue?mine=true&per_page=25`", "/api/queue?mine=true&per_page=25"),
                    ("`/queue` page (HTML, 25 per page)", "/queue")]
            for label, url in urls:
                if url.endswith("cursor=None"):
                    continue  # one page only
                values = _time(client, url, repeat, auth if url.startswith("/api") else None)
                rows.append((backend, size, label, values))
                print(f"  {label}: median {statistics.median(values):.1f} ms, p99 {_pct(values, 0.99):.1f} ms",
                      flush=True)
            total = client.get("/api/queue?per_page=1", headers=auth).json()["total"]
            print(f"  default view: {total:,} open submissions", flush=True)
    return rows


def _postgres() -> tuple[str, Path]:
    # Not under the private temporary folder: the server runs as the postgres user when we are root.
    pg_dir = Path(tempfile.mkdtemp(prefix="bench-queue-pg-"))
    url = subprocess.run([str(REPO / ".ci" / "postgres"), "start", str(pg_dir)], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    return url, pg_dir


def main() -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from screening.cpu import cpu_flags

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", help="an admin URL of a PostgreSQL server (default: start a throw-away one)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    rows: list[tuple[str, int, str, list[float]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp_name:
        tmp = Path(tmp_name)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                rows += _run(backend, f"sqlite:///{tmp / 'queue.db'}", sizes, args.repeat, tmp)
                continue
            pg_dir = None
            admin_url = args.postgres_url
            if admin_url is None:
                admin_url, pg_dir = _postgres()
            name = f"bench_queue_{secrets.token_hex(4)}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
                rows += _run(backend, url, sizes, args.repeat, tmp)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
                if pg_dir is not None:
                    subprocess.run([str(REPO / ".ci" / "postgres"), "stop", str(pg_dir)], check=False)
                    shutil.rmtree(pg_dir, ignore_errors=True)
    simd = sorted(f for f in cpu_flags() if f.startswith(("avx", "amx", "fma"))) or ["none"]
    lines = [f"{os.cpu_count()} CPUs, SIMD flags: {' '.join(simd)}. Server time from `Server-Timing`, "
             f"{args.repeat} requests per row after 2 warm-up requests, in-process (TestClient), one request at a "
             "time. A year of a state program: 70% released, 20% waiting, 10% under way; four MCs. "
             "SQLite without ANALYZE; PostgreSQL VACUUM ANALYZEd after each fill. "
             "× baseline: median over the median of `GET /api/auth/me` at the same size and database.", "",
             "| Database | Submissions | Request | median ms | p99 ms | × baseline |", "|---|---:|---|---:|---:|---:|"]
    base: dict[tuple[str, int], float] = {}
    for backend, size, label, values in rows:
        med = statistics.median(values)
        base.setdefault((backend, size), med)
        lines.append(f"| {'SQLite' if backend == 'sqlite' else 'PostgreSQL'} | {size:,} | {label} | {med:.1f} | "
                     f"{_pct(values, 0.99):.1f} | {med / base[(backend, size)]:.1f} |")
    print("\n".join(lines))
    if not args.no_write:
        append_section("The assessors' queue at scale (bench.queue)", lines)


if __name__ == "__main__":
    main()
