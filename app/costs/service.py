"""Experienced hire vs grow in-house (SPEC §4): a position's assumptions, overridden per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.core.errors import N_, Conflict, input_error
from app.positions import service as position_service
from app.positions.models import Position
from scoring.cost import CostAssumptions
from scoring.cost import compare as compare_options
from scoring.errors import ScoringInputError


def base_assumptions(position: Position | None) -> CostAssumptions:
    """The position's saved assumptions, or the documented defaults without a position.

    A stored value that no longer validates (saved before its bound existed) is a 409 that
    names the field to correct.
    """
    if position is None:
        return CostAssumptions()
    problem = position_service.cost_problem(position)
    if problem is not None:
        raise Conflict(N_(
            "The position's saved cost assumptions cannot be used: cost_assumptions.%(problem)s."
            " Correct the field (PATCH /api/v1/positions/%(position)s) or send it in the body."
        ), params={"problem": problem, "position": position.id})
    return position_service.cost_assumptions(position)


def compare(
    *, base: CostAssumptions | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Both options, NPV, break-even, recommendation and Monte Carlo (SPEC §4 response)."""
    try:
        assumptions = CostAssumptions.from_dict(overrides, base=base)
        return compare_options(assumptions).to_dict()
    except ScoringInputError as exc:
        raise input_error(exc) from None
