"""Real processes for the service's tests: a uvicorn server, Celery workers, Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx

from ..conftest import REPO
from .conftest import PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# argon2id at its cheapest: tests create and sign in thousands of accounts, and the production cost
# (~0.2 s per hash) would be minutes of the suite. tests/service/test_auth*.py covers the setting.
TEST_PASSWORD_HASHING = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024, "password_hash_parallelism": 1}


def service_env(tmp_path: Path, **service: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SCREENING_SERVICE__DATA_DIR": str(tmp_path / "svc"),
           "SCREENING_CACHE_DIR": str(tmp_path / "cache"), "SCREENING_SERVICE__JOB_LEASE_S": "3",
           "SCREENING_SERVICE__JOB_HEARTBEAT_S": "1", "SCREENING_SERVICE__JOB_POLL_S": "0.2"}
    env.update({f"SCREENING_SERVICE__{k.upper()}": str(v) for k, v in TEST_PASSWORD_HASHING.items()})
    env.pop("SCREENING_CONFIG", None)
    env.update({f"SCREENING_SERVICE__{k.upper()}": v for k, v in service.items()})
    return env


class Proc:
    """A child process whose output goes to a log file, started again as often as needed."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, ready: Callable[["Proc"], bool]) -> None:
        self.cmd, self.env, self.log, self.ready = cmd, env, log, ready
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self, timeout: float = 90) -> "Proc":
        self.log.write_text("")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.cmd[:4]} exited: {self.tail()}"
            if self.ready(self):
                return self
            time.sleep(0.2)
        raise AssertionError(f"{self.cmd[:4]} did not start: {self.tail()}")

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


def server(env: dict[str, str], port: int, log: Path) -> Proc:
    def ready(_: Proc) -> bool:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
            return True
        except httpx.TransportError:
            return False

    cmd = [sys.executable, "-m", "uvicorn", "service.app:app", "--host", "127.0.0.1", "--port", str(port)]
    return Proc(cmd, env, log, ready)


def celery_worker(env: dict[str, str], name: str, log: Path) -> Proc:
    cmd = [sys.executable, "-m", "celery", "-A", "service.tasks", "worker", "--pool", "solo", "-n", f"{name}@%h",
           "-Q", "screening", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return Proc(cmd, env, log, lambda p: "ready." in p.tail())


def redis_server(port: int, log: Path) -> Proc:
    def ready(_: Proc) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Proc(cmd, dict(os.environ), log, ready)


def create_admin(env: dict[str, str]) -> None:
    made = subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "admin@example.org",
                           "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=REPO, env=env,
                          capture_output=True, timeout=120)
    assert made.returncode == 0, made.stderr


def signed_in_candidate(c: httpx.Client) -> dict[str, str]:
    """Sign in as the admin, create a candidate, and return the candidate's auth header."""
    admin = c.post("/auth/token", json={"email": "admin@example.org", "password": PASSWORD}).json()
    r = c.post("/users", json={"email": "cand@example.org", "password": PASSWORD, "role": "candidate"},
               headers={"Authorization": f"Bearer {admin['access_token']}"})
    assert r.status_code == 201, r.text
    tok = c.post("/auth/token", json={"email": "cand@example.org", "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tok['access_token']}"}


def submit_tiny(c: httpx.Client, h: dict[str, str], files: list[tuple[str, str, bytes]], rubric: str) -> tuple[str, str]:
    """(submission id, screening job id) of a new submission of these files."""
    sub = c.post("/submissions", json={"rubric_id": rubric}, headers=h).json()["id"]
    for part, name, body in files:
        r = c.post(f"/submissions/{sub}/files", params={"part": part, "filename": name}, content=body, headers=h)
        assert r.status_code == 201, r.text
    r = c.post(f"/submissions/{sub}/submit", headers=h)
    assert r.status_code == 202, r.text
    return sub, r.json()["job"]["id"]


def wait_for(c: httpx.Client, h: dict[str, str], job_id: str, states: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while (job := c.get(f"/jobs/{job_id}", headers=h).json())["state"] not in states:
        assert time.monotonic() < deadline, f"job never reached {states}: {job}"
        time.sleep(0.1)
    return job  # type: ignore[no-any-return]


def service_worker(env: dict[str, str], log: Path) -> Proc:
    """`python -m service worker`: polls the database for jobs (service.worker = "none")."""
    return Proc([sys.executable, "-m", "service", "worker"], env, log, lambda p: "waiting for jobs" in p.tail())
