"""Positions (open roles) and the managers assigned to them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow


class Position(SQLModel, table=True):
    """An open Key Account Manager role and what matters for it."""

    __tablename__ = "position"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    territory: str | None = Field(default=None, max_length=200)
    status: str = Field(default="open", max_length=16)  # draft | open | closed
    questionnaires: list[str] = Field(default_factory=list, sa_type=JSON)
    # {key: version}: the versions this position's candidates take (pinned when the position
    # is created or a questionnaire is added), so one campaign is measured with one version.
    questionnaire_versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    weights: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    minimums: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # {"language": "en" | "it", "level": "A2".."C1"}: the language the job needs and the
    # CEFR level measured in it; None for no hurdle.
    language_hurdle: dict[str, Any] | None = Field(
        default_factory=lambda: {"language": "en", "level": "B2"}, sa_type=JSON
    )
    knockouts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    cost_assumptions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ranking: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    invitation_expiry_days: int = Field(default=14)
    # E-mail reminders to candidates who have not started (48 h) or whose link expires (24 h).
    reminders: bool = Field(default=True)
    # Show candidates a developmental feedback page after they hand in (words, no scores).
    feedback_page: bool = Field(default=False)
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def _hurdle(self) -> dict[str, Any]:
        """The hurdle as a mapping; a plain level (the format before bank v2, e.g. "B2"
        written straight into a row) means English, as it did then."""
        hurdle = self.language_hurdle
        if isinstance(hurdle, str):
            return {"language": "en", "level": hurdle}
        return hurdle or {}

    @property
    def hurdle_level(self) -> str | None:
        """The CEFR level the language hurdle requires (None: no hurdle)."""
        return self._hurdle().get("level")

    @property
    def hurdle_language(self) -> str | None:
        """The language the hurdle is measured in (None: no hurdle)."""
        return self._hurdle().get("language") if self.language_hurdle else None


class PositionManager(SQLModel, table=True):
    """A hiring manager assigned to a position (managers see only these)."""

    __tablename__ = "position_manager"

    position_id: int = Field(foreign_key="position.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="staff_user.id", primary_key=True, ondelete="CASCADE")
