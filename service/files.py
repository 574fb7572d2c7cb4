"""A stored file as one reader may have it: the candidate gets their own file as uploaded;
anyone else gets it under its alias, cleaned of identifying metadata and of the candidate's name
(service/redact.py), or not at all when its type cannot be cleaned.

The API's download endpoint and the pages' artifact viewer both read files through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from screening.ingest.archive import ArchiveLimits
from screening.settings import LimitSettings

from .access import visible_submission
from .anonymise import Scrubber, file_aliases
from .errors import ApiError
from .models import StoredFile, Submission, User
from .review import files_of, scrubber
from .storage import Storage

# What browsers are told a file is, by the kind decided from its content (never its name).
MEDIA_TYPES = {"pdf": "application/pdf", "text": "text/plain; charset=utf-8",
               "markdown": "text/plain; charset=utf-8", "image": "application/octet-stream"}
_BY_SUFFIX = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
              ".mkv": "video/x-matroska", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".wav": "audio/wav",
              ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac",
              ".aac": "audio/aac", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".gif": "image/gif", ".webp": "image/webp"}


@dataclass(frozen=True)
class ReadableFile:
    row: StoredFile
    name: str  # as this reader sees it
    data: bytes
    media_type: str


def media_type(row: StoredFile) -> str:
    from pathlib import PurePath

    suffix = PurePath(row.original_name).suffix.lower()
    if row.kind in ("audio", "video", "image") and suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return MEDIA_TYPES.get(row.kind, "application/octet-stream")


def find_file(session: Session, user: User, submission_id: str, file_id: str) -> tuple[Submission, StoredFile, str]:
    """The submission, the file and its name as ``user`` sees it; 404 for anything they may not see."""
    sub = visible_submission(session, user, submission_id)
    files = files_of(session, sub.id)
    row = next((f for f in files if f.id == file_id), None)
    if row is None:
        raise ApiError("not_found", f"No file {file_id} in this submission.")
    name = row.original_name if user.role == "candidate" else file_aliases(files)[row.id]
    return sub, row, name


def read_file(session: Session, storage: Storage, user: User, submission_id: str, file_id: str,
              limits: ArchiveLimits | None = None, isolation: LimitSettings | None = None) -> ReadableFile:
    """``limits``: how far an Office document may unpack while it is cleaned (the settings').
    ``isolation``: clean in the resource-limited worker ingest uses (its memory and CPU limits),
    so a hostile file can exhaust that worker but never the server; None cleans in this process."""
    sub, row, name = find_file(session, user, submission_id, file_id)
    try:
        with storage.local_path(row.storage_key) as path:
            data = path.read_bytes()
    except FileNotFoundError:
        raise ApiError("not_found", f"The stored copy of file {file_id} is missing.") from None
    if user.role != "candidate":
        data = _cleaned(row, data, scrubber(session, sub), limits, isolation)
    return ReadableFile(row, name, data, media_type(row))


def _cleaned(row: StoredFile, data: bytes, scrub: Scrubber, limits: ArchiveLimits | None,
             isolation: LimitSettings | None) -> bytes:
    from .redact import CannotClean, clean

    def refuse(why: str) -> ApiError:
        return ApiError("download_unavailable", f"This file ({why}) cannot be cleaned of identifying metadata, so "
                                                "assessors read it through the report only.")

    if isolation is None or not isolation.isolate_ingest:
        try:
            return clean(row.kind, data, scrub, limits)
        except CannotClean as exc:
            raise refuse(str(exc)) from None
    import tempfile
    from pathlib import Path

    from screening.ingest.extract import IsolationFailed, run_isolated

    with tempfile.TemporaryDirectory(prefix="clean-") as tmp:
        path = Path(tmp) / "file"
        path.write_bytes(data)
        try:
            got = run_isolated("service.redact:clean_file", (str(path), row.kind, scrub, limits), isolation,
                               "cleaning it")
        except IsolationFailed as exc:
            raise refuse(str(exc)) from None
    if isinstance(got, str):
        raise refuse(got)
    return got  # type: ignore[return-value]
