"""Jinja2 templates for the pages, with the filters they share."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from .links import place_label, place_url, view_url
from .session import CSRF_FIELD, CSRF_HEADER

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

ROLE_NAMES = {"candidate": "Candidate", "assessor": "Assessor", "program_designer": "Program designer",
              "admin": "Admin"}
PART_NAMES = {"narrative": "Responsive narrative", "reflection": "Reflection", "artifact": "Artifact",
              "self_analysis": "Evidence self-analysis"}


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")


def _size(n: int | None) -> str:
    if n is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def _duration(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 3600:
        return f"{s // 60} min" if s >= 60 else f"{s} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def _timestamp(seconds: float | int | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


templates.env.filters.update(when=_when, size=_size, duration=_duration, timestamp=_timestamp)
templates.env.globals.update(ROLE_NAMES=ROLE_NAMES, PART_NAMES=PART_NAMES, CSRF_FIELD=CSRF_FIELD,
                             CSRF_HEADER=CSRF_HEADER, place_url=place_url, place_label=place_label,
                             view_url=view_url)


def render(request: Request, template: str, /, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page or fragment, with the signed-in user and their CSRF token when there is one."""
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    # Pages hold candidates' work: never kept by shared caches or shown from history after sign-out.
    response.headers["Cache-Control"] = "no-store"
    return response
