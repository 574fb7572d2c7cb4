"""Fixtures for the service's tests: an app on a private SQLite file and upload folder, with the
in-process worker off (tests run jobs themselves with Worker.run_once, or start a real server)."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from ..conftest import REPO

PASSWORD = "correct horse battery"
RUBRIC = "mo-il-professional-learning"


def rubric_yaml(version: str, title: str | None = None) -> str:
    """The test rubric's file with another version (and title): an upload an admin could make."""
    text = (REPO / "rubrics" / f"{RUBRIC}.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2026.1"', f'version: "{version}"', 1)
    return text.replace("title: Professional Learning", f"title: {title}", 1) if title else text


def service_settings(tmp_path: Path, **service: Any):
    from screening.settings import Settings

    from .processes import TEST_PASSWORD_HASHING

    opts: dict[str, Any] = {"data_dir": tmp_path / "svc", "worker": "none", **TEST_PASSWORD_HASHING}
    opts.update(service)
    return Settings(cache_dir=tmp_path / "cache", rubric_dirs=[REPO / "rubrics"], service=opts)


@dataclass
class Api:
    """A TestClient plus signed-in users by name."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.client.app.state.service  # type: ignore[attr-defined]

    def add_user(self, name: str, role: str) -> str:
        from service.auth import create_user

        with self.state.sessions() as s:
            user = create_user(s, f"{name}@example.org", PASSWORD, role)
            s.commit()
        self.ids[name] = user.id
        self.tokens[name] = self.sign_in(name)
        return user.id

    def sign_in(self, name: str) -> str:
        r = self.client.post("/api/auth/token", json={"email": f"{name}@example.org", "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def h(self, name: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"} if name else {}

    def call(self, who: str | None, method: str, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        headers = {**self.h(who), **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def upload(self, who: str, sub_id: str, part: str, name: str, data: bytes):  # type: ignore[no-untyped-def]
        return self.call(who, "POST", f"/api/submissions/{sub_id}/files", params={"part": part, "filename": name},
                         content=data, headers={"Content-Type": "application/octet-stream"})

    def draft(self, who: str, rubric: str = RUBRIC) -> str:
        r = self.call(who, "POST", "/api/submissions", json={"rubric_id": rubric})
        assert r.status_code == 201, r.text
        return r.json()["id"]


def make_api(settings) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    from service.app import create_app

    with TestClient(create_app(settings)) as client:
        yield Api(client)


POSTGRES_URL = os.environ.get("SCREENING_TEST_POSTGRES_URL")  # an admin URL of a throw-away server
REQUIRE_POSTGRES = os.environ.get("SCREENING_TEST_REQUIRE_POSTGRES") == "1"  # CI: a missing server fails


@pytest.fixture(scope="session")
def postgres_admin():  # type: ignore[no-untyped-def]
    """An engine on the PostgreSQL server the environment names (skip without one, unless required)."""
    from sqlalchemy import create_engine, text

    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SCREENING_TEST_REQUIRE_POSTGRES=1 but SCREENING_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server: set SCREENING_TEST_POSTGRES_URL (.ci/run does)")
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach it is the same finding
        pytest.fail(f"the PostgreSQL server at {POSTGRES_URL} cannot be reached: {exc}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """A SQLite file migrated to the newest schema once per test process, copied for each test."""
    from service.db import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "service.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closed checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def migrated_postgres(postgres_admin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The name of a PostgreSQL database migrated once per test process: the template of each
    test's database (CREATE DATABASE ... TEMPLATE copies it in a few milliseconds)."""
    from sqlalchemy import text

    from service.db import make_engine, migrate

    name = f"tmpl_{secrets.token_hex(6)}"
    with postgres_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_postgres_url_of(name))
    migrate(engine)
    engine.dispose()  # a template must have no open connections while it is copied
    yield name
    with postgres_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(request, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh database for one test, a SQLite file or a new database on PostgreSQL, already at
    the newest schema (a copy of one migrated per test process: migrating from nothing for every
    test cost a minute of the suite). Tests of the migrations themselves are marked
    ``empty_database`` and get an empty one."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if request.param == "sqlite":
        path = tmp_path / "service.db"
        if not empty:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("postgres_admin")
    yield from _postgres_database(admin, None if empty else request.getfixturevalue("migrated_postgres"))


@pytest.fixture
def postgres_url(postgres_admin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A new, empty database on the PostgreSQL server, dropped after the test."""
    yield from _postgres_database(postgres_admin, None)


def _postgres_url_of(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_database(admin, template: str | None) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    name = f"t_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield _postgres_url_of(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pytest_generate_tests(metafunc):  # type: ignore[no-untyped-def]
    # Every test on the API runs on SQLite and on PostgreSQL.
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    yield from make_api(service_settings(tmp_path, max_upload_bytes=64 * 1024, max_files_per_submission=5,
                                         database_url=database_url))


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every endpoint, read from the routers the app includes."""
    from service.app import ROUTERS

    return [(m, r.path) for module in ROUTERS for r in module.router.routes for m in r.methods - {"HEAD"}]


def one_page_pdf(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


NARRATIVE = (
    "In my classroom I planned a unit on fractions after reviewing the state standards and my students' "
    "pre-assessment results. I met with my instructional coach each week to set professional learning goals, "
    "and I observed a colleague's lesson to learn how she uses small-group instruction. "
    "After the workshop on formative assessment, I changed my exit tickets so that they measure one skill each."
).encode()
REFLECTION = (
    "Looking back, the coaching cycle changed how I plan. Student scores on the post-assessment rose, and I learned "
    "that feedback from peers helps me improve. Next year I will share what I learned with my grade-level team."
).encode()


def tiny_submission() -> list[tuple[str, str, bytes]]:
    """(part, name, bytes): a small submission that screens in seconds."""
    return [
        ("narrative", "narrative.txt", NARRATIVE),
        ("reflection", "reflection.md", REFLECTION),
        ("artifact", "growth plan.pdf", one_page_pdf("Professional growth plan. Goal: use formative assessment "
                                                     "weekly. Evidence: exit tickets, coaching notes.")),
    ]


@pytest.fixture
def s3(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A bucket `uploads` on moto's S3 server; yields (endpoint URL, boto3 client)."""
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency (make setup installs it)")
    import boto3
    import httpx

    from .processes import Proc, free_port

    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(var, value)
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def ready(_: Proc) -> bool:
        try:
            httpx.get(url, timeout=1)
            return True
        except httpx.TransportError:
            return False

    server = Proc([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], dict(os.environ),
                  tmp_path / "moto.log", ready).start()
    client = boto3.client("s3", endpoint_url=url)
    client.create_bucket(Bucket="uploads")
    yield url, client
    server.stop()


@pytest.fixture
def redis(tmp_path):  # type: ignore[no-untyped-def]
    """A Redis server of its own; yields its URL."""
    if shutil.which("redis-server") is None:
        if os.environ.get("SCREENING_TEST_REQUIRE_REDIS") == "1":
            pytest.fail("SCREENING_TEST_REQUIRE_REDIS=1 but redis-server is not installed")
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    from .processes import free_port, redis_server

    port = free_port()
    proc = redis_server(port, tmp_path / "redis.log").start()
    yield f"redis://127.0.0.1:{port}/0"
    proc.stop()
