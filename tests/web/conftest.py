"""Fixtures for the pages: a TestClient app (SQLite), and for the journeys a real server with a
real screening worker, driven by Debian's Chromium through Playwright and checked with axe-core.

Screenshots of every page a journey visits are saved under ``$SCREENING_TEST_ARTIFACTS`` (default
``out/test-artifacts/pages``) so CI keeps them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from ..conftest import REPO
from ..service.conftest import PASSWORD, Api, make_api, service_settings

CHROMIUM = os.environ.get("SCREENING_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("SCREENING_TEST_REQUIRE_BROWSER") == "1"  # CI: a missing browser fails
ARTIFACTS = Path(os.environ.get("SCREENING_TEST_ARTIFACTS") or REPO / "out" / "test-artifacts" / "pages")
# Without these, Chromium keeps trying to reach Google's servers, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The app on a private SQLite file (the API's own tests cover PostgreSQL)."""
    yield from make_api(service_settings(tmp_path, max_upload_bytes=2 * 1024 * 1024, max_files_per_submission=12))


@pytest.fixture
def web(api: Api) -> Api:
    """The app with one user per role: cand, ass, des, adm (emails <name>@example.org)."""
    from .pages import add_people

    add_people(api)
    return api


# --- the real browser -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"SCREENING_TEST_REQUIRE_BROWSER=1 but no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("no Chromium: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Server:
    """A real uvicorn server with the in-process screening worker, on a private data folder."""

    def __init__(self, tmp: Path) -> None:
        from ..service.processes import Proc, free_port, service_env

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = service_env(tmp, worker="thread", max_upload_bytes=str(8 * 1024 * 1024), claim_minutes="30")
        env["SCREENING_RUBRIC_DIRS"] = f'["{REPO / "rubrics"}"]'
        self.env = env

        def ready(_: Proc) -> bool:
            try:
                return httpx.get(self.url + "/login", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        self.proc = Proc([sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                         env, tmp / "server.log", ready)

    def add_user(self, email: str, role: str, display_name: str | None = None) -> None:
        """Through the API, as an admin does (the first admin by the command line)."""
        admin = httpx.post(self.url + "/api/auth/token", json={"email": "root@example.org", "password": PASSWORD})
        if admin.status_code != 200:
            subprocess.run([sys.executable, "-m", "service", "create-admin", "--email", "root@example.org",
                            "--password-stdin"], input=PASSWORD.encode(), env=self.env, cwd=REPO, check=True,
                           capture_output=True)
            admin = httpx.post(self.url + "/api/auth/token", json={"email": "root@example.org", "password": PASSWORD})
        token = admin.json()["access_token"]
        body: dict[str, Any] = {"email": email, "password": PASSWORD, "role": role}
        if display_name:
            body["display_name"] = display_name
        r = httpx.post(self.url + "/api/users", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text


@pytest.fixture
def server(tmp_path: Path, browser) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    s = Server(tmp_path)
    s.proc.start(timeout=120)
    try:
        yield s
    finally:
        s.proc.stop()
