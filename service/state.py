"""The service's shared state (settings, database, storage, job dispatch) and how it is built.

Its own module so the app, the Celery workers and the command line build it the same way
without importing one another."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from screening.rubric import RubricCatalogue
from screening.settings import Settings

from . import auth, rubric_store
from .db import make_engine, migrate, session_factory
from .storage import LocalStorage, S3Storage, Storage
from .throttle import SignInThrottle


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    # Tells workers a job is waiting (Celery: sends a message); the in-process worker polls instead.
    dispatch: Callable[[str], None] = lambda job_id: None
    # Failed sign-ins, per account and per client address (service/throttle.py).
    accounts: SignInThrottle = field(default_factory=SignInThrottle)
    clients: SignInThrottle = field(default_factory=SignInThrottle)


def build_state(settings: Settings, migrate_db: bool = True) -> ServiceState:
    svc = settings.service
    auth.configure_hashing(svc)
    engine = make_engine(svc.resolved_database_url())
    if migrate_db:
        migrate(engine)
    storage: Storage
    if svc.storage == "s3":
        storage = S3Storage(svc.s3_bucket or "", svc.s3_prefix, svc.s3_endpoint_url, svc.s3_region)
    else:
        storage = LocalStorage(svc.resolved_storage_dir())
    state = ServiceState(settings=settings, engine=engine, sessions=session_factory(engine), storage=storage,
                         accounts=SignInThrottle(free=svc.sign_in_free_failures, max_wait_s=svc.sign_in_max_wait_s),
                         clients=SignInThrottle(free=svc.sign_in_free_failures_per_client,
                                                max_wait_s=svc.sign_in_max_wait_s))
    # The programs (programs/*.yaml) every session reads its rules from (service/programs.py).
    from .programs import catalogue_for_settings

    state.sessions.configure(info={"programs": catalogue_for_settings(settings)})
    if migrate_db:  # the server offers the rubric files; workers read rubrics from the database only
        rubric_store.sync_files(state.sessions, RubricCatalogue(settings.rubric_dirs))
    if svc.worker == "celery":
        from .tasks import CeleryDispatcher

        state.dispatch = CeleryDispatcher(settings)
    return state
