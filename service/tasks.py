"""Celery workers (``service.worker = "celery"``): ``celery -A service.tasks worker --pool solo``.

The message only names a job; the database stays the single source of truth for its state. A
worker claims the job there exactly as the in-process worker does, so a duplicate or re-sent
message is harmless, and a job whose worker died is re-sent by the server once its lease expires.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from celery import Celery
from celery.signals import worker_ready

from screening.settings import Settings, get_settings

from .webhooks import start_delivery
from .worker import Worker

log = logging.getLogger("service.tasks")
TASK = "service.screen_job"
QUEUE = "screening"


def make_celery(settings: Settings) -> Celery:
    app = Celery("service", broker=settings.service.broker_url)
    app.conf.update(
        task_default_queue=QUEUE,
        task_ignore_result=True,  # results live in the database
        task_acks_late=True,  # a message is acknowledged only after its job ran
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # one job at a time per worker: screening uses every core
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


@lru_cache(maxsize=1)
def _worker() -> Worker:
    from .state import build_state

    state = build_state(get_settings(), migrate_db=False)  # the server migrates; workers only use it
    return Worker(state.sessions, state.storage, state.settings)


def screen_job(job_id: str) -> str:
    worker = _worker()
    outcome = worker.claim(job_id)
    if outcome == "claimed":
        return worker.run(job_id)
    # "busy": another worker holds a live lease (the server re-sends if that worker dies);
    # "final" or "missing": nothing to do.
    log.info("job %s not run here: %s", job_id, outcome)
    return outcome


app = make_celery(get_settings()) if get_settings().service.broker_url else Celery("service")
app.task(name=TASK)(screen_job)
_stop_delivery = threading.Event()


@worker_ready.connect
def _deliver_webhooks(**_: object) -> None:
    """A Celery worker also delivers webhooks, so notices go out even while no API server runs."""
    worker = _worker()
    start_delivery(worker.sessions, worker.settings.service, _stop_delivery)


class CeleryDispatcher:
    """Sends jobs to the broker from the API server."""

    def __init__(self, settings: Settings) -> None:
        self.celery = make_celery(settings)

    def __call__(self, job_id: str) -> None:
        try:
            self.celery.send_task(TASK, args=[job_id], queue=QUEUE)
        except Exception:  # noqa: BLE001 - the job is safe in the database; the re-send loop retries
            log.exception("could not send job %s to the broker; it will be re-sent", job_id)
