from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from .. import auth
from ..deps import DB, CurrentUser, State, bearer_token
from ..errors import problem_responses
from ..schemas import SignIn, TokenOut, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=TokenOut,
             responses=problem_responses("invalid_credentials", "too_many_attempts", "malformed_json",
                                         "invalid_request"))
def sign_in(body: SignIn, request: Request, session: DB, state: State) -> TokenOut:
    """Exchange email and password for a bearer token that expires. After repeated wrong
    passwords (per account, and per client address) attempts wait: 429 with Retry-After."""
    raw, expires, user = auth.sign_in(session, body.email, body.password, state.settings.service.token_lifetime_s,
                                      (state.accounts, state.clients, auth.client_address(request)))
    session.commit()
    return TokenOut(access_token=raw, expires_at=expires, role=user.role)  # type: ignore[arg-type]


@router.delete("/token", status_code=204, responses=problem_responses("unauthenticated", "invalid_token"))
def sign_out(session: DB, user: CurrentUser, token: Annotated[str, Depends(bearer_token)]) -> Response:
    """Sign out: the token stops working at once."""
    auth.sign_out(session, token)
    session.commit()
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, responses=problem_responses("unauthenticated", "token_expired"))
def me(user: CurrentUser) -> UserOut:
    return UserOut(id=user.id, email=user.email, role=user.role, created_at=user.created_at,  # type: ignore[arg-type]
                   display_name=user.display_name)
