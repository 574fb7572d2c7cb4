"""The webhook: when a submitted work's screening report is ready, POST a small signed notice.

The notice names the job and submission, never the report's content: the receiver fetches the
report with its own token, so the webhook leaks nothing if its URL is wrong. Deliveries are rows
in the database (created with the job's completion, in the same transaction), retried with
exponential backoff until a 2xx answer or ``service.webhook_max_attempts``.

Verifying a request: ``X-Screening-Signature`` is ``sha256=`` + hex HMAC-SHA256 of
``<X-Screening-Timestamp>.<raw body>`` under the shared secret; compare with
``hmac.compare_digest`` and reject old timestamps to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from screening.settings import ServiceSettings

from .models import Job, WebhookDelivery, utcnow

log = logging.getLogger("service.webhooks")
EVENT = "report.ready"
MAX_BACKOFF_S = 3600.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_s(attempts: int, base_s: float) -> float:
    """Wait after the given number of failed attempts: base, 2·base, 4·base, ... at most an hour."""
    return min(base_s * 2 ** (attempts - 1), MAX_BACKOFF_S)


def payload(job: Job) -> str:
    return json.dumps({"event": EVENT, "job_id": job.id, "submission_id": job.submission_id,
                       "report": f"/api/jobs/{job.id}/report"}, separators=(",", ":"))


def enqueue(session: Session, job: Job, svc: ServiceSettings) -> None:
    """Within the transaction that finishes the job: record the notice to deliver."""
    if svc.webhook_url and job.purpose == "screening":
        session.add(WebhookDelivery(job_id=job.id, payload=payload(job)))


class Deliverer:
    def __init__(self, sessions: sessionmaker[Session], svc: ServiceSettings,
                 client: httpx.Client | None = None) -> None:
        self.sessions, self.svc = sessions, svc
        self.client = client or httpx.Client(timeout=svc.webhook_timeout_s)

    def _claim_due(self, now: datetime) -> list[WebhookDelivery]:
        # Claiming pushes next_attempt_at past the request's timeout, so two servers do not both send.
        hold = now + timedelta(seconds=self.svc.webhook_timeout_s * 2)
        claimed = []
        with self.sessions() as s:
            due = s.scalars(select(WebhookDelivery).where(WebhookDelivery.state == "pending",
                                                          WebhookDelivery.next_attempt_at <= now)
                            .order_by(WebhookDelivery.next_attempt_at).limit(20)).all()
            for d in due:
                changed = s.execute(update(WebhookDelivery).where(
                    WebhookDelivery.id == d.id, WebhookDelivery.state == "pending",
                    WebhookDelivery.next_attempt_at == d.next_attempt_at).values(next_attempt_at=hold)).rowcount
                s.commit()
                if changed == 1:
                    claimed.append(d)
        return claimed

    def _send(self, d: WebhookDelivery) -> str | None:
        """None on success, else what went wrong."""
        body = d.payload.encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Screening-Event": EVENT, "X-Screening-Delivery": d.id,
                   "X-Screening-Timestamp": ts, "X-Screening-Signature": sign(self.svc.webhook_secret or "", ts, body)}
        try:
            r = self.client.post(self.svc.webhook_url or "", content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"

    def run_once(self) -> int:
        """Send every due delivery once; returns how many were sent (successfully or not)."""
        now = utcnow()
        due = self._claim_due(now)
        for d in due:
            error = self._send(d)
            attempts = d.attempts + 1
            with self.sessions() as s:
                if error is None:
                    values = {"state": "delivered", "delivered_at": utcnow(), "last_error": None}
                elif attempts >= self.svc.webhook_max_attempts:
                    values = {"state": "gave_up", "last_error": error}
                    log.warning("webhook for job %s given up after %d attempts: %s", d.job_id, attempts, error)
                else:
                    wait = backoff_s(attempts, self.svc.webhook_backoff_s)
                    values = {"next_attempt_at": utcnow() + timedelta(seconds=wait), "last_error": error}
                s.execute(update(WebhookDelivery).where(WebhookDelivery.id == d.id)
                          .values(attempts=attempts, **values))
                s.commit()
        return len(due)

    def run_forever(self, stop: threading.Event, poll_s: float) -> None:
        while not stop.is_set():
            try:
                if self.run_once() == 0:
                    stop.wait(poll_s)
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable: try again
                log.exception("webhook delivery loop error")
                stop.wait(poll_s)


def start_delivery(sessions: sessionmaker[Session], svc: ServiceSettings, stop: threading.Event) -> bool:
    """Deliver due webhooks from this process in a daemon thread, when a webhook is configured.
    Servers and workers of every kind all run it (claims keep them from sending one twice), so
    notices go out while any process of the service is up."""
    if not svc.webhook_url:
        return False
    deliverer = Deliverer(sessions, svc)
    threading.Thread(target=deliverer.run_forever, args=(stop, svc.job_poll_s), name="webhooks", daemon=True).start()
    return True
