"""Voluntary self-identification: stored apart from scores, never shown per candidate to staff.

One row per candidate who chose to answer, in its own table (no score, report or list reads
it); it is deleted when the candidate is erased and is part of the candidate's own export.
Only counts by group leave it, in the impact report, above a minimum cell size.
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class SelfIdentification(SQLModel, table=True):
    """A candidate's voluntary answers (None: not asked, or not answered)."""

    __tablename__ = "self_identification"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", unique=True, ondelete="CASCADE")
    gender: str | None = Field(default=None, max_length=16)
    age_band: str | None = Field(default=None, max_length=16)
    first_language: str | None = Field(default=None, max_length=16)
    disability: str | None = Field(default=None, max_length=16)
    consent_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
