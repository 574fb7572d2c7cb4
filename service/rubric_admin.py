"""Rubric versions as an admin manages them: upload (or only check) a YAML file, retire and
restore a version, and the list of every version with how many submissions pin it. The API
(routers/rubrics.py) and the admin pages (web/admin.py) both call these; every change is
written to the audit log, and committed here (an upload races other uploads of the same version).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.rubric import content_hash, validate_text, version_key

from . import audit, rubric_store
from .errors import ApiError
from .models import RubricVersion, Submission, User, utcnow


@dataclass(frozen=True)
class Stored:
    """The outcome of an upload: the version, and whether this upload added it (``created``:
    False when the same version was stored already with the same content, or for a check only)."""

    row: RubricVersion
    created: bool


def decode(body: bytes, limit: int) -> str:
    """The uploaded file's text: ``rubric_too_large`` over ``limit`` bytes, ``invalid_rubric`` if not UTF-8."""
    if len(body) > limit:
        raise ApiError("rubric_too_large", f"The rubric file is larger than {limit} bytes.")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("invalid_rubric", "The rubric file is not UTF-8 text.") from None


def stored(session: Session, rubric_id: str, version: str) -> RubricVersion:
    row = session.get(RubricVersion, (rubric_id, version))
    if row is None:
        raise ApiError("not_found", f"No rubric {rubric_id!r} version {version!r}.")
    return row


def upload(session: Session, admin: User, text: str, dry_run: bool = False) -> Stored:
    """Validate the YAML exactly as ``screening rubrics validate`` does and store it as a new
    version. Every problem comes back in ``invalid_rubric``'s ``errors`` with its line and field.
    ``dry_run``: validate only, store nothing. The same version again with the same content
    changes nothing; with other content, ``rubric_version_exists``."""
    data, problems = validate_text(text, "upload")
    if data is None:
        raise ApiError("invalid_rubric", f"The rubric has {len(problems)} problem(s); the first: {problems[0]}",
                       errors=[{"line": p.line, "field": p.field, "msg": p.message} for p in problems])
    digest = content_hash(data)
    if session.get(RubricVersion, (data["id"], data["version"])) is not None:
        return Stored(_same_again(session, data["id"], data["version"], digest), False)
    row = RubricVersion(rubric_id=data["id"], version=data["version"], title=data["title"], content_hash=digest,
                        yaml_text=text, source="uploaded", uploaded_by=admin.id, created_at=utcnow())
    if dry_run:
        return Stored(row, False)
    session.add(row)
    audit.append(session, admin.id, "add_rubric_version", "rubric", f"{row.rubric_id}@{row.version}", None,
                 {"title": row.title, "content_hash": row.content_hash})
    try:
        session.commit()
    except IntegrityError:  # the same version uploaded at the same moment: answer as if it came first
        session.rollback()
        return Stored(_same_again(session, data["id"], data["version"], digest), False)
    return Stored(row, True)


def _same_again(session: Session, rubric_id: str, version: str, digest: str) -> RubricVersion:
    held = stored(session, rubric_id, version)
    if held.content_hash != digest:
        raise ApiError("rubric_version_exists", f"Rubric {rubric_id!r} version {version!r} is stored with other "
                       "content; stored versions never change. Give this one a new version.")
    return held


def set_retired(session: Session, admin: User, rubric_id: str, version: str, retired: bool) -> RubricVersion:
    """Retire a version (new drafts can no longer use it; submissions pinned to it keep it) or
    restore it. Audited; nothing is written when it is in that state already."""
    row = stored(session, rubric_id, version)
    if (row.retired_at is not None) != retired:
        row.retired_at = utcnow() if retired else None
        audit.append(session, admin.id, "retire_rubric_version" if retired else "restore_rubric_version", "rubric",
                     f"{row.rubric_id}@{row.version}", {"retired": not retired}, {"retired": retired})
        session.commit()
    return row


@dataclass(frozen=True)
class VersionInfo:
    row: RubricVersion
    current: bool  # the version new drafts get
    pinned: int  # submissions (drafts included) judged against it


def overview(session: Session) -> dict[str, list[VersionInfo]]:
    """Every stored version by rubric id (ids sorted, versions newest first), with the current
    one marked and how many submissions pin each."""
    pins = {(r, v): int(n) for r, v, n in session.execute(
        select(Submission.rubric_id, Submission.rubric_version, func.count())
        .group_by(Submission.rubric_id, Submission.rubric_version))}
    current = {(r.rubric_id, r.version) for r in rubric_store.current_versions(session)}
    rows = session.scalars(select(RubricVersion).options(rubric_store._NO_TEXT)).all()
    out: dict[str, list[VersionInfo]] = {}
    for row in sorted(rows, key=lambda r: (r.rubric_id, version_key(r.version)), reverse=True):
        out.setdefault(row.rubric_id, []).append(
            VersionInfo(row, (row.rubric_id, row.version) in current, pins.get((row.rubric_id, row.version), 0)))
    return dict(sorted(out.items()))
