"""The webhook: signed, retried with backoff, recorded in the database, one per finished screening."""

from __future__ import annotations

import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from service import webhooks
from service.models import WebhookDelivery
from service.worker import Worker

from .conftest import make_api, service_settings

SECRET = "s3cret-for-tests"


class Receiver:
    """A local HTTP endpoint answering with the given statuses in turn (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[float, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((time.monotonic(), dict(self.headers), body))
                status = outer.statuses[min(len(outer.received) - 1, len(outer.statuses) - 1)]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _valid(headers: dict[str, str], body: bytes) -> bool:
    expected = webhooks.sign(SECRET, headers["X-Screening-Timestamp"], body)
    return hmac.compare_digest(headers["X-Screening-Signature"], expected)


def test_signature_and_backoff_rules():
    body = b'{"event":"report.ready"}'
    sig = webhooks.sign(SECRET, "1700000000", body)
    assert sig.startswith("sha256=") and len(sig) == 7 + 64
    assert webhooks.sign(SECRET, "1700000000", body + b" ") != sig
    assert webhooks.sign(SECRET, "1700000001", body) != sig
    assert webhooks.sign("other", "1700000000", body) != sig
    assert [webhooks.backoff_s(n, 5) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert webhooks.backoff_s(30, 5) == webhooks.MAX_BACKOFF_S


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _finished_screening(tmp_path, url: str, **service):  # type: ignore[no-untyped-def]
    """An app whose worker (screening faked: the webhook is what is tested) finished one screening
    and one self-check."""
    settings = service_settings(tmp_path, webhook_url=url, webhook_secret=SECRET, webhook_backoff_s=0.1,
                                webhook_timeout_s=2, **service)
    gen = make_api(settings)
    api = next(gen)
    api.add_user("cand", "candidate")
    sub = api.draft("cand")
    api.upload("cand", sub, "narrative", "n.txt", b"some words")
    check = api.call("cand", "POST", f"/api/submissions/{sub}/self-checks").json()["id"]
    job = api.call("cand", "POST", f"/api/submissions/{sub}/submit").json()["job"]["id"]
    st = api.state
    worker = Worker(st.sessions, st.storage, st.settings)
    worker._screen = lambda job_id: json.dumps({"flags": []})  # type: ignore[method-assign]
    assert worker.run_once() == check and worker.run_once() == job
    worker.run(job)  # finishing again (a re-run) does not notify again
    return gen, api, sub, job


def test_delivery_is_signed_and_retried_with_backoff(tmp_path, receiver):
    hook = receiver([500, 503, 200])
    gen, api, sub, job = _finished_screening(tmp_path, hook.url)
    deliverer = webhooks.Deliverer(api.state.sessions, api.state.settings.service)
    deadline = time.monotonic() + 20
    while len(hook.received) < 3:
        assert time.monotonic() < deadline, hook.received
        deliverer.run_once()
        time.sleep(0.02)
    deliverer.run_once()
    assert len(hook.received) == 3  # one notice (the self-check sends none), delivered on the third try
    times = [t for t, _, _ in hook.received]
    assert times[1] - times[0] >= 0.1 and times[2] - times[1] >= 0.2  # waits doubled
    for _, headers, body in hook.received:
        assert _valid(headers, body)
        assert json.loads(body) == {"event": "report.ready", "job_id": job, "submission_id": sub,
                                    "report": f"/api/jobs/{job}/report"}
    assert len({h["X-Screening-Delivery"] for _, h, _ in hook.received}) == 1
    with api.state.sessions() as s:
        d = s.scalars(select(WebhookDelivery)).one()
    assert (d.state, d.attempts, d.last_error) == ("delivered", 3, None)
    gen.close()


def test_delivery_gives_up_after_max_attempts(tmp_path, receiver):
    hook = receiver([500])
    gen, api, _, _ = _finished_screening(tmp_path, hook.url, webhook_max_attempts=2)
    deliverer = webhooks.Deliverer(api.state.sessions, api.state.settings.service)
    deadline = time.monotonic() + 20
    while True:
        deliverer.run_once()
        with api.state.sessions() as s:
            d = s.scalars(select(WebhookDelivery)).one()
        if d.state != "pending":
            break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert (d.state, d.attempts, d.last_error) == ("gave_up", 2, "HTTP 500")
    assert len(hook.received) == 2
    gen.close()


def test_the_server_delivers_webhooks_itself(tmp_path, receiver, monkeypatch):
    hook = receiver([200])
    monkeypatch.setattr(Worker, "_screen", lambda self, job_id: json.dumps({"flags": []}))
    settings = service_settings(tmp_path, worker="thread", job_poll_s=0.05, webhook_url=hook.url,
                                webhook_secret=SECRET)
    for api in make_api(settings):
        api.add_user("cand", "candidate")
        sub = api.draft("cand")
        api.upload("cand", sub, "narrative", "n.txt", b"some words")
        job = api.call("cand", "POST", f"/api/submissions/{sub}/submit").json()["job"]["id"]
        deadline = time.monotonic() + 20
        while not hook.received:
            assert time.monotonic() < deadline, "no webhook arrived"
            time.sleep(0.05)
        _, headers, body = hook.received[0]
        assert _valid(headers, body) and json.loads(body)["job_id"] == job


def test_a_webhook_needs_a_secret(tmp_path):
    with pytest.raises(ValueError, match="webhook_secret"):
        service_settings(tmp_path, webhook_url="http://127.0.0.1:9/hook")
