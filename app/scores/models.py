"""The stored score of a completed attempt (one row per attempt) and the composite norms."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Score(SQLModel, table=True):
    """The scored result of one attempt; rewritten when norms or the position's rules change."""

    __tablename__ = "score"
    __table_args__ = (
        Index("ix_score_position_id_fit_score", "position_id", "fit_score"),
        Index("ix_score_position_id_expected_npv", "position_id", "expected_npv"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    attempt_id: int = Field(foreign_key="attempt.id", unique=True, ondelete="CASCADE")
    candidate_id: int = Field(foreign_key="candidate.id", index=True, ondelete="CASCADE")
    position_id: int = Field(foreign_key="position.id", index=True)
    questionnaire_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    scoring_version: str = Field(max_length=20)
    scales: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    cefr: str | None = Field(default=None, max_length=10)
    flags: list[Any] = Field(default_factory=list, sa_type=JSON)
    composite: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    fit_score: float | None = Field(default=None, index=True)
    fit_unit: str | None = Field(default=None, max_length=8)  # T | percent
    band: str | None = Field(default=None, max_length=2)
    # The weighted sum re-standardized against the norm group (SPEC §3.5); before norms, on
    # percent scores once the group is large enough, else None.
    composite_z: float | None = None
    # When a weighted competency is incomplete: the fit over the complete ones (weights
    # renormalized), and the share of the weight it covers (1.0 for a complete fit).
    partial_fit: float | None = None
    fit_coverage: float | None = None
    knockouts_passed: bool | None = None
    # Knock-outs, the language hurdle and the minimums together: None when one could not be
    # evaluated (and none failed).
    requirements_passed: bool | None = None
    flags_count: int = Field(default=0)
    costed_option: str | None = Field(default=None, max_length=16)  # experienced | grow_in_house
    expected_productivity: float | None = None
    expected_npv: float | None = None
    computed_at: datetime = Field(default_factory=utcnow)


class CompositeNorm(SQLModel, table=True):
    """The norm group's mean and covariance of a position's weighted competencies, per basis:
    what its fit scores are re-standardized against (rebuilt when weights or norms change)."""

    __tablename__ = "composite_norm"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    position_id: int = Field(foreign_key="position.id", unique=True, ondelete="CASCADE")
    # {"z": {...}, "percent": {...}}
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
