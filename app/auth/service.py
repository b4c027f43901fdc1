"""Sign-in, sessions, bearer tokens and staff users. Services flush; handlers commit."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from app.auth.models import AuthSession, LoginAttempt, Role, User
from app.auth.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)
from app.clock import utcnow
from app.config import Settings
from app.errors import Conflict, Invalid, NotAuthenticated, NotFound, TooManyRequests
from app.organizations.models import Organization

WRONG_LOGIN = "Wrong e-mail or password."
# An address shared by many people (an office NAT) gets more room than one account.
IP_FAILURE_FACTOR = 5


def normalize_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def _check_rate_limit(session: Session, *, email: str, ip: str, settings: Settings) -> None:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    by_email, by_ip, oldest = session.exec(
        select(
            func.count().filter(LoginAttempt.email == email),
            func.count().filter(LoginAttempt.ip == ip),
            func.min(LoginAttempt.created_at),
        ).where(
            LoginAttempt.created_at >= since,
            or_(LoginAttempt.email == email, LoginAttempt.ip == ip),
        )
    ).one()
    limit = settings.login_max_failures
    if by_email >= limit or by_ip >= limit * IP_FAILURE_FACTOR:
        retry_after = settings.login_window_minutes * 60
        if oldest is not None:
            age = (utcnow() - oldest).total_seconds()
            retry_after = max(1, math.ceil(settings.login_window_minutes * 60 - age))
        minutes = math.ceil(retry_after / 60)
        raise TooManyRequests(
            f"Too many failed sign-ins. Try again in {minutes} minute(s).",
            headers={"Retry-After": str(retry_after)},
        )


def authenticate(
    session: Session, *, email: str, password: str, ip: str, settings: Settings
) -> User:
    """The active user with these credentials; the same error for unknown user and bad password.

    A failure is recorded for rate limiting; the caller must commit even when this raises.
    """
    email = normalize_email(email)
    _check_rate_limit(session, email=email, ip=ip, settings=settings)
    user = session.exec(select(User).where(User.email == email)).first()
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginAttempt(email=email, ip=ip))
        session.flush()
        raise NotAuthenticated(WRONG_LOGIN)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == email))
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


def open_session(
    session: Session,
    *,
    user: User,
    kind: str,
    hours: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Start a cookie session or issue a bearer token; returns the secret (stored hashed)."""
    token = new_token()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            kind=kind,
            expires_at=utcnow() + timedelta(hours=hours),
            ip=ip,
            user_agent=(user_agent or "")[:400] or None,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, *, token: str, kind: str) -> User | None:
    """The active user behind a live session or token, or None."""
    row = session.exec(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token), AuthSession.kind == kind)
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.expires_at <= utcnow() or not user.is_active:
        return None
    return user


def close_session(session: Session, *, token: str) -> None:
    """End a session or revoke a token (idempotent)."""
    session.exec(delete(AuthSession).where(AuthSession.token_hash == token_hash(token)))
    session.flush()


def create_user(
    session: Session,
    *,
    organization: Organization,
    email: str,
    full_name: str,
    role: Role | str,
    password: str,
    language: str = "en",
) -> User:
    """A new staff user; the e-mail must be unused anywhere in the installation."""
    email = normalize_email(email)
    role = Role(role)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict(f"email: a user with the e-mail {email} already exists")
    user = User(
        organization_id=organization.id,
        email=email,
        full_name=full_name.strip() or email,
        role=role.value,
        password_hash=hash_password(password),
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, organization_id: int, user_id: int) -> User:
    """A user of the caller's organization; another organization's user is a 404."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != organization_id:
        raise NotFound("No such user.")
    return user


def list_users(session: Session, *, organization_id: int) -> list[User]:
    """The organization's staff, by name."""
    return list(
        session.exec(
            select(User).where(User.organization_id == organization_id).order_by(User.full_name)
        )
    )


def find_by_email(session: Session, *, email: str) -> User | None:
    """The user with this e-mail, if any."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()
