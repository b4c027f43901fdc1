"""Shapes of the pipeline API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

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
    knockouts_passed: bool | None = None
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
    is_demo: bool
    created_at: datetime
    fit_score: float | None
    fit_unit: str | None
    band: str | None
    rank: int | None
    cefr: str | None
    knockouts_passed: bool | None
    flags_count: int | None
    composite_z: float | None
    expected_npv: float | None
    costed_option: str | None
    latest_decision: LatestDecision | None


class PipelinePage(BaseModel):
    """A page of the pipeline and how many candidates match in all."""

    total: int
    limit: int
    offset: int
    items: list[PipelineItem]
