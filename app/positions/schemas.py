"""Shapes of the positions API; values are checked by the scoring library's validators."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.fields import OneLineText, RowId, TitleText
from scoring.composite import validate_language_hurdle, validate_minimums, validate_weights
from scoring.cost import CostAssumptions
from scoring.knockouts import KnockoutRules


class LanguageHurdle(BaseModel):
    """The language the job needs and the CEFR level measured in it (default: English)."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "it"] = Field(
        default="en", description="the language tested (its questionnaire joins the battery)"
    )
    level: str = Field(description="CEFR level the items measure: A2, B1, B2 or C1")

    @field_validator("level")
    @classmethod
    def _level(cls, value: str) -> str:
        return str(validate_language_hurdle(value))


def language_hurdle_value(value: Any) -> dict[str, str] | None:
    """A hurdle as stored: ``{"language", "level"}``; a plain level such as "B2" means English.

    Kept for clients of the first API, which sent the level alone.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = {"language": "en", "level": value}
    if isinstance(value, LanguageHurdle):
        return value.model_dump()
    return LanguageHurdle.model_validate(value).model_dump()


class Ranking(BaseModel):
    """How the pipeline is ordered: by fit, by expected NPV, or a weighted mix of both ranks."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["fit", "npv", "mix"] = "fit"
    fit_weight: float = Field(default=0.5, ge=0, le=1)


class PositionFields(BaseModel):
    """Fields shared by create and update, each validated the same way."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("weights", check_fields=False)
    @classmethod
    def _weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return None if value is None else validate_weights(value)

    @field_validator("minimums", check_fields=False)
    @classmethod
    def _minimums(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return None if value is None else validate_minimums(value)

    @field_validator("language_hurdle", check_fields=False, mode="before")
    @classmethod
    def _hurdle(cls, value: Any) -> dict[str, str] | None:
        return language_hurdle_value(value)

    @field_validator("knockouts", check_fields=False)
    @classmethod
    def _knockouts(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        rules = KnockoutRules.from_dict(value)
        return {k: v for k, v in rules.to_dict().items() if v not in (None, {})}

    @field_validator("cost_assumptions", check_fields=False)
    @classmethod
    def _costs(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            CostAssumptions.from_dict(value)  # raises naming the field; we store the overrides
        return value


class PositionCreate(PositionFields):
    """A new position. Everything but the title has a documented default."""

    title: TitleText
    territory: OneLineText | None = None
    questionnaires: list[str] | None = Field(
        default=None,
        description="questionnaire keys; default: the default battery, with the language test "
        "in the hurdle's language",
    )
    questionnaire_versions: dict[str, int] | None = Field(
        default=None,
        description="{key: version} to keep a campaign on a published version (e.g. 1, where "
        "its norms are); keys not listed get the newest version",
    )
    weights: dict[str, float] | None = Field(
        default=None, description="{competency: weight} summing to 1; default: SPEC §3 weights"
    )
    minimums: dict[str, float] | None = Field(
        default=None,
        description="{competency: minimum}: a T-score once norms exist, percent before",
    )
    language_hurdle: dict[str, str] | None = Field(
        default_factory=lambda: {"language": "en", "level": "B2"},
        description='{"language": "en" | "it", "level": "A2".."C1"}, null for none; a plain '
        'level such as "B2" means English',
    )
    knockouts: dict[str, Any] | None = None
    cost_assumptions: dict[str, Any] | None = None
    ranking: Ranking = Field(default_factory=Ranking)
    invitation_expiry_days: int = Field(default=14, ge=1, le=90)
    reminders: bool = Field(
        default=True, description="e-mail reminders: not started after 48 h, 24 h before expiry"
    )
    feedback_page: bool = Field(
        default=False, description="candidates see their strengths and what to work on, in "
        "words (no scores), after handing in"
    )
    manager_ids: list[RowId] = Field(default_factory=list)


class PositionUpdate(PositionFields):
    """A partial change; omitted fields stay as they are."""

    title: TitleText | None = None
    territory: OneLineText | None = None
    status: Literal["draft", "open", "closed"] | None = None
    questionnaires: list[str] | None = None
    weights: dict[str, float] | None = None
    minimums: dict[str, float] | None = None
    language_hurdle: dict[str, str] | None = Field(
        default=None, description='{"language", "level"} or a plain level (English); null for none'
    )
    knockouts: dict[str, Any] | None = None
    cost_assumptions: dict[str, Any] | None = None
    ranking: Ranking | None = None
    invitation_expiry_days: int | None = Field(default=None, ge=1, le=90)
    reminders: bool | None = None
    feedback_page: bool | None = None
    manager_ids: list[RowId] | None = None


class PositionPublic(BaseModel):
    """A position as the API shows it."""

    id: int
    title: str
    territory: str | None
    status: str
    questionnaires: list[str]
    questionnaire_versions: dict[str, int]
    weights: dict[str, float]
    minimums: dict[str, float]
    language_hurdle: LanguageHurdle | None
    knockouts: dict[str, Any]
    cost_assumptions: dict[str, Any]
    cost_assumptions_effective: dict[str, Any] = Field(
        description="the assumptions in force (empty while cost_assumptions_problem is set)"
    )
    cost_assumptions_problem: str | None = Field(
        default=None,
        description="why the stored assumptions cannot be used (a value past its bound "
        "stored before the bound existed); correct the field with PATCH",
    )
    ranking: Ranking
    invitation_expiry_days: int
    reminders: bool
    feedback_page: bool
    manager_ids: list[int]
    created_at: datetime
    updated_at: datetime
