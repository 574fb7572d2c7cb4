from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from .. import erasure, users
from ..deps import DB, State, require
from ..errors import problem_responses
from ..models import User
from ..schemas import UserIn, UserOut, UserRoleIn

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
    user = users.create_user(session, admin, body.email, body.password, body.role, body.display_name)
    session.commit()
    return _out(user)


@router.get("", response_model=list[UserOut], responses=problem_responses(*_ERRORS))
def list_users(session: DB, _: Admin) -> list[UserOut]:
    """Admin: every account."""
    return [_out(u) for u in users.list_users(session)]


@router.patch("/{user_id}", response_model=UserOut,
              responses=problem_responses(*_ERRORS, "not_found", "last_admin", "invalid_request", "malformed_json"))
def change_role(user_id: str, body: UserRoleIn, session: DB, admin: Admin) -> UserOut:
    """Admin: give an account another role (audited). The only admin cannot lose the role."""
    user = users.set_role(session, admin, user_id, body.role)
    session.commit()
    return _out(user)


class ErasureOut(BaseModel):
    """What an erasure removed: counts only (docs/service.md, Erasure on request)."""

    user_id: str
    submissions_deleted: int
    submissions_kept: list[str]
    files: int
    reports: int
    jobs: int
    decisions_kept: int
    cache: dict[str, int]
    audit_rows_erased: int = Field(0, description="Older audit rows whose payload (comments, file checksums) was "
                                                  "replaced by an erasure marker; the hash chain still verifies.")
    audit_rows_kept: int = Field(0, description="Such rows written before erasable payloads: left as they are.")


@router.post("/{user_id}/erasure", response_model=ErasureOut,
             responses=problem_responses(*_ERRORS, "not_found", "not_a_candidate", "screening_in_progress"))
def erase(user_id: str, session: DB, state: State, admin: Admin) -> ErasureOut:
    """Admin: erase a candidate's data on request (FERPA): files, texts, reports, caches derived
    from their files, markings' comments, their name and email. Released decisions keep a
    de-identified record; the audit log records the erasure (`erase_candidate`)."""
    result = erasure.erase_candidate(session, state, admin, user_id)
    return ErasureOut(**result.facts())
