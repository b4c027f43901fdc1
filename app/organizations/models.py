"""Organizations: the tenants. Nothing crosses between them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Organization(SQLModel, table=True):
    """A company using the service (or a client company of a recruitment agency)."""

    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True)
    retention_months: int = Field(default=24)
    default_language: str = Field(default="en", max_length=2)
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    is_demo: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
