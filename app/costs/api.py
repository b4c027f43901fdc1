"""The cost comparison on the JSON API: experienced hire vs grow in-house (SPEC §4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from app.auth.dependencies import StaffUser
from app.core.db import SessionDep, SessionRoute
from app.core.fields import MAX_ID
from app.costs import service as cost_service
from app.positions import service as position_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["costs"])

CostBody = Annotated[
    dict[str, Any] | None,
    Body(description="SPEC §4 inputs, every field optional; unknown fields are refused"),
]


@router.post("/cost-comparison")
def cost_comparison(
    session: SessionDep,
    user: StaffUser,
    body: CostBody = None,
    position_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="start from this position's saved assumptions"),
    ] = None,
) -> dict[str, Any]:
    """Compare the two options for the given inputs (defaults: the position's, or SPEC §4's).

    The monthly rows are expected values: revenue, margin, commission and fixed costs are each
    weighted by the chance that the person is still there (survival), and the hiring cost is
    part of month 1's fixed costs, so each row adds up (net = margin − commission − fixed).
    The experienced hire's hiring cost follows its base salary (20 % of the first-year base)
    unless set; ``null`` asks for that rule. ``reasons`` are in English; ``reason_codes``
    carry each reason's code and numbers, to word them in another language.
    """
    base = None
    if position_id is not None:
        position = position_service.get(session, position_id=position_id, user=user)
        base = cost_service.base_assumptions(position)
    session.commit()  # nothing to write: release the (SQLite) write lock before computing
    return cost_service.compare(base=base, overrides=body)


@router.get("/positions/{position_id}/cost-comparison")
def position_cost_comparison(
    position_id: int, session: SessionDep, user: StaffUser
) -> dict[str, Any]:
    """The comparison for the position's saved assumptions."""
    position = position_service.get(session, position_id=position_id, user=user)
    return cost_service.compare(base=cost_service.base_assumptions(position))
