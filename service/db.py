"""Engine, sessions and migrations. The schema is only ever changed by Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        _track_writes(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        # WAL lets the worker thread write while requests read; foreign keys are off by default.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        # Deleted rows are overwritten, not left in free pages (erasure on request: service/erasure.py).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    return engine


_READS = ("SELECT", "SET ", "SHOW ")


def _track_writes(engine: Engine) -> None:
    """Note on each connection whether its transaction has run anything but a read (for ``end_read``)."""

    @event.listens_for(engine, "begin")
    def _begun(conn):  # type: ignore[no-untyped-def]
        conn.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not conn.info.get("wrote") and not statement.lstrip()[:7].upper().startswith(_READS):
            conn.info["wrote"] = True


def end_read(session: Session) -> None:
    """End a request's transaction with COMMIT, not ROLLBACK, when it has only read (the same to
    the database) on PostgreSQL: psycopg drops every prepared statement of the connection at a
    ROLLBACK, so requests ending in one would plan each of their statements anew every time (the
    queue's totals: ~3 ms of planning). Anything written, flushed or pending: left to the rollback."""
    if session.new or session.dirty or session.deleted or session.get_transaction() is None:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.connection().info.get("wrote", True):
        return
    session.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
