"""Sign-in, sign-out and the front door: each role lands on its own home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from sqlalchemy import select

from .. import audit, auth
from ..deps import DB, State
from ..errors import ApiError
from ..models import User
from .session import HOME, COOKIE, Csrf, PageUser, clear_session_cookie, session_token, set_session_cookie
from .templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(next_url: str | None) -> str | None:
    # Only a path on this site: "//evil.example" or "https://..." would send the user elsewhere.
    if next_url and next_url.startswith("/") and not next_url.startswith("//") and "\\" not in next_url:
        return next_url
    return None


@router.get("/")
def front(request: Request, session: DB) -> Response:
    raw = session_token(request)
    if raw is not None:
        try:
            user = auth.user_for_token(session, raw)
            return RedirectResponse(HOME[user.role], status_code=303)
        except ApiError:
            pass
    return RedirectResponse("/login", status_code=303)


def _no_accounts(session: DB) -> bool:
    return session.scalar(select(User.id).limit(1)) is None


def _local(request: Request) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(auth.client_address(request)).is_loopback
    except ValueError:
        return False


@router.get("/login")
def login_form(request: Request, session: DB, next: str | None = None, reason: str | None = None) -> Response:
    if _no_accounts(session):
        return render(request, "setup.html", local=_local(request), email="", name="")
    message = "Your session has expired: sign in again to go on where you were." if reason == "expired" else None
    return render(request, "login.html", next=_safe_next(next) or "", notice=message, email="")


@router.post("/setup")
def first_admin(request: Request, session: DB, state: State, email: Annotated[str, Form(max_length=254)] = "",
                name: Annotated[str, Form(max_length=200)] = "", password: Annotated[str, Form(max_length=1024)] = "",
                again: Annotated[str, Form(max_length=1024)] = "") -> Response:
    """The first account of a new installation: an admin, made from this machine only, and only
    while there is no account at all (afterwards admins make accounts on the Users page)."""
    if not _no_accounts(session):
        return RedirectResponse("/login", status_code=303)
    errors: dict[str, str] = {}
    if not _local(request):
        errors["form"] = ("The first admin can be made only from the server itself: open this page there, or "
                          "run `python -m service create-admin --email ...`.")
    if "@" not in email or len(email.strip()) < 3:
        errors["email"] = "Give an email address."
    if len(password) < 10:
        errors["password"] = "The password needs at least 10 characters."
    elif password != again:
        errors["again"] = "The two passwords differ."
    if not errors:
        try:
            user = auth.create_user(session, email, password, "admin", name.strip() or None)
            audit.append(session, None, "create_user", "user", user.id, None, {"role": "admin", "by": "first-run page"})
            session.commit()
        except ApiError as exc:
            session.rollback()
            errors["email"] = exc.detail
    if errors:
        return render(request, "setup.html", status_code=422, local=_local(request), errors=errors,
                      email=email, name=name)
    raw, expires, user = auth.sign_in(session, email, password, state.settings.service.token_lifetime_s)
    session.commit()
    response = RedirectResponse("/admin", status_code=303)
    set_session_cookie(request, response, raw, expires)
    return response


@router.post("/login")
def login(request: Request, session: DB, state: State, email: Annotated[str, Form(max_length=254)] = "",
          password: Annotated[str, Form(max_length=1024)] = "", next: Annotated[str, Form()] = "") -> Response:
    try:
        raw, expires, user = auth.sign_in(session, email, password, state.settings.service.token_lifetime_s,
                                          (state.accounts, state.clients, auth.client_address(request)))
    except ApiError as exc:
        status = exc.spec.status
        message = ("The email or password is wrong." if exc.spec.code == "invalid_credentials" else exc.detail)
        response = render(request, "login.html", status_code=status, next=_safe_next(next) or "", error=message,
                          email=email)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    session.commit()
    response = RedirectResponse(_safe_next(next) or HOME[user.role], status_code=303)
    set_session_cookie(request, response, raw, expires)
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: DB, user: PageUser) -> Response:
    raw = request.cookies.get(COOKIE)
    if raw:
        auth.sign_out(session, raw)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response
