"""The audit log: who did what to which candidate or decision, and when.

Entries form a hash chain per organization (``app.audit.chain``); ``audit_head`` holds the
newest entry of each chain, so deleting the newest entries shows too, and serializes writers.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One staff action. Entries are only ever added (retention prunes their content)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ip: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    prev_hash: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    entry_hash: str | None = Field(default=None, max_length=64)
    pruned_at: datetime | None = None


class AuditHead(SQLModel, table=True):
    """The newest entry of one organization's chain (``chain`` 0: entries of no organization)."""

    __tablename__ = "audit_head"

    chain: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_id: int
    last_hash: str = Field(max_length=64)
    entries: int = Field(default=0)
