"""Conversion of NumPy values to plain JSON-able Python (used by every ``to_dict``).

NaN and infinities become ``None`` (JSON has no NaN); NumPy scalars become ``int``, ``float``,
``bool`` or ``str``; arrays and tuples become lists. Values are never rounded here:
presentation rounds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def unsigned_zero(value: float, decimals: int = 0) -> float:
    """``value``, or ``0.0`` when it shows as zero at ``decimals`` places: never "-0".

    >>> f"{unsigned_zero(-0.3):.0f}", f"{unsigned_zero(-0.004, 2):+.2f}", unsigned_zero(-2.5)
    ('0', '+0.00', -2.5)
    """
    return 0.0 if round(float(value), decimals) == 0 else float(value)


def jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON-able Python.

    >>> jsonable({"a": np.float64("nan"), "b": np.arange(2), "c": (np.bool_(True),)})
    {'a': None, 'b': [0, 1], 'c': [True]}
    """
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()] if value.ndim else jsonable(value.item())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")


def jsonable_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`jsonable` of a mapping, typed as the dict it returns (every ``to_dict``)."""
    result: dict[str, Any] = jsonable(value)
    return result


def optional_float(value: float | None) -> float | None:
    """``float(value)``, or ``None`` when it is missing or not finite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
