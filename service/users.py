"""Accounts as an admin manages them: list, create, change a role. The API (routers/users.py)
and the admin pages (web/admin.py) both call these; every change is written to the audit log in
the same transaction, and the caller commits.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit, auth
from .errors import ApiError
from .models import User


def list_users(session: Session) -> list[User]:
    """Every account, oldest first."""
    return list(session.scalars(select(User).order_by(User.created_at, User.email)))


def count_by_role(session: Session) -> dict[str, int]:
    """How many accounts hold each role (every role listed, 0 where none)."""
    held = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return {r: int(held.get(r, 0)) for r in auth.ROLES}


def create_user(session: Session, admin: User, email: str, password: str, role: str,
                display_name: str | None = None) -> User:
    """A new account (``email_taken`` if the email is in use), audited as ``create_user``."""
    user = auth.create_user(session, email, password, role, display_name)
    audit.append(session, admin.id, "create_user", "user", user.id, None, {"role": user.role})
    return user


def set_role(session: Session, admin: User, user_id: str, role: str) -> User:
    """Give an account another role, audited as ``change_role`` (nothing is written when the role
    is unchanged). The last admin cannot lose the role (``last_admin``): someone must be able to
    manage accounts. The change applies at once, to every session the account has open."""
    if role not in auth.ROLES:
        raise ApiError("invalid_request", f"No role {role!r}: one of {', '.join(auth.ROLES)}.")
    user = session.get(User, user_id)
    if user is None:
        raise ApiError("not_found", f"No user {user_id!r}.")
    if user.role == "admin" and role != "admin":
        # The admins' rows are locked (PostgreSQL) before counting, so two admins demoting each
        # other at once cannot leave none: the second waits, then counts one.
        admins = session.scalars(select(User.id).where(User.role == "admin").with_for_update()).all()
        if len(admins) <= 1 and user.id in admins:
            who = "You are" if user.id == admin.id else f"{user.email} is"
            raise ApiError("last_admin", f"{who} the only admin: make another user admin first, "
                                         "so someone can still manage accounts.")
    if user.role == role:
        return user
    before = user.role
    user.role = role
    audit.append(session, admin.id, "change_role", "user", user.id, {"role": before}, {"role": role})
    session.flush()
    return user
