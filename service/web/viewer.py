"""The artifact viewer: a file opened at the cited place.

PDFs are drawn by pdf.js (vendored, served from this site) at the page, with the passage's words
marked in the page's text layer; recordings play from the cited time (``#t=``, and the player is
moved there by script as well); other files show their extracted text with the passage marked.
Candidates see their own files as uploaded; assessors see the same cleaned, aliased copies the API
gives them (service/files.py), so the viewer can never show more than a download would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from .. import files as stored
from ..deps import DB, State
from ..errors import ApiError
from ..models import Assessment, User
from .session import role
from .templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(role("candidate", "assessor", "admin"))]
Page = Annotated[int | None, Query(ge=1, le=100_000)]
Seconds = Annotated[float | None, Query(ge=0, le=1_000_000)]
Passage = Annotated[str | None, Query(max_length=2000)]
_TEXT_KINDS = ("text", "markdown", "docx", "spreadsheet", "presentation")


def _may_read(session: DB, user: User, submission_id: str) -> None:
    # Admins read content only to reconcile two markings (as in the API).
    if user.role == "admin":
        a = session.get(Assessment, submission_id)
        if a is None or a.stage not in ("reconcile", "released"):
            raise ApiError("reconciler_only", "An admin reads a submission's content only to reconcile two markings.")


def _context(session: DB, user: User, submission_id: str, file_id: str, page: int | None, t: float | None,
             q: str | None) -> dict[str, object]:
    _may_read(session, user, submission_id)
    sub, row, name = stored.find_file(session, user, submission_id, file_id)
    kind = row.kind
    mode = ("pdf" if kind == "pdf" else "audio" if kind == "audio" else "video" if kind == "video"
            else "image" if kind == "image" else "text" if kind in _TEXT_KINDS else "none")
    back = f"/my/submissions/{sub.id}" if user.role == "candidate" else f"/review/{sub.id}"
    content = f"/view/{sub.id}/{row.id}/content"
    return {"sub": sub, "file": row, "name": name, "mode": mode, "page": page, "t": t, "q": q or "",
            "content_url": content, "media_type": stored.media_type(row), "back": back,
            "where": (f"page {page}" if page else f"{int(t) // 60}:{int(t) % 60:02d}" if t is not None else "")}


@router.get("/view/{submission_id}/{file_id}")
async def view(request: Request, submission_id: str, file_id: str, session: DB, state: State, user: Reader,
               page: Page = None, t: Seconds = None, q: Passage = None) -> Response:
    ctx = await run_in_threadpool(_context, session, user, submission_id, file_id, page, t, q)
    if ctx["mode"] == "text":
        ctx["paragraphs"] = await _paragraphs(session, state, user, submission_id, file_id, q)
    return render(request, "viewer.html", nav="", title=f"{ctx['name']}", **ctx)


@router.get("/view/{submission_id}/{file_id}/panel")
async def panel(request: Request, submission_id: str, file_id: str, session: DB, state: State, user: Reader,
                page: Page = None, t: Seconds = None, q: Passage = None) -> Response:
    """The viewer as a fragment, for the assessor's review page (loaded into it with htmx)."""
    ctx = await run_in_threadpool(_context, session, user, submission_id, file_id, page, t, q)
    if ctx["mode"] == "text":
        ctx["paragraphs"] = await _paragraphs(session, state, user, submission_id, file_id, q)
    return render(request, "_viewer_panel.html", **ctx)


@router.get("/view/{submission_id}/{file_id}/content")
async def content(request: Request, submission_id: str, file_id: str, session: DB, state: State,
                  user: Reader) -> Response:
    """The file's bytes for the viewer (pdf.js, <video>, <audio>, <img>), with byte ranges so a
    recording can start at the cited time without loading the whole file first."""
    await run_in_threadpool(_may_read, session, user, submission_id)
    got = await run_in_threadpool(stored.read_file, session, state.storage, user, submission_id, file_id,
                                  state.settings.limits.archive_limits(), state.settings.limits)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": "inline"}
    size = len(got.data)
    rng = _byte_range(request.headers.get("range"), size)
    if rng is None:
        return Response(got.data, media_type=got.media_type, headers=headers)
    start, end = rng
    if start >= size:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(got.data[start:end + 1], status_code=206, media_type=got.media_type, headers=headers)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` range (the form browsers send for media); anything else: the whole file."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if m is None or (not m.group(1) and not m.group(2)):
        return None
    if not m.group(1):  # the last n bytes
        n = int(m.group(2))
        return max(0, size - n), size - 1
    start = int(m.group(1))
    if start >= size:
        return start, start  # unsatisfiable: 416
    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    return (start, end) if end >= start else None


async def _paragraphs(session: DB, state: State, user: User, submission_id: str, file_id: str,
                      q: str | None) -> list[dict[str, object]]:
    """The file's text as the screener read it, in paragraphs, with the cited passage marked."""
    import tempfile

    from screening.ingest import ingest_file

    got = await run_in_threadpool(stored.read_file, session, state.storage, user, submission_id, file_id,
                                  state.settings.limits.archive_limits(), state.settings.limits)
    settings = state.settings
    with tempfile.TemporaryDirectory(prefix="view-") as tmp:
        path = Path(tmp) / f"file{Path(got.row.original_name).suffix.lower()[:9]}"
        path.write_bytes(got.data)
        doc = await run_in_threadpool(ingest_file, path, settings.limits, got.name)
    wanted = _norm(q or "")
    out: list[dict[str, object]] = []
    for p in doc.pages:
        for para in re.split(r"\n\s*\n", p.text):
            text = para.strip()
            if not text:
                continue
            norm = _norm(text)
            hit = bool(wanted) and (wanted in norm or (len(norm) > 40 and norm in wanted))
            out.append({"page": p.number, "text": text, "hit": hit})
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))
