from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from .. import audit, auth
from ..deps import DB, require
from ..errors import problem_responses
from ..models import User
from ..schemas import UserIn, UserOut

router = APIRouter(prefix="/api/users", tags=["users"])
Admin = Annotated[User, Depends(require("admin"))]
_ERRORS = ("unauthenticated", "token_expired", "forbidden")


def _out(u: User) -> UserOut:
    return UserOut(id=u.id, email=u.email, role=u.role, created_at=u.created_at,  # type: ignore[arg-type]
                   display_name=u.display_name)


@router.post("", status_code=201, response_model=UserOut,
             responses=problem_responses(*_ERRORS, "email_taken", "invalid_request", "malformed_json"))
def create_user(body: UserIn, session: DB, admin: Admin) -> UserOut:
    """Admin: create an account with a role."""
    user = auth.create_user(session, body.email, body.password, body.role, body.display_name)
    audit.append(session, admin.id, "create_user", "user", user.id, None, {"role": user.role})
    session.commit()
    return _out(user)


@router.get("", response_model=list[UserOut], responses=problem_responses(*_ERRORS))
def list_users(session: DB, _: Admin) -> list[UserOut]:
    """Admin: every account."""
    return [_out(u) for u in session.scalars(select(User).order_by(User.created_at))]
