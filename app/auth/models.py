"""Staff users, their sessions and tokens, and login attempts (for rate limiting)."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.clock import utcnow


class Role(StrEnum):
    """What a staff member may do."""

    admin = "admin"
    hr = "hr"
    manager = "manager"


class User(SQLModel, table=True):
    """A staff member of one organization. E-mail is unique across the installation."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    email: str = Field(max_length=320, unique=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)
    language: str = Field(default="en", max_length=2)
    is_active: bool = Field(default=True)
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
