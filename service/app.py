"""The ASGI app: ``uvicorn service.app:app``. Settings come from the core Settings object
(``SCREENING_SERVICE__...``); on start the database is migrated and, with ``service.worker =
"thread"``, a background worker starts screening queued jobs."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI

from screening import __version__
from screening.settings import Settings

from . import errors, retention, webhooks
from .state import ServiceState, build_state
from .routers import assessments, auth, exports, issuer, jobs, programs, queue, rubrics, stats, submissions, users
from .routers import duplicates as duplicate_evidence
from .worker import Worker

log = logging.getLogger("service")
ROUTERS = (auth, users, rubrics, submissions, jobs, stats, exports, queue, assessments, issuer, programs,
           duplicate_evidence)


def _resend_loop(state: ServiceState, stop: threading.Event) -> None:
    """Celery mode: re-send jobs that waited too long or whose worker died (lease expired)."""
    finder = Worker(state.sessions, state.storage, state.settings)
    while not stop.wait(state.settings.service.job_resend_s):
        try:
            for job_id in finder.waiting_jobs():
                state.dispatch(job_id)
        except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable: try again next round
            log.exception("re-sending waiting jobs failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from screening.settings import get_settings

        state = build_state(settings or get_settings())
        app.state.service = state
        stop = threading.Event()
        thread = None
        if state.settings.service.worker == "thread":
            worker = Worker(state.sessions, state.storage, state.settings)
            # A daemon: if the process stops mid-screening the lease runs out and the job is taken up again.
            thread = threading.Thread(target=worker.run_forever, args=(stop,), name="screening-worker", daemon=True)
            thread.start()
            log.info("in-process worker %s started", worker.owner)
        elif state.settings.service.worker == "celery":
            thread = threading.Thread(target=_resend_loop, args=(state, stop), name="job-resend", daemon=True)
            thread.start()
        webhooks.start_delivery(state.sessions, state.settings.service, stop)
        retention.start(state, stop)  # deletes what the retention settings say is due (service/retention.py)
        try:
            yield
        finally:
            stop.set()
            state.engine.dispose()

    app = FastAPI(
        title="MC screening service",
        version=__version__,
        description="Advisory pre-screening of micro-credential submissions. Errors are "
        "`application/problem+json` with a stable `code` (docs/service.md).",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(issuer.public)  # /issuer and /status/1: public documents for verifiers
    from . import web

    web.install(app)  # the pages at /, after the API so their error handling wraps the API's
    return app


app = create_app()
