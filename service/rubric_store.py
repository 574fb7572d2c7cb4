"""The rubrics the service offers, kept in the database so every version stays readable.

On start the server copies the rubric files of ``rubric_dirs`` (the bundled rubrics by default)
into ``rubric_versions``; admins add versions by upload. A draft pins the rubric's current
version (the highest version not retired), and workers load exactly that version from the
database, so every process screens against the same text whatever files its machine holds.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, sessionmaker

from screening.rubric import Rubric, RubricCatalogue, load_text, version_key

from .models import RubricVersion

log = logging.getLogger("service.rubrics")
# Listings need ids, versions and titles; the YAML is read only when a version is loaded.
_NO_TEXT = defer(RubricVersion.yaml_text)


def sync_files(sessions: sessionmaker[Session], catalogue: RubricCatalogue) -> None:
    """Add rubric files the database does not hold yet. A file whose id and version are stored
    with other content is not applied: stored versions never change (change the version)."""
    for rubric in catalogue.list():
        with sessions() as s:
            row = s.get(RubricVersion, (rubric.id, rubric.version))
            if row is None:
                s.add(RubricVersion(rubric_id=rubric.id, version=rubric.version, title=rubric.title,
                                    content_hash=rubric.content_hash, source="bundled",
                                    yaml_text=_read(rubric.path)))
                try:
                    s.commit()
                except IntegrityError:  # another process stored it at the same moment
                    s.rollback()
            elif row.content_hash != rubric.content_hash:
                log.error("rubric file %s has id %s and version %s, which the database holds with other content; "
                          "the stored version stays in use. Give the changed rubric a new version.",
                          rubric.path, rubric.id, rubric.version)
    for problem in catalogue.problems:
        log.error("rubric file not offered: %s", problem)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def versions(session: Session, rubric_id: str) -> list[RubricVersion]:
    """Every stored version of a rubric, newest first."""
    rows = session.scalars(select(RubricVersion).options(_NO_TEXT).where(RubricVersion.rubric_id == rubric_id)).all()
    return sorted(rows, key=lambda r: version_key(r.version), reverse=True)


def current_versions(session: Session) -> list[RubricVersion]:
    """The version new drafts get, per rubric id (rubrics whose every version is retired are left out)."""
    newest: dict[str, RubricVersion] = {}
    for row in session.scalars(select(RubricVersion).options(_NO_TEXT).where(RubricVersion.retired_at.is_(None))):
        held = newest.get(row.rubric_id)
        if held is None or version_key(row.version) > version_key(held.version):
            newest[row.rubric_id] = row
    return [newest[k] for k in sorted(newest)]


def current_version(session: Session, rubric_id: str) -> RubricVersion | None:
    return next((r for r in versions(session, rubric_id) if r.retired_at is None), None)


def load(session: Session, rubric_id: str, version: str | None) -> Rubric | None:
    """The stored rubric (the current version when ``version`` is None), or None."""
    row = session.get(RubricVersion, (rubric_id, version)) if version else current_version(session, rubric_id)
    return None if row is None else _parse(row.rubric_id, row.version, row.yaml_text)


@lru_cache(maxsize=64)
def _parse(rubric_id: str, version: str, yaml_text: str) -> Rubric:
    return load_text(yaml_text, f"rubric {rubric_id} {version} (database)")
