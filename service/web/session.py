"""Who is signed in to the pages: a session cookie, CSRF tokens, and role checks.

The cookie holds the same kind of token the API hands out (only its hash is stored), so signing
out, expiry and deleting a user work the same way for both. Every state-changing page request
carries a CSRF token derived from the session's token, in a form field or the ``X-CSRF-Token``
header (htmx sends it), and is refused without it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Callable
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.responses import Response

from .. import auth
from ..deps import DB, get_state
from ..errors import ApiError
from ..models import User

COOKIE = "mcs_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
HOME = {"candidate": "/my", "assessor": "/queue", "program_designer": "/designer", "admin": "/admin"}


class SignInRequired(Exception):
    """No valid session: the page handler answers with a redirect to sign-in (and back)."""

    def __init__(self, next_url: str, reason: str | None = None) -> None:
        self.next_url, self.reason = next_url, reason


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def csrf_token(raw_session: str) -> str:
    return hmac.new(raw_session.encode(), b"csrf", hashlib.sha256).hexdigest()


def _here(request: Request) -> str:
    """Where to come back to after signing in: this page, or for a form sent from a page, that page."""
    if request.method != "GET":
        referer = request.headers.get("referer", "")
        base = str(request.base_url)
        if referer.startswith(base):
            return "/" + referer[len(base):]
        return "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def sign_in_url(next_url: str, reason: str | None = None) -> str:
    url = f"/login?next={quote(next_url, safe='/')}"
    return url + (f"&reason={reason}" if reason else "")


def set_session_cookie(request: Request, response: Response, raw: str, expires: datetime) -> None:
    mode = get_state(request).settings.service.secure_cookies
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    response.set_cookie(COOKIE, raw, expires=expires, httponly=True, samesite="lax", secure=secure, path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def page_user(request: Request, session: DB) -> User:
    raw = session_token(request)
    if raw is None:
        raise SignInRequired(_here(request))
    try:
        user = auth.user_for_token(session, raw)
    except ApiError as exc:
        raise SignInRequired(_here(request), "expired" if exc.spec.code == "token_expired" else None) from None
    request.state.user = user
    request.state.csrf = csrf_token(raw)
    return user


PageUser = Annotated[User, Depends(page_user)]


async def check_csrf(request: Request) -> None:
    """For every page request that changes something: the token must match the session's."""
    raw = session_token(request)
    if raw is None:
        raise SignInRequired(_here(request))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(raw)):
        raise PageForbidden("This form has expired or did not come from this site. Reload the page and try again.")


def role(*roles: str) -> Callable[[User], User]:
    def check(user: PageUser) -> User:
        if user.role not in roles:
            raise PageForbidden(f"This page is for the role {' or '.join(roles)}; you are signed in as {user.role}.")
        return user

    return check


Csrf = Depends(check_csrf)
