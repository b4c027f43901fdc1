"""Shapes of the positions API; values are checked by the scoring library's validators."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.fields import OneLineText, RowId, TitleText
from scoring.composite import validate_language_hurdle, validate_minimums, validate_weights
from scoring.cost import CostAssumptions
from scoring.knockouts import KnockoutRules


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

    @field_validator("language_hurdle", check_fields=False)
    @classmethod
    def _hurdle(cls, value: str | None) -> str | None:
        return validate_language_hurdle(value)

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
        default=None, description="questionnaire keys; default: the whole bank"
    )
    weights: dict[str, float] | None = Field(
        default=None, description="{competency: weight} summing to 1; default: SPEC §3 weights"
    )
    minimums: dict[str, float] | None = Field(
        default=None,
        description="{competency: minimum}: a T-score once norms exist, percent before",
    )
    language_hurdle: str | None = "B2"
    knockouts: dict[str, Any] | None = None
    cost_assumptions: dict[str, Any] | None = None
    ranking: Ranking = Field(default_factory=Ranking)
    invitation_expiry_days: int = Field(default=14, ge=1, le=90)
    manager_ids: list[RowId] = Field(default_factory=list)


class PositionUpdate(PositionFields):
    """A partial change; omitted fields stay as they are."""

    title: TitleText | None = None
    territory: OneLineText | None = None
    status: Literal["open", "closed"] | None = None
    questionnaires: list[str] | None = None
    weights: dict[str, float] | None = None
    minimums: dict[str, float] | None = None
    language_hurdle: str | None = None
    knockouts: dict[str, Any] | None = None
    cost_assumptions: dict[str, Any] | None = None
    ranking: Ranking | None = None
    invitation_expiry_days: int | None = Field(default=None, ge=1, le=90)
    manager_ids: list[RowId] | None = None


class PositionPublic(BaseModel):
    """A position as the API shows it."""

    id: int
    title: str
    territory: str | None
    status: str
    questionnaires: list[str]
    weights: dict[str, float]
    minimums: dict[str, float]
    language_hurdle: str | None
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
    manager_ids: list[int]
    created_at: datetime
    updated_at: datetime
