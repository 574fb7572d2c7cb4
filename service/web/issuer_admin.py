"""Pages: the admin's signing keys and issued credentials (rotate or revoke a key, revoke a
credential), calling service/issuing.py as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from .. import issuing
from ..deps import DB, State
from ..errors import ApiError
from ..models import User
from ..issuing import credentials_out, key_out
from .session import Csrf, role
from .templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(role("admin"))]


def _page(request: Request, session: DB, state: State, status_code: int = 200, **context: object) -> Response:
    current = issuing.signing_key(session).id
    session.commit()
    return render(request, "admin/credentials.html", status_code=status_code, nav="credentials",
                  title="Credentials and keys", keys=[key_out(k, state.settings, current) for k in issuing.keys(session)],
                  credentials=credentials_out(session), profile_url=issuing.issuer_id(state.settings),
                  status_url=issuing.status_list_url(state.settings), **context)


@router.get("/admin/credentials")
def credentials_page(request: Request, session: DB, state: State, admin: Admin, done: str | None = None) -> Response:
    notices = {"rotated": "A new key signs from now on. The previous key is retired: what it signed still verifies.",
               "key-revoked": "The key is revoked: nothing it signed verifies any more. Credentials asked for again "
                              "are signed with the current key.",
               "revoked": "The credential is revoked: the published revocation list says so from now on."}
    return _page(request, session, state, notice=notices.get(done or ""))


@router.post("/admin/credentials/keys", dependencies=[Csrf])
def rotate(session: DB, admin: Admin) -> Response:
    issuing.rotate(session, admin)
    session.commit()
    return RedirectResponse("/admin/credentials?done=rotated", status_code=303)


@router.post("/admin/credentials/keys/{key_id}/revoke", dependencies=[Csrf])
def revoke_key(request: Request, key_id: str, session: DB, state: State, admin: Admin,
               confirm: Annotated[str, Form()] = "") -> Response:
    if confirm != "yes":
        return _page(request, session, state, status_code=422,
                     error="Tick the box to confirm: revoking a key invalidates every credential it signed.")
    issuing.revoke_key(session, admin, key_id)
    session.commit()
    return RedirectResponse("/admin/credentials?done=key-revoked", status_code=303)


@router.post("/admin/credentials/{decision_id}/revoke", dependencies=[Csrf])
def revoke_credential(request: Request, decision_id: str, session: DB, state: State, admin: Admin,
                      reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    if not reason.strip():
        return _page(request, session, state, status_code=422, reason_error=decision_id,
                     error="Say why the credential is revoked (kept in the audit log, not published).")
    try:
        issuing.revoke_credential(session, admin, decision_id, reason)
    except ApiError as exc:
        return _page(request, session, state, status_code=exc.spec.status, error=exc.detail)
    session.commit()
    return RedirectResponse("/admin/credentials?done=revoked", status_code=303)
