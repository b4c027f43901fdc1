"""Shapes of the pipeline, report and comparison APIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.candidates.models import STAGES
from app.candidates.schemas import CandidatePublic
from app.scores.schemas import DecisionPublic, ReportScores, Requirement

__all__ = ["STAGES"]

STATUSES = ("invited", "in_progress", "completed", "expired", "revoked")
BANDS = ("A", "B", "C", "D")
SORTS = (
    "rank",
    "-rank",
    "fit",
    "-fit",
    "npv",
    "-npv",
    "name",
    "-name",
    "created",
    "-created",
)


@dataclass(frozen=True)
class PipelineFilters:
    """What the pipeline is asked for (validated by the service)."""

    status: tuple[str, ...] = ()
    band: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    knockouts_passed: bool | None = None
    requirements_passed: bool | None = None
    flagged: bool | None = None
    q: str | None = None
    sort: str = "rank"
    limit: int = 50
    offset: int = 0


class LatestDecision(BaseModel):
    """The most recent decision on a pipeline row."""

    decision: str
    user_name: str | None
    created_at: datetime


class PipelineItem(BaseModel):
    """One candidate in a position's pipeline."""

    id: int
    full_name: str
    email: str
    status: str
    stage: str = Field(description="assessment, interview, decision or outcome")
    is_demo: bool
    created_at: datetime
    fit_score: float | None = Field(description="None when a weighted competency is incomplete")
    fit_unit: str | None
    partial_fit: float | None = Field(
        description="fit over the complete competencies when one is incomplete (ranked after"
        " every complete fit)"
    )
    fit_coverage: float | None = Field(description="share of the weight the fit covers")
    band: str | None = Field(description="band of the fit, or of the partial fit")
    rank: int | None
    cefr: str | None
    knockouts_passed: bool | None
    requirements_passed: bool | None = Field(
        description="knock-outs, language hurdle and minimums all met (None: one not evaluated)"
    )
    requirements_missed: list[Requirement]
    flags_count: int | None
    composite_z: float | None
    expected_npv: float | None
    costed_option: str | None
    latest_decision: LatestDecision | None


class RankingInfo(BaseModel):
    """How the page's ranks were made."""

    mode: Literal["fit", "npv", "mix"]
    fit_weight: float
    formula: str


class PipelinePage(BaseModel):
    """A page of the pipeline and how many candidates match in all."""

    total: int
    limit: int
    offset: int
    ranking: RankingInfo
    items: list[PipelineItem]
    rankings_hidden: bool = Field(
        False,
        description="the organization's oversight setting hides rankings: the list is "
        "alphabetical and its score fields are null (scores stay on each report)",
    )


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportPosition(_Shape):
    """The position a report belongs to."""

    id: int
    title: str


class ReportAttempt(_Shape):
    """The candidate's (latest) attempt."""

    id: int
    status: str
    language: str
    started_at: datetime | None
    submitted_at: datetime | None


#: A decision on the candidate, as the decisions API shows it.
ReportDecision = DecisionPublic


class CandidateReport(ReportScores):
    """A candidate's full report: who, which attempt, the scores, the decisions so far."""

    candidate: CandidatePublic
    position: ReportPosition
    status: str
    scored: bool = Field(description="the attempt is completed and scored")
    attempt: ReportAttempt | None
    questionnaire_versions: dict[str, int]
    screening: dict[str, Any] | None
    decisions: list[ReportDecision]
    interview: dict[str, Any] | None = Field(
        default=None,
        description="the structured interview beside the test: interview score (1–5) with its"
        " standard error and k raters, its z, the test z, the overall score (z and T) that"
        " combines them with the position's weights, and the formula's inputs (weights, r12,"
        " the parts' validities and the combined validity)",
    )


class PairDifference(_Shape):
    """Whether two candidates differ reliably on one competency."""

    reliably_different: bool | None
    basis: Literal["T", "percent", "not_established"]
    difference: float | None
    margin: float | None


class Pair(_Shape):
    """Two compared candidates, competency by competency."""

    a: int
    b: int
    competencies: dict[str, PairDifference]


class Reliability(_Shape):
    """The rule used to call a difference reliable, and every pair."""

    rule: str
    pairs: list[Pair]


class Comparison(_Shape):
    """2–5 candidate reports of one position side by side."""

    position: ReportPosition
    candidates: list[CandidateReport]
    reliability: Reliability
