"""A real server (uvicorn in a subprocess) killed with SIGKILL mid-screening, then restarted:
the job completes and nothing uploaded is lost."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ..conftest import REPO
from .conftest import PASSWORD, RUBRIC, tiny_submission

pytestmark = pytest.mark.models


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "service.app:app", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"server exited: {self.log.read_text()[-2000:]}"
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/openapi.json", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_sigkill_mid_screening_then_restart_completes_the_job(tmp_path):
    data = tmp_path / "svc"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SCREENING_SERVICE__DATA_DIR": str(data),
           "SCREENING_CACHE_DIR": str(tmp_path / "cache"), "SCREENING_SERVICE__JOB_LEASE_S": "3",
           "SCREENING_SERVICE__JOB_HEARTBEAT_S": "1", "SCREENING_SERVICE__JOB_POLL_S": "0.2"}
    env.pop("SCREENING_CONFIG", None)
    made = subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "admin@example.org",
                           "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=REPO, env=env,
                          capture_output=True, timeout=120)
    assert made.returncode == 0, made.stderr
    server = Server(env, _free_port(), tmp_path / "server.log")
    base = f"http://127.0.0.1:{server.port}/api"
    try:
        server.start()
        with httpx.Client(base_url=base, timeout=30) as c:
            admin = c.post("/auth/token", json={"email": "admin@example.org", "password": PASSWORD}).json()
            r = c.post("/users", json={"email": "cand@example.org", "password": PASSWORD, "role": "candidate"},
                       headers={"Authorization": f"Bearer {admin['access_token']}"})
            assert r.status_code == 201, r.text
            tok = c.post("/auth/token", json={"email": "cand@example.org", "password": PASSWORD}).json()
            h = {"Authorization": f"Bearer {tok['access_token']}"}
            sub = c.post("/submissions", json={"rubric_id": RUBRIC}, headers=h).json()["id"]
            sent = {}
            for part, name, body in tiny_submission():
                r = c.post(f"/submissions/{sub}/files", params={"part": part, "filename": name}, content=body,
                           headers=h)
                assert r.status_code == 201, r.text
                sent[name] = hashlib.sha256(body).hexdigest()
            job_id = c.post(f"/submissions/{sub}/submit", headers=h).json()["job"]["id"]
            deadline = time.monotonic() + 30
            while c.get(f"/jobs/{job_id}", headers=h).json()["state"] != "running":
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.05)
        server.kill()

        # Killed mid-screening: the job is still running in the database and has no report.
        with sqlite3.connect(data / "service.db") as db:
            state, attempts = db.execute("SELECT state, attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
            reports = db.execute("SELECT count(*) FROM reports").fetchone()[0]
        assert (state, attempts, reports) == ("running", 1, 0)

        server.start()
        with httpx.Client(base_url=base, timeout=30) as c:
            deadline = time.monotonic() + 240
            while (job := c.get(f"/jobs/{job_id}", headers=h).json())["state"] not in ("done", "failed"):
                assert time.monotonic() < deadline, f"the job did not finish after the restart: {job}"
                time.sleep(0.5)
            assert job["state"] == "done" and job["attempts"] == 2, job
            report = c.get(f"/jobs/{job_id}/report", headers=h).json()
            assert sorted(f["name"] for f in report["files"]) == sorted(sent)
            files = c.get(f"/submissions/{sub}/files", headers=h).json()
            assert {f["name"]: f["sha256"] for f in files} == sent
    finally:
        server.stop()
    # Every stored file is still on disk with the bytes that were uploaded.
    with sqlite3.connect(data / "service.db") as db:
        rows = db.execute("SELECT storage_key, sha256 FROM files").fetchall()
    assert len(rows) == len(sent)
    for key, digest in rows:
        assert hashlib.sha256((data / "uploads" / key[:2] / key).read_bytes()).hexdigest() == digest
