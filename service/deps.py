"""What endpoints depend on: the app's state, a database session, the signed-in user and role."""

from __future__ import annotations

from typing import Annotated, Callable, Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from . import auth
from .db import end_read
from .errors import ApiError
from .models import User
from .state import ServiceState


def get_state(request: Request) -> ServiceState:
    return request.app.state.service  # type: ignore[no-any-return]


State = Annotated[ServiceState, Depends(get_state)]


def get_session(state: State) -> Iterator[Session]:
    with state.sessions() as session:
        yield session
        end_read(session)  # a read-only request keeps the connection's prepared statements


DB = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/auth/token.")


def bearer_token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiError("unauthenticated")
    return creds.credentials


def current_user(session: DB, token: Annotated[str, Depends(bearer_token)]) -> User:
    return auth.user_for_token(session, token)


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: str) -> Callable[[User], User]:
    """Allow only these roles: others get 403 (which says nothing about any particular record)."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise ApiError("forbidden", f"This needs the role {' or '.join(roles)}; you are {user.role}.")
        return user

    return check
