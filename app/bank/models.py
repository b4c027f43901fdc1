"""Published questionnaire versions, stored whole so a past attempt can always be re-scored."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class QuestionnaireVersion(SQLModel, table=True):
    """One immutable version of one questionnaire (shared by every organization)."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, index=True)
    version: int
    content_hash: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_type=JSON)
    published_at: datetime = Field(default_factory=utcnow)


class NormTable(SQLModel, table=True):
    """A norm table for one questionnaire version in one organization (computed or imported)."""

    __tablename__ = "norm_table"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    questionnaire_key: str = Field(max_length=80)
    questionnaire_version: int
    n: int
    source: str = Field(default="computed", max_length=16)  # computed | imported
    data: dict[str, Any] = Field(sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
