"""Accounts: argon2 password hashes and opaque bearer tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Literal, get_args

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .errors import ApiError
from .models import Token, User, utcnow
from .throttle import SignInThrottle

if TYPE_CHECKING:
    from starlette.requests import Request

    from screening.settings import ServiceSettings

Role = Literal["candidate", "assessor", "program_designer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)

_hasher = PasswordHasher()  # argon2-cffi's defaults (RFC 9106 low-memory) until configure_hashing
_dummy_hash: str | None = None


def configure_hashing(svc: "ServiceSettings") -> None:
    """Hash new passwords with the settings' argon2 cost. Stored hashes carry their own
    parameters, so they still verify after a change, and are re-hashed at the next sign-in."""
    global _hasher, _dummy_hash
    wanted = (svc.password_hash_time_cost, svc.password_hash_memory_kib, svc.password_hash_parallelism)
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) != wanted:
        _hasher = PasswordHasher(time_cost=wanted[0], memory_cost=wanted[1], parallelism=wanted[2])
        _dummy_hash = None


def _dummy() -> str:
    # Verifying against this when the email is unknown keeps sign-in time the same either way,
    # so it has the cost new hashes have.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a password anyone has")
    return _dummy_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, email: str, password: str, role: str, display_name: str | None = None) -> User:
    email = email.strip().lower()
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise ApiError("email_taken", f"A user with email {email} exists already.")
    user = User(email=email, password_hash=hash_password(password), role=role, display_name=display_name)
    session.add(user)
    session.flush()
    return user


def sign_in(session: Session, email: str, password: str, lifetime_s: int,
            throttle: tuple[SignInThrottle, SignInThrottle, str] | None = None) -> tuple[str, datetime, User]:
    """A new token for the account. ``throttle``: (per-account, per-client, client address): after
    repeated failures an attempt is refused unheard (429 with Retry-After) until the wait is over."""
    email = email.strip().lower()
    if throttle is not None:
        accounts, clients, client = throttle
        wait = max(accounts.wait_s(email), clients.wait_s(client))
        if wait > 0:
            raise ApiError("too_many_attempts", f"Too many failed sign-ins: try again in {wait} s.",
                           headers={"Retry-After": str(wait)})
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        verify_password(_dummy(), password)  # the same time spent as for a known account
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
        if ok and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)  # the cost was raised (or lowered) since
    if not ok:
        if throttle is not None:
            accounts.failed(email)
            clients.failed(client)
        raise ApiError("invalid_credentials")
    assert user is not None
    if throttle is not None:
        accounts.succeeded(email)
    raw = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=lifetime_s)
    session.add(Token(token_hash=_digest(raw), user_id=user.id, expires_at=expires))
    session.execute(delete(Token).where(Token.user_id == user.id, Token.expires_at < utcnow()))
    return raw, expires, user


def client_address(request: "Request") -> str:
    return request.client.host if request.client is not None else "unknown"


def user_for_token(session: Session, raw: str) -> User:
    token = session.get(Token, _digest(raw))
    if token is None:
        raise ApiError("invalid_token")
    if token.expires_at <= utcnow():
        raise ApiError("token_expired")
    user = session.get(User, token.user_id)
    if user is None:
        raise ApiError("invalid_token")
    return user


def sign_out(session: Session, raw: str) -> None:
    session.execute(delete(Token).where(Token.token_hash == _digest(raw)))
