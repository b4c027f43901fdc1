"""The outbox: messages written in the same transaction as their cause, delivered later."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class OutboxMessage(SQLModel, table=True):
    """An e-mail or webhook waiting for (or done with) delivery."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    kind: str = Field(max_length=16)  # email | webhook
    payload: dict[str, Any] = Field(sa_type=JSON)
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | dead
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    locked_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
