"""Links from a report's evidence and flags to the artifact viewer, at the cited place.

Reports name files by the name the reader sees (the candidate's own names for the candidate,
aliases for everyone else); these helpers turn such a name and a place (page, time, passage)
into a URL of the viewer (service/web/viewer.py).
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from ..anonymise import file_aliases
from ..models import Submission, User
from ..review import files_of


def file_ids_by_name(session: Session, sub: Submission, viewer: User) -> dict[str, str]:
    """File id per name as ``viewer`` sees it in the report: own names for the candidate,
    aliases for assessors and admins."""
    files = files_of(session, sub.id)
    if viewer.role == "candidate" and viewer.id == sub.candidate_id:
        return {f.original_name: f.id for f in files}
    names = file_aliases(files)
    return {names[f.id]: f.id for f in files}


def view_url(submission_id: str, file_id: str, page: int | None = None, t: float | None = None,
             q: str | None = None) -> str:
    """The viewer at a page (PDFs), a time in seconds (recordings), highlighting ``q`` if found."""
    params: dict[str, Any] = {}
    if page is not None:
        params["page"] = page
    if t is not None:
        params["t"] = f"{max(0.0, float(t)):.1f}"
    if q:
        params["q"] = " ".join(q.split())[:300]
    return f"/view/{submission_id}/{file_id}" + (f"?{urlencode(params)}" if params else "")


def place_url(submission_id: str, ids: Mapping[str, str], item: Mapping[str, Any]) -> str | None:
    """The viewer URL for a report item: an evidence entry (``file``, ``page``, ``start_s``,
    ``text``) or a flag (``file`` and ``location``). None when the file is not in the submission."""
    name = item.get("file")
    if not name or name not in ids:
        return None
    loc = item.get("location") or {}
    page = item.get("page") if item.get("page") is not None else loc.get("page")
    if page is None and loc.get("pages"):
        page = loc["pages"][0]
    t = item.get("start_s") if item.get("start_s") is not None else loc.get("start_s")
    return view_url(submission_id, ids[name], page, t, item.get("text"))


def place_label(item: Mapping[str, Any]) -> str:
    """Where, in words: "page 3", "at 1:05", "paragraph 2"."""
    loc = item.get("location") or {}
    page = item.get("page") if item.get("page") is not None else loc.get("page")
    t = item.get("start_s") if item.get("start_s") is not None else loc.get("start_s")
    if t is not None:
        s = int(t)
        return f"at {s // 60}:{s % 60:02d}"
    if page is not None:
        return f"page {page}"
    if loc.get("label"):
        return str(loc["label"])
    if item.get("paragraph"):
        return f"paragraph {item['paragraph']}"
    return ""
