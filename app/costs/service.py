"""Experienced hire vs grow in-house (SPEC §4): a position's assumptions, overridden per request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import Invalid
from app.positions import service as position_service
from app.positions.models import Position
from scoring.cost import CostAssumptions
from scoring.cost import compare as compare_options
from scoring.errors import ScoringInputError


def input_error(exc: ScoringInputError, *, location: str = "body") -> Invalid:
    """A 422 naming the field, in the shape of the app's request-validation errors."""
    return Invalid(
        [
            {
                "loc": [location, *exc.argument.split(".")],
                "field": exc.argument,
                "msg": exc.problem,
                "type": "value_error",
                "message": str(exc),
            }
        ]
    )


def base_assumptions(position: Position | None) -> CostAssumptions:
    """The position's saved assumptions, or the documented defaults without a position."""
    return CostAssumptions() if position is None else position_service.cost_assumptions(position)


def compare(
    *, base: CostAssumptions | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Both options, NPV, break-even, recommendation and Monte Carlo (SPEC §4 response)."""
    try:
        assumptions = CostAssumptions.from_dict(overrides, base=base)
        return compare_options(assumptions).to_dict()
    except ScoringInputError as exc:
        raise input_error(exc) from None
