"""Staff users, their sessions and tokens, and login attempts (for rate limiting)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Role(StrEnum):
    """What a staff member may do."""

    admin = "admin"
    hr = "hr"
    manager = "manager"


class User(SQLModel, table=True):
    """A staff member of one organization. An e-mail is unique within an organization; the
    same person may have an account in several (see app/auth/service.py, sign-in)."""

    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("organization_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    email: str = Field(max_length=320, index=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)
    language: str = Field(default="en", max_length=2)
    is_active: bool = Field(default=True)
    # E-mail me when a candidate I can see completes the assessment (set on /account).
    notify_completions: bool = Field(default=False)
    # The previous visit of the dashboard ("completed since your last visit").
    dashboard_seen_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class AuthSession(SQLModel, table=True):
    """A login: a browser session (cookie) or an API bearer token. Only the hash is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)  # "cookie" or "bearer"
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept for rate limiting across workers."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    ip: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class LoginAddress(SQLModel, table=True):
    """An address a staff member signed in from: failed sign-ins for the same e-mail from
    other addresses do not slow them down there (app/auth/throttle.py)."""

    __tablename__ = "login_address"
    __table_args__ = (UniqueConstraint("user_id", "ip"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", ondelete="CASCADE")
    ip: str = Field(max_length=64)
    last_at: datetime = Field(default_factory=utcnow)


class PasswordLink(SQLModel, table=True):
    """A single-use link to set a password: for a colleague an admin added (``welcome``)
    or for someone who forgot theirs (``reset``). Only the hash of the token is stored."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=16)  # welcome | reset
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
