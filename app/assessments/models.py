"""Attempts, their sections and the answers given (saved one by one); scores live in app/scores."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Attempt(SQLModel, table=True):
    """One candidate's sitting of the position's battery (one per invitation)."""

    __tablename__ = "attempt"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    invitation_id: int = Field(foreign_key="invitation.id", unique=True, ondelete="CASCADE")
    # in_progress | completed
    status: str = Field(default="in_progress", max_length=16, index=True)
    language: str = Field(default="en", max_length=2)
    consent_at: datetime
    screening: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # {questionnaire key: version}
    questionnaire_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # {section key: [item ids]}: each section's form, drawn from its pool at the start (bank
    # v2), so a score is always reproduced on the items the candidate saw. {} for v1 sections.
    forms: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    order_seed: int
    started_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    # Page counters and request fingerprints, for integrity flags (never for scores).
    integrity: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_ip: str | None = Field(default=None, max_length=64)
    first_user_agent: str | None = Field(default=None, max_length=400)


class AttemptSection(SQLModel, table=True):
    """A timed section of an attempt; the deadline lives here, not in the browser."""

    __tablename__ = "attempt_section"
    __table_args__ = (UniqueConstraint("attempt_id", "section_key"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True, ondelete="CASCADE")
    questionnaire_key: str = Field(max_length=80)
    questionnaire_version: int
    section_key: str = Field(max_length=80)
    position: int
    time_limit_s: int
    status: str = Field(default="pending", max_length=16)  # pending | active | completed
    started_at: datetime | None = None
    deadline_at: datetime | None = None
    completed_at: datetime | None = None


class ItemExposure(SQLModel, table=True):
    """How many candidates of an organization have been shown an item (forms, bank v2)."""

    __tablename__ = "item_exposure"
    __table_args__ = (
        UniqueConstraint("organization_id", "questionnaire_key", "questionnaire_version",
                         "item_id", name="uq_item_exposure_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    questionnaire_key: str = Field(max_length=80)
    questionnaire_version: int
    item_id: str = Field(max_length=40)
    exposures: int = Field(default=0)


class Answer(SQLModel, table=True):
    """The latest answer to one item in one attempt (an idempotent upsert)."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True, ondelete="CASCADE")
    item_id: str = Field(max_length=40)
    value: dict[str, Any] = Field(sa_type=JSON)  # {"v": option id | int | float}
    elapsed_ms: int | None = None
    changes: int = Field(default=0)
    saved_at: datetime = Field(default_factory=utcnow)
