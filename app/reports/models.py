"""Score snapshots: what scoring/ computed, with the versions needed to reproduce it."""

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.clock import utcnow


class Score(SQLModel, table=True):
    """The scored result of one completed attempt."""

    __tablename__ = "score"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    attempt_id: int = Field(foreign_key="attempt.id", unique=True, ondelete="CASCADE")
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", index=True)
    questionnaire_versions: dict = Field(default_factory=dict, sa_type=JSON)
    scoring_version: str = Field(max_length=20)
    scales: dict = Field(default_factory=dict, sa_type=JSON)
    cefr: str | None = Field(default=None, max_length=10)
    flags: list = Field(default_factory=list, sa_type=JSON)
    composite: dict = Field(default_factory=dict, sa_type=JSON)
    fit_score: float | None = Field(default=None, index=True)
    band: str | None = Field(default=None, max_length=2)
    knockouts_passed: bool | None = None
    computed_at: datetime = Field(default_factory=utcnow)
