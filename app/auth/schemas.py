"""Shapes of the auth API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from app.auth.models import Role
from app.core.fields import TitleText


class Token(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserBase(BaseModel):
    """What every user has."""

    email: EmailStr
    full_name: TitleText
    role: Role
    language: str = Field(default="en", pattern="^(it|en)$")


class UserCreate(UserBase):
    """A new staff user, created by an admin."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        max_length=200,
        description="at least 12 characters, not a common or breached password, not one "
        "character repeated (NIST SP 800-63B); a 422 says why one is refused",
    )


class UserUpdate(BaseModel):
    """A change to a staff user (admins)."""

    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = Field(
        default=None, description="false deactivates: sessions and tokens stop at once"
    )


class UserPublic(UserBase):
    """A user as the API shows it (never the password hash)."""

    id: int
    organization_id: int
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


class Me(UserPublic):
    """The caller, with the organization's name."""

    organization_name: str
