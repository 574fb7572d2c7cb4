"""Commands: ``python -m service serve | worker | migrate | create-admin | audit-verify | purge |
backup | restore``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
from pathlib import Path
from typing import Sequence

from screening.errors import Errors
from screening.settings import get_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m service", description="The MC screening service.")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (and, by default, an in-process worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("worker", help="run a worker that screens queued jobs (for service.worker = 'none')")
    sub.add_parser("migrate", help="bring the database schema up to date")
    admin = sub.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input instead of prompting")
    verify = sub.add_parser("audit-verify", help="check the audit log's hash chain (exit 0 intact, 1 broken)")
    verify.add_argument("--database-url", help="the database to check (default: service.database_url)")
    purge = sub.add_parser("purge", help="apply the retention settings once (drafts untouched, files of released "
                                         "submissions)")
    purge.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    backup = sub.add_parser("backup", help="back up the database and the uploads into a new folder")
    backup.add_argument("dest", type=Path)
    restore = sub.add_parser("restore", help="restore a backup (stop the service first)")
    restore.add_argument("src", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database and uploads that hold data")
    for cmd in (backup, restore):
        cmd.add_argument("--pg-bin", type=Path, help="folder of pg_dump and pg_restore (default: the newest found)")
    return p


def _backup(args: argparse.Namespace, settings) -> int:  # type: ignore[no-untyped-def]
    from .backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            m = backup(settings, args.dest, args.pg_bin)
            where = f"{m.files} uploaded files" if m.uploads == "copied" else "uploads stay in the bucket"
            print(f"backed up the {m.database} database (schema {m.revision}) and {where} into {args.dest}")
        else:
            m = restore(settings, args.src, args.force, args.pg_bin)
            print(f"restored the {m.database} database and {m.files} uploaded files from {args.src} "
                  f"(backed up {m.created_at}); the schema is up to date")
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _audit_verify(url: str) -> int:
    from .audit import verify
    from .db import make_engine, session_factory

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        # Opening it would create an empty database and report "0 rows, intact".
        print(f"error: there is no database at {parsed.database}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            result = verify(session)
    except SQLAlchemyError as exc:
        print(f"error: cannot read the audit log at {engine.url.render_as_string(hide_password=True)}: "
              f"{type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if result.problem is not None:
        print(f"audit log broken at {result.problem} ({result.rows} rows before it verify)", file=sys.stderr)
        return 1
    print(f"audit log intact: {result.rows} rows, head {result.head}")
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("the passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
    except Exception as exc:  # pydantic ValidationError and a missing SCREENING_CONFIG alike
        print(Errors.E013.format(problem=exc), file=sys.stderr)
        return 2
    if args.command == "serve":
        import uvicorn

        shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        print(f"MC pre-screening: open http://{shown}:{args.port}/ in a browser to sign in "
              f"(API: http://{shown}:{args.port}/api/docs)", flush=True)
        uvicorn.run("service.app:app", host=args.host, port=args.port)
        return 0
    if args.command == "audit-verify":  # reads only: never migrates the copy it checks
        return _audit_verify(args.database_url or settings.service.resolved_database_url())
    if args.command in ("backup", "restore"):  # never migrates (or creates) what it copies
        return _backup(args, settings)
    from .state import build_state

    state = build_state(settings)  # migrates
    if args.command == "migrate":
        print(f"database at {state.engine.url.render_as_string(hide_password=True)} is up to date")
        return 0
    if args.command == "create-admin":
        from .auth import create_user
        from .errors import ApiError

        password = _password(args.password_stdin)
        if len(password) < 10:
            print("error: the password must have at least 10 characters", file=sys.stderr)
            return 2
        with state.sessions() as session:
            try:
                user = create_user(session, args.email, password, "admin")
            except ApiError as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 1
            from . import audit

            audit.append(session, None, "create_user", "user", user.id, None,
                         {"role": "admin", "by": "command line"})
            session.commit()
            print(f"created admin {user.email} ({user.id})")
        return 0
    if args.command == "worker":
        from .worker import Worker

        from .webhooks import start_delivery

        worker = Worker(state.sessions, state.storage, state.settings)
        print(f"worker {worker.owner} (pid {os.getpid()}) waiting for jobs", flush=True)
        stop = threading.Event()
        start_delivery(state.sessions, state.settings.service, stop)
        from . import retention

        retention.start(state, stop)
        try:
            worker.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
        return 0
    if args.command == "purge":
        from .retention import configured, purge

        if not configured(state):
            print("no retention is set (service.retention_draft_days, service.retention_released_files_days): "
                  "nothing to do")
            return 0
        done = purge(state, dry_run=args.dry_run)
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {len(done.drafts)} untouched drafts and the files of {len(done.released)} released submissions")
        for sub_id in done.drafts:
            print(f"  draft {sub_id}")
        for sub_id in done.released:
            print(f"  files of {sub_id}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
