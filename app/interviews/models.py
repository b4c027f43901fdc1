"""Structured interviews (who interviews whom, and their independent ratings), the weights of
the overall score per position, and what became of the people hired (outcomes)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class InterviewAssignment(SQLModel, table=True):
    """One interviewer on one candidate's panel, with their rating once submitted.

    ``ratings`` is ``{competency: 1..5}``, ``notes`` ``{competency: evidence}``. Until
    ``submitted_at`` is set the rating is a draft nobody else sees; a submitted rating changes
    only through a revision with a reason (counted here, the reason and the old values in the
    audit log).
    """

    __tablename__ = "interview_assignment"
    __table_args__ = (UniqueConstraint("candidate_id", "interviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    interviewer_id: int = Field(foreign_key="staff_user.id", index=True)
    assigned_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    assigned_at: datetime = Field(default_factory=utcnow)
    ratings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    notes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    submitted_at: datetime | None = None
    revised_at: datetime | None = None
    revisions: int = Field(default=0)


class OverallWeights(SQLModel, table=True):
    """How a position combines the standardized test composite and interview composite
    (no row: equal weights)."""

    __tablename__ = "overall_weights"

    position_id: int = Field(foreign_key="position.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id", index=True)
    test_weight: float = Field(default=0.5)
    interview_weight: float = Field(default=0.5)
    updated_at: datetime = Field(default_factory=utcnow)


class Outcome(SQLModel, table=True):
    """What HR recorded about a hire 6 or 12 months after the decision."""

    __tablename__ = "hire_outcome"
    __table_args__ = (UniqueConstraint("candidate_id", "months"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    months: int  # 6 | 12
    performance: int | None = None  # the manager's rating, 1..5
    performance_by_competency: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    quota_attainment_pct: float | None = None
    still_employed: bool = Field(default=True)
    left_on: date | None = None
    # The first month in which the person reached their full quota (None: not yet / unknown).
    months_to_quota: int | None = None
    recorded_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow)


class OutcomeReminder(SQLModel, table=True):
    """A reminder to record an outcome, queued once per hire and follow-up."""

    __tablename__ = "outcome_reminder"
    __table_args__ = (UniqueConstraint("candidate_id", "months"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    months: int
    queued_at: datetime = Field(default_factory=utcnow)
