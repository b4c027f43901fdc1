"""The pipeline, candidate reports and comparison on the JSON API (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth.dependencies import StaffUser
from app.core.db import SessionDep, SessionRoute
from app.core.fields import MAX_OFFSET
from app.positions import service as position_service
from app.reports import pipeline
from app.reports import service as report_service
from app.reports.schemas import SORTS, CandidateReport, Comparison, PipelineFilters, PipelinePage

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["reports"])


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else ()


@router.get("/positions/{position_id}/candidates", response_model=PipelinePage)
def position_pipeline(
    position_id: int,
    session: SessionDep,
    user: StaffUser,
    status: Annotated[
        str | None,
        Query(
            description="invited, in_progress, completed, expired, revoked; "
            "several separated by commas"
        ),
    ] = None,
    band: Annotated[str | None, Query(description="A, B, C, D; several by commas")] = None,
    stage: Annotated[
        str | None,
        Query(description="assessment, interview, decision, outcome; several by commas"),
    ] = None,
    knockouts_passed: bool | None = None,
    requirements_passed: Annotated[
        bool | None,
        Query(description="knock-outs, language hurdle and minimums all met (true) or any"
              " missed (false)"),
    ] = None,
    flagged: Annotated[bool | None, Query(description="has integrity flags")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="name or e-mail contains (any case)")
    ] = None,
    sort: Annotated[
        str,
        Query(
            description="rank (the position's ranking), fit, npv, name, created; "
            "'-' in front for descending: " + ", ".join(SORTS)
        ),
    ] = "rank",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """A position's candidates: filtered, sorted and paged in the database."""
    position = position_service.get(session, position_id=position_id, user=user)
    filters = PipelineFilters(
        status=_listed(status),
        band=_listed(band),
        stage=_listed(stage),
        knockouts_passed=knockouts_passed,
        requirements_passed=requirements_passed,
        flagged=flagged,
        q=q,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    if pipeline.rankings_hidden(session, position):  # the oversight setting
        return pipeline.without_rankings(pipeline.list_candidates(
            session, position=position, filters=pipeline.alphabetical(filters)))
    return pipeline.list_candidates(session, position=position, filters=filters)


@router.get("/candidates/{candidate_id}/report", response_model=CandidateReport)
def candidate_report(candidate_id: int, session: SessionDep, user: StaffUser) -> dict[str, Any]:
    """A candidate's report recomputed from the stored answers (no scores before completion)."""
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    return report_service.report(session, candidate=candidate)


@router.get("/positions/{position_id}/compare", response_model=Comparison)
def compare_candidates(
    position_id: int,
    session: SessionDep,
    user: StaffUser,
    ids: Annotated[str, Query(description="2–5 candidate ids of this position, e.g. 12,15,19")],
) -> dict[str, Any]:
    """Reports of 2–5 candidates side by side, marking which differences are reliable."""
    position = position_service.get(session, position_id=position_id, user=user)
    candidate_ids = report_service.parse_ids(ids)
    return report_service.compare(session, position=position, candidate_ids=candidate_ids)
