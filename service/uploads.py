"""Rules for uploaded files: safe names, and which content types each part accepts."""

from __future__ import annotations

import unicodedata
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from starlette.datastructures import UploadFile
from starlette.requests import Request

from screening.documents import FileKind

from .errors import ApiError

_TEXTUAL = {FileKind.PDF, FileKind.DOCX, FileKind.TEXT, FileKind.MARKDOWN}
_MEDIA = {FileKind.AUDIO, FileKind.VIDEO}
ACCEPTED: dict[str, frozenset[FileKind]] = {
    "narrative": frozenset(_TEXTUAL | _MEDIA),
    "reflection": frozenset(_TEXTUAL | _MEDIA),
    "artifact": frozenset(_TEXTUAL | _MEDIA | {FileKind.IMAGE, FileKind.SPREADSHEET, FileKind.PRESENTATION}),
    "self_analysis": frozenset(_TEXTUAL | {FileKind.SPREADSHEET}),
}
MAX_NAME = 200


def check_name(name: str) -> str:
    """The name as given, or 422 unsafe_file_name. Names are kept for display only (never used on
    disk), but a name with a path in it is refused rather than silently cut, so nothing surprises."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    problem = None
    if not cleaned or cleaned in (".", ".."):
        problem = "it is empty"
    elif len(cleaned) > MAX_NAME:
        problem = f"it is longer than {MAX_NAME} characters"
    elif "/" in cleaned or "\\" in cleaned:
        problem = "it holds a path separator"
    elif any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        problem = "it holds control characters"
    if problem:
        raise ApiError("unsafe_file_name", f"The file name {name[:80]!r} is refused: {problem}. Send the bare file name.")
    return cleaned


def check_kind(part: str, kind: FileKind, description: str) -> None:
    if kind == FileKind.EMPTY:
        raise ApiError("empty_file")
    if kind not in ACCEPTED[part]:
        allowed = ", ".join(sorted(k.value for k in ACCEPTED[part]))
        raise ApiError("unsupported_file_type",
                       f"The file is {description}, which the {part} part does not accept. Accepted: {allowed}.")


@dataclass
class FormFile:
    """The one file of a multipart upload, with the form's ``part`` field when it has one."""

    upload: UploadFile
    part: str | None

    @property
    def filename(self) -> str:
        return self.upload.filename or ""

    async def chunks(self, size: int = 1 << 20) -> AsyncIterator[bytes]:
        while block := await self.upload.read(size):
            yield block


@asynccontextmanager
async def file_field(request: Request) -> AsyncIterator[FormFile]:
    """The ``file`` field of a ``multipart/form-data`` body (browsers' and ``curl -F``'s uploads),
    so the stored file holds the file's bytes, never the form's envelope."""
    from .errors import ApiError

    try:
        form = await request.form(max_files=1, max_fields=8)
    except Exception as exc:  # noqa: BLE001 - starlette raises its own errors for malformed forms
        raise ApiError("invalid_request", f"The upload form could not be read: {exc}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError("invalid_request", "The form has no file: send it in a field named `file`.")
        part = form.get("part")
        yield FormFile(upload, part if isinstance(part, str) and part else None)
    finally:
        await form.close()
