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
    try:
        number = float(value)
    except OverflowError:  # an integer past a float's range (10**400)
        raise ScoringInputError(name, "is too large") from None
    if not math.isfinite(number):
        raise ScoringInputError(name, f"must be finite, got {value!r}")
    if integer and not number.is_integer():
        raise ScoringInputError(name, f"must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ScoringInputError(name, f"must be ≥ {minimum:g}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ScoringInputError(name, f"must be ≤ {_plain(maximum)}, got {_plain(number)}",
                                maximum=maximum, value=number)
    return number


def _plain(number: float) -> str:
    """1000000000.0 → "1,000,000,000"; 0.5 → "0.5"; 1e28 stays "1e+28" (a float's digits)."""
    number = float(number)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:g}"


def check_probability_open(name: str, value: Any) -> float:
    """Check a number strictly between 0 and 1 (a confidence level, a quantile's level)."""
    number = check_number(name, value)
    if not 0.0 < number < 1.0:
        raise ScoringInputError(name, f"must lie strictly between 0 and 1, got {value!r}")
    return number


#: An SD at or below this (relative to the scores' size) is no spread: floating-point noise
#: over equal scores gives SDs of 1e-15, not 0.
ZERO_SPREAD = 1e-9


def has_spread(sd: float | None, scale: float = 1.0) -> bool:
    """Whether an SD is a real spread, not zero nor the floating-point noise of equal scores.

    >>> has_spread(0.5), has_spread(1.7e-15), has_spread(None)
    (True, False, False)
    """
    return sd is not None and sd == sd and sd > ZERO_SPREAD * max(1.0, abs(scale))
