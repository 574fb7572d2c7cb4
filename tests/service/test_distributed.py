"""The distributed deployment end to end: PostgreSQL, S3-compatible storage (moto's server),
Redis and two Celery worker processes. The API server stops right after the submit: the workers
fetch the files from the bucket, screen, store the report, and deliver the signed webhook
without it. The server then starts again and serves the report."""

from __future__ import annotations

import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, select

from service.models import Job, StoredFile, WebhookDelivery
from service.webhooks import sign

from .conftest import RUBRIC, tiny_submission
from .processes import celery_worker, create_admin, free_port, server, service_env, signed_in_candidate, submit_tiny

pytestmark = pytest.mark.models
SECRET = "distributed-secret"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A webhook receiver on a port of its own; yields its URL and the requests it got."""
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", got
    httpd.shutdown()


def _until(what: str, check, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


@pytest.mark.heavy
def test_postgres_s3_and_celery_workers_finish_without_the_api_server(tmp_path, postgres_url, s3, redis, receiver):
    s3_url, s3_client = s3
    hook_url, hooks = receiver
    env = service_env(tmp_path, worker="celery", broker_url=redis, job_resend_s="1", database_url=postgres_url,
                      storage="s3", s3_bucket="uploads", s3_prefix="up/", s3_endpoint_url=s3_url,
                      webhook_url=hook_url, webhook_secret=SECRET)
    create_admin(env)  # also migrates, before any worker opens the database
    port = free_port()
    api = server(env, port, tmp_path / "server.log")
    workers = [celery_worker(env, f"w{i}", tmp_path / f"worker{i}.log") for i in (1, 2)]
    engine = create_engine(postgres_url)
    try:
        for p in [api, *workers]:
            p.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            h = signed_in_candidate(c)
            sub_id, job_id = submit_tiny(c, h, tiny_submission(), RUBRIC)
        api.stop()

        def finished() -> Job | None:
            with engine.connect() as conn:
                row = conn.execute(select(Job.state, Job.attempts).where(Job.id == job_id)).one()
            return row if row.state in ("done", "failed") else None

        state = _until("the screening job", finished, timeout=240)
        assert (state.state, state.attempts) == ("done", 1)
        headers, body = _until("the webhook", lambda: hooks, timeout=60)[0]
        assert json.loads(body) == {"event": "report.ready", "job_id": job_id, "submission_id": sub_id,
                                    "report": f"/api/jobs/{job_id}/report"}
        assert hmac.compare_digest(headers["x-screening-signature"],
                                   sign(SECRET, headers["x-screening-timestamp"], body))

        def deliveries() -> list[str] | None:
            # the worker records the delivery after the receiver has answered: the receiver may
            # hold the webhook a moment before the row says so
            with engine.connect() as conn:
                states = list(conn.execute(select(WebhookDelivery.state)).scalars())
            return states if states and "pending" not in states else None

        assert _until("the delivery record", deliveries, timeout=30) == ["delivered"]
        with engine.connect() as conn:
            keys = {"up/" + k for k in conn.execute(select(StoredFile.storage_key)).scalars()}
        listed = {o["Key"] for o in s3_client.list_objects_v2(Bucket="uploads").get("Contents", [])}
        assert listed == keys and len(keys) == 3
        assert not (tmp_path / "svc" / "uploads").exists()  # nothing went through local disk

        api.start()  # the server comes back and serves what the workers produced
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=30) as c:
            tok = c.post("/auth/token", json={"email": "cand@example.org", "password": "correct horse battery"})
            report = c.get(f"/jobs/{job_id}/report", headers={"Authorization": f"Bearer {tok.json()['access_token']}"})
        assert report.status_code == 200
        assert sorted(f["name"] for f in report.json()["files"]) == sorted(n for _, n, _ in tiny_submission())
        assert len(hooks) == 1  # delivered once, though three processes could have sent it
    finally:
        for p in [api, *workers]:
            p.stop()
        engine.dispose()
