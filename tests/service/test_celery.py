"""The distributed path: the API server sends jobs over a real Redis to two Celery worker
processes; one worker is killed (SIGKILL) mid-job and the other completes the job."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from .conftest import RUBRIC, tiny_submission
from .processes import (celery_worker, create_admin, free_port, server, service_env, signed_in_candidate,
                        submit_tiny, wait_for)

pytestmark = pytest.mark.models


def _owner_pid(db_path, job_id: str) -> int:  # type: ignore[no-untyped-def]
    with sqlite3.connect(db_path) as db:
        owner = db.execute("SELECT lease_owner FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
    return int(owner.split(":")[1])  # host:pid:random


@pytest.mark.heavy
def test_two_celery_workers_share_jobs_and_survive_a_killed_worker(tmp_path, redis):
    env = service_env(tmp_path, worker="celery", broker_url=redis, job_resend_s="1")
    db_path = tmp_path / "svc" / "service.db"
    create_admin(env)  # also migrates, before any worker opens the database
    port = free_port()
    procs = [server(env, port, tmp_path / "server.log")]
    procs += [celery_worker(env, f"w{i}", tmp_path / f"worker{i}.log") for i in (1, 2)]
    try:
        for p in procs:
            p.start()
        workers = {p.pid: p for p in procs[1:]}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            h = signed_in_candidate(c)
            # First, while the workers have yet to load their models (so the job takes seconds):
            # kill the worker running a job; the other one completes it once the lease expires.
            _, job_id = submit_tiny(c, h, tiny_submission(), RUBRIC)
            wait_for(c, h, job_id, ("running",), timeout=30)
            victim = _owner_pid(db_path, job_id)
            workers[victim].kill()
            survivor = next(pid for pid in workers if pid != victim)
            job = wait_for(c, h, job_id, ("done", "failed"), timeout=180)
            assert job["state"] == "done" and job["attempts"] == 2, job
            assert _owner_pid(db_path, job_id) == survivor
            report = c.get(f"/jobs/{job_id}/report", headers=h).json()
            assert sorted(f["name"] for f in report["files"]) == sorted(n for _, n, _ in tiny_submission())

            # The killed worker starts again; two jobs sent one after the other run on the two workers.
            restarted = workers.pop(victim).start()
            workers[restarted.pid] = restarted
            jobs = [submit_tiny(c, h, tiny_submission(), RUBRIC)[1] for _ in range(2)]
            for job_id in jobs:
                job = wait_for(c, h, job_id, ("done", "failed"), timeout=180)
                assert job["state"] == "done" and job["attempts"] == 1, job
            assert {_owner_pid(db_path, j) for j in jobs} == set(workers)
            with sqlite3.connect(db_path) as db:
                assert db.execute("SELECT count(*) FROM reports").fetchone()[0] == 3
    finally:
        for p in procs:
            p.stop()
