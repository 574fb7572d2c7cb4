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
from screening.rubric import RubricCatalogue
from screening.settings import Settings

from . import errors, rubric_store, webhooks
from .db import make_engine, migrate, session_factory
from .deps import ServiceState
from .routers import assessments, auth, exports, jobs, queue, rubrics, stats, submissions, users
from .storage import LocalStorage, S3Storage, Storage
from .worker import Worker

log = logging.getLogger("service")
ROUTERS = (auth, users, rubrics, submissions, jobs, stats, exports, queue, assessments)


def build_state(settings: Settings, migrate_db: bool = True) -> ServiceState:
    svc = settings.service
    engine = make_engine(svc.resolved_database_url())
    if migrate_db:
        migrate(engine)
    storage: Storage
    if svc.storage == "s3":
        storage = S3Storage(svc.s3_bucket or "", svc.s3_prefix, svc.s3_endpoint_url, svc.s3_region)
    else:
        storage = LocalStorage(svc.resolved_storage_dir())
    state = ServiceState(settings=settings, engine=engine, sessions=session_factory(engine), storage=storage)
    if migrate_db:  # the server offers the rubric files; workers read rubrics from the database only
        rubric_store.sync_files(state.sessions, RubricCatalogue(settings.rubric_dirs))
    if svc.worker == "celery":
        from .tasks import CeleryDispatcher

        state.dispatch = CeleryDispatcher(settings)
    return state


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
    return app


app = create_app()
