"""Argument checks shared by the scoring modules.

Every check raises :class:`scoring.errors.ScoringInputError` (a ``ValueError``) whose message
names the argument. No ``assert`` is used for argument checks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scoring.errors import ScoringInputError


def as_float_array(
    name: str, value: Any, *, ndim: int | None = None, allow_nan: bool = True
) -> np.ndarray:
    """Convert ``value`` to a float64 array, rejecting infinities (and NaN unless allowed)."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ScoringInputError(name, f"must be numeric ({exc})") from None
    if ndim is not None and array.ndim != ndim:
        raise ScoringInputError(name, f"must be {ndim}-dimensional, got shape {array.shape}")
    if np.isinf(array).any():
        raise ScoringInputError(name, "contains an infinite value")
    if not allow_nan and np.isnan(array).any():
        raise ScoringInputError(name, "contains NaN (missing values are not allowed here)")
    return array


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> float:
    """Check a finite real number (not a bool) within [minimum, maximum]; return it as float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ScoringInputError(name, f"must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ScoringInputError(name, f"must be finite, got {value!r}")
    if integer and not number.is_integer():
        raise ScoringInputError(name, f"must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ScoringInputError(name, f"must be ≥ {minimum:g}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ScoringInputError(name, f"must be ≤ {maximum:g}, got {value!r}")
    return number


def check_same_length(name: str, array: np.ndarray, expected: int, what: str) -> None:
    """Check that ``array`` has ``expected`` rows (one per ``what``)."""
    if array.shape[0] != expected:
        raise ScoringInputError(name, f"has {array.shape[0]} rows but there are {expected} {what}")


#: An SD at or below this (relative to the scores' size) is no spread: floating-point noise
#: over equal scores gives SDs of 1e-15, not 0.
ZERO_SPREAD = 1e-9


def has_spread(sd: float | None, scale: float = 1.0) -> bool:
    """Whether an SD is a real spread, not zero nor the floating-point noise of equal scores.

    >>> has_spread(0.5), has_spread(1.7e-15), has_spread(None)
    (True, False, False)
    """
    return sd is not None and sd == sd and sd > ZERO_SPREAD * max(1.0, abs(scale))
