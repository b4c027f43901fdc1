"""A candidate's contest of a decision: assigned to a reviewer other than the decider."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Contest(SQLModel, table=True):
    """A request to review a decision, and its recorded outcome."""

    __tablename__ = "contest"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    decision_id: int | None = Field(default=None, foreign_key="decision.id",
                                    ondelete="SET NULL")
    decided_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    reviewer_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    reason: str = Field(default="", max_length=4000)
    status: str = Field(default="open", max_length=16)  # open | closed
    due_at: datetime
    outcome: str | None = Field(default=None, max_length=16)  # upheld | changed
    outcome_note: str = Field(default="", max_length=4000)
    closed_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
