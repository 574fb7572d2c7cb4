"""A real server (uvicorn in a subprocess) killed with SIGKILL mid-screening, then restarted:
the job completes and nothing uploaded is lost."""

from __future__ import annotations

import hashlib
import sqlite3

import httpx
import pytest

from .conftest import RUBRIC, tiny_submission
from .processes import (create_admin, free_port, server, service_env, service_worker, signed_in_candidate,
                        submit_tiny, wait_for)

pytestmark = pytest.mark.models


@pytest.mark.heavy
def test_sigkill_mid_screening_then_restart_completes_the_job(tmp_path):
    env = service_env(tmp_path)
    data = tmp_path / "svc"
    create_admin(env)
    port = free_port()
    srv = server(env, port, tmp_path / "server.log")
    files = tiny_submission()
    sent = {name: hashlib.sha256(body).hexdigest() for _, name, body in files}
    try:
        srv.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            h = signed_in_candidate(c)
            sub, job_id = submit_tiny(c, h, files, RUBRIC)
            wait_for(c, h, job_id, ("running",), timeout=30)
        srv.kill()

        # Killed mid-screening: the job is still running in the database and has no report.
        with sqlite3.connect(data / "service.db") as db:
            state, attempts = db.execute("SELECT state, attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
            reports = db.execute("SELECT count(*) FROM reports").fetchone()[0]
        assert (state, attempts, reports) == ("running", 1, 0)

        srv.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            job = wait_for(c, h, job_id, ("done", "failed"), timeout=240)
            assert job["state"] == "done" and job["attempts"] == 2, job
            report = c.get(f"/jobs/{job_id}/report", headers=h).json()
            assert sorted(f["name"] for f in report["files"]) == sorted(sent)
            listed = c.get(f"/submissions/{sub}/files", headers=h).json()
            assert {f["name"]: f["sha256"] for f in listed} == sent
    finally:
        srv.stop()
    # Every stored file is still on disk with the bytes that were uploaded.
    with sqlite3.connect(data / "service.db") as db:
        rows = db.execute("SELECT storage_key, sha256 FROM files").fetchall()
    assert len(rows) == len(sent)
    for key, digest in rows:
        assert hashlib.sha256((data / "uploads" / key[:2] / key).read_bytes()).hexdigest() == digest


@pytest.mark.heavy
def test_worker_processes_without_a_broker_survive_a_killed_worker(tmp_path):
    """service.worker = "none": `python -m service worker` processes take jobs from the database;
    one is killed mid-job and a second worker, started afterwards, completes it."""
    env = service_env(tmp_path, worker="none")
    create_admin(env)
    port = free_port()
    srv = server(env, port, tmp_path / "server.log")
    first = service_worker(env, tmp_path / "worker1.log")
    second = service_worker(env, tmp_path / "worker2.log")
    try:
        srv.start()
        first.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            h = signed_in_candidate(c)
            _, job_id = submit_tiny(c, h, tiny_submission(), RUBRIC)
            wait_for(c, h, job_id, ("running",), timeout=30)
            first.kill()
            second.start()
            job = wait_for(c, h, job_id, ("done", "failed"), timeout=240)
            assert job["state"] == "done" and job["attempts"] == 2, job
            with sqlite3.connect(tmp_path / "svc" / "service.db") as db:
                owner = db.execute("SELECT lease_owner FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
            assert f":{second.pid}:" in owner
    finally:
        for p in (second, first, srv):
            p.stop()
