"""Backups and restores: ``python -m service backup DEST`` and ``python -m service restore SRC``.

A backup is a folder:

- ``service.db``: SQLite, copied with SQLite's online backup API (consistent while the server
  runs and writes), or ``database.dump``: PostgreSQL, ``pg_dump`` in its custom format;
- ``uploads/``: the uploaded files (local storage; a bucket is backed up by its own means);
- ``manifest.json``: when, from which backend, the schema revision, how many files.

The database is copied first, then the files, so a file uploaded meanwhile is in the backup
without a row (harmless), never a row without its file, unless a file was deleted in between
(an upload replaced, a draft purged). Restoring needs the service stopped; the restored database
is then migrated to the running code's schema.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from screening.settings import Settings

FORMAT = "mc-screening-backup/1"


class BackupError(Exception):
    """Said to the operator as it is (exit status 1)."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database: str  # sqlite | postgresql
    revision: str | None
    files: int
    uploads: str  # copied | bucket

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **self.__dict__}, indent=2)


# --- helpers ----------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def pg_tool(name: str, bin_dir: Path | None = None) -> str:
    """A PostgreSQL client program: from ``bin_dir``, else the newest Debian install, else PATH
    (pg_dump must be at least as new as the server)."""
    if bin_dir is not None:
        return str(bin_dir / name)
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if found:
        return str(found[-1])
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupError(f"{name} was not found: install PostgreSQL's client programs or give --pg-bin")
    return on_path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password (which goes in the environment, not argv)."""
    parts = {"host": url.host, "port": str(url.port) if url.port else None, "user": url.username,
             "dbname": url.database}
    parts.update({k: str(v) for k, v in url.query.items()})
    conninfo = " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit {done.returncode}): {done.stderr.strip()[:2000]}")


def _revision(database_url: str) -> str | None:
    from .db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no table yet: an empty database
        return None
    finally:
        engine.dispose()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".part-") and not p.name.endswith(".part")]


def _copy_files(src: Path, dst: Path) -> int:
    files = _files(src) if src.is_dir() else []
    for f in files:
        target = dst / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    dst.mkdir(parents=True, exist_ok=True)
    return len(files)


# --- backup -----------------------------------------------------------------------------------

def backup(settings: Settings, dest: Path, pg_bin: Path | None = None) -> Manifest:
    svc = settings.service
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    url_text = svc.resolved_database_url()
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"there is no database at {source}")
        src = sqlite3.connect(str(source))
        out = sqlite3.connect(str(dest / "service.db"))
        try:
            src.backup(out)  # page by page, consistent even while the server writes
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            out.close()
            src.close()
    elif backend == "postgresql":
        conninfo, env = _libpq(url)
        _run([pg_tool("pg_dump", pg_bin), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={dest / 'database.dump'}", f"--dbname={conninfo}"], env)
    else:
        raise BackupError(f"backing up a {backend} database is not supported (SQLite and PostgreSQL are)")
    if svc.storage == "local":
        files, uploads = _copy_files(svc.resolved_storage_dir(), dest / "uploads"), "copied"
    else:
        files, uploads = 0, "bucket"
    manifest = Manifest(created_at=datetime.now(timezone.utc).isoformat(), database=backend,
                        revision=_revision(url_text), files=files, uploads=uploads)
    (dest / "manifest.json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


# --- restore ----------------------------------------------------------------------------------

def read_manifest(src: Path) -> Manifest:
    try:
        data = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} is not a backup (no readable manifest.json: {exc})") from None
    if data.pop("format", None) != FORMAT:
        raise BackupError(f"{src} is not a backup of this service ({FORMAT})")
    return Manifest(**data)


def _has_tables(database_url: str) -> bool:
    from sqlalchemy import inspect

    from .db import make_engine

    engine = make_engine(database_url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(settings: Settings, src: Path, force: bool = False, pg_bin: Path | None = None) -> Manifest:
    """Put the backup's database and files in place of the configured ones (the service must be
    stopped). Without ``force``, a database that holds tables or a storage folder that holds files
    is refused rather than replaced."""
    svc = settings.service
    manifest = read_manifest(src)
    url_text = svc.resolved_database_url()
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend != manifest.database:
        raise BackupError(f"the backup holds a {manifest.database} database; the service is set to {backend}")
    storage = svc.resolved_storage_dir()
    if not force:
        if (backend != "sqlite" or _sqlite_path(url).exists()) and _has_tables(url_text):
            raise BackupError("the database holds data already: restore with --force to replace it")
        if svc.storage == "local" and manifest.uploads == "copied" and storage.is_dir() and _files(storage):
            raise BackupError(f"{storage} holds files already: restore with --force to replace them")
    if backend == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{src / 'service.db'}?mode=ro", uri=True)
        target = sqlite3.connect(str(target_path))
        try:
            source.backup(target)  # replaces every page, also of a database in WAL mode
            target.execute("PRAGMA journal_mode=WAL")
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
            source.close()
    else:
        conninfo, env = _libpq(url)
        _run([pg_tool("pg_restore", pg_bin), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={conninfo}", str(src / "database.dump")], env)
    if svc.storage == "local" and manifest.uploads == "copied":
        if storage.is_dir():
            shutil.rmtree(storage)
        _copy_files(src / "uploads", storage)
    from .db import make_engine, migrate

    engine = make_engine(url_text)
    try:
        migrate(engine)  # a backup of an older version is brought to this version's schema
    finally:
        engine.dispose()
    return manifest
