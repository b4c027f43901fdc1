"""The shapes of a candidate's scores as the report API returns them (documented in OpenAPI).

Every model forbids unknown fields, so a key the service adds without describing it here
fails the report's tests instead of silently leaving the API documentation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompetencyScore(_Shape):
    """One competency: scale score, norms (when established), 90 % band and band letter."""

    label: str
    raw: float | None = Field(description="raw scale score (prorated from 80 % answered)")
    percent: float | None = Field(description="percent of maximum, 0–100")
    answered: int
    n_items: int
    answered_fraction: float
    complete: bool = Field(description="at least 80 % of the items answered")
    prorated: bool
    min_possible: float
    max_possible: float
    percentile: float | None = Field(description="mid-rank percentile in the norm group")
    z: float | None
    t_score: float | None
    sten: int | None
    ci90: list[float] | None = Field(description="90 % band in T units: T ± 1.645·SEM")
    alpha: float | None = Field(description="Cronbach's α of the scale in the norm group")
    alpha_low: bool | None
    norm_status: Literal["none", "provisional", "operational"]
    norm_n: int
    norm_message: str
    band: str | None = Field(description="A–D, in T once normed, in percent before")
    band_unit: Literal["T", "percent"]


class CefrDetail(_Shape):
    """How the CEFR estimate was reached: share of items correct per level."""

    cefr: str
    share_correct: dict[str, float | None]
    items_per_level: dict[str, int]


class Hurdle(_Shape):
    """A non-compensatory requirement on a score: a competency minimum or the language level."""

    rule: str = Field(description="'language' or 'minimum.<competency>'")
    competency: str
    required: float | str
    actual: float | str | None
    unit: Literal["T", "percent", "CEFR"]
    passed: bool | None = Field(description="None: not evaluated (no score)")
    message: str
    language: str | None = Field(
        default=None, description="the language hurdle's language ('en', 'it'); None otherwise")


class Requirement(_Shape):
    """One requirement of the position (a knock-out, the language hurdle or a minimum)."""

    kind: Literal["knockout", "language", "minimum"]
    rule: str
    competency: str | None
    required: Any
    actual: Any
    unit: Literal["T", "percent", "CEFR"] | None
    passed: bool | None = Field(description="None: not evaluated (no score or no estimate)")
    language: str | None = Field(
        default=None, description="the language hurdle's language ('en', 'it'); None otherwise")


class ExplanationTerm(_Shape):
    """One term of the fit score: weight × score."""

    competency: str
    label: str
    score: float | None
    basis: Literal["z", "percent"]
    weight: float
    contribution: float | None
    contribution_t: float | None
    sentence: str


class Standardization(_Shape):
    """What the weighted sum was re-standardized against (SPEC §3.5)."""

    standardized: bool = Field(description="re-standardized against the norm group")
    n: int = Field(description="completed attempts in the norm group, complete on the weights")
    mean: float | None = Field(description="mean of the weighted sum in the group")
    sd: float | None = Field(description="SD of the weighted sum in the group")
    reason: Literal["no_group", "small_group", "no_spread"] | None


class PartialFit(_Shape):
    """The fit over the complete competencies when a weighted one has no score."""

    fit_score: float
    band: str
    composite_z: float | None
    coverage: float = Field(description="share of the position's weight that has a score")
    missing: list[str]
    weights: dict[str, float] = Field(description="complete competencies, weights renormalized")
    standardized: bool
    mean: float | None
    sd: float | None


class Explanation(_Shape):
    """How the fit score was made, term by term, in words a manager can follow."""

    basis: Literal["z", "percent"]
    unit: Literal["T", "percent"]
    fit: float | None
    band: str | None
    complete: bool
    terms: list[ExplanationTerm]
    missing: list[str]
    hurdles: list[Hurdle]
    summary: str
    standardization: Standardization
    partial: PartialFit | None


class Composite(_Shape):
    """The fit score (T once normed, percent before), its band and the hurdles."""

    fit_score: float | None
    unit: Literal["T", "percent"]
    basis: Literal["z", "percent"]
    band: str | None
    complete: bool
    composite_z: float | None
    standardization: Standardization
    partial: PartialFit | None
    hurdles: list[Hurdle]
    hurdles_passed: bool | None
    explanation: Explanation


class Knockout(_Shape):
    """A knock-out rule on the screening form and whether it was met."""

    rule: str
    required: Any
    actual: Any
    passed: bool
    message: str


class Flag(_Shape):
    """A validity or integrity observation for a person to read; never changes a score."""

    code: str
    severity: str
    message: str
    evidence: dict[str, Any]


class OptionValue(_Shape):
    """Expected productivity and NPV were the candidate costed as this option."""

    expected_productivity: float
    productivity: float
    npv: float
    break_even_month: int | None
    peak_funding: float


class CostProblem(_Shape):
    """A stored cost assumption that no longer validates: which field, and why."""

    field: str
    message: str


class Utility(_Shape):
    """Brogden–Cronbach–Gleser expected productivity and NPV (SPEC §4)."""

    option: Literal["experienced", "grow_in_house"]
    option_reason: str
    years_key_accounts: float | None
    experienced_years: float
    r_xy: float
    sd_p: float
    composite_z: float | None
    available: bool
    expected_productivity: float | None
    productivity: float | None
    npv: float | None
    break_even_month: int | None
    options: dict[str, OptionValue] | None
    problem: CostProblem | None = None
    explanation: str


class NormSummary(_Shape):
    """The norm group in force for one questionnaire version."""

    questionnaire_key: str
    questionnaire_version: int
    n: int
    status: Literal["none", "provisional", "operational"]
    message: str


class ScoredAtSubmit(_Shape):
    """The stored score's scoring version and when it was last computed."""

    scoring_version: str
    computed_at: datetime


class DecisionBasis(_Shape):
    """The stored score a decision was based on, as it was when the decision was recorded."""

    score_id: int
    scoring_version: str
    computed_at: datetime
    fit_score: float | None
    fit_unit: str | None
    partial_fit: float | None
    fit_coverage: float | None
    band: str | None
    requirements_passed: bool | None
    requirements_missed: list[str]
    interview: dict[str, Any] | None = Field(
        default=None,
        description="what the structured interview said then: score (1–5), se, k, overall_t"
        " and the weights of test and interview (issue 16)",
    )


class DecisionPublic(_Shape):
    """A recorded decision: what, by whom, when, and the score it was based on (the
    decisions API and the candidate report)."""

    id: int
    candidate_id: int
    decision: str
    note: str
    user_id: int | None
    user_name: str | None
    score_id: int | None = Field(description="the stored score the decision was based on")
    scoring_version: str | None
    basis: DecisionBasis | None = Field(
        description="what that score said when the decision was recorded (a later rescore"
        " changes the score, never this)"
    )
    created_at: datetime


class ReportScores(_Shape):
    """The score part of a candidate report (all ``None``/empty before completion)."""

    competencies: dict[str, CompetencyScore] | None
    cefr: str | None
    cefr_detail: CefrDetail | None
    composite: Composite | None
    hurdles: list[Hurdle]
    knockouts: list[Knockout]
    knockouts_passed: bool | None
    requirements: list[Requirement] = Field(
        description="knock-outs, the language hurdle and the minimums, each met or missed"
    )
    requirements_passed: bool | None
    flags: list[Flag]
    utility: Utility | None
    norms: list[NormSummary]
    scoring_version: str
    score_id: int | None = Field(description="the stored score these numbers equal")
    scored_at_submit: ScoredAtSubmit | None
