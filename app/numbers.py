"""Numbers as people type them, in Italian or English, and as the pages show them.

A candidate may type ``3.400``, ``3 400``, ``3400`` or ``3,4`` in Italian and ``3,400`` or
``3.4`` in English. The page's language decides what a separator means (its decimal and
grouping symbols come from Babel's locale data), except where only one reading is possible:

* both a point and a comma: the last one is the decimal separator (``3.400,5``, ``3,400.5``);
* one separator, repeated, or followed by exactly three digits when it is the page's
  grouping symbol: thousands (``1.250.000``; ``3.400`` in Italian, ``3,400`` in English);
* one separator followed by anything but three digits: decimals (``3,4`` or ``3.4`` in
  either language: no one groups thousands that way);
* one separator that is the page's *decimal* symbol followed by exactly three digits, after
  one to three digits other than a lone 0 (``3.400`` in English, ``3,400`` in Italian): it
  reads as decimals here and as thousands in the other convention, so the page asks which
  is meant instead of guessing (``alternatives`` holds both readings);
* spaces, non-breaking spaces and apostrophes group thousands; a € or % sign is ignored.

``read_number`` returns what was understood; the pages show it, formatted back with Babel,
before and after saving (``show_number``). ``static/assessment.js`` mirrors these rules for
the live preview, and a test runs the same table of examples through both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

_IGNORED = re.compile(r"[\s\u00a0\u202f'’€%]")
_SHAPE = re.compile(r"[+-]?[\d.,]+")
#: The largest absolute value a numeric answer may have (the API's bound).
MAX_ABS = 1e12


@dataclass(frozen=True, slots=True)
class NumberReading:
    """What a typed number means: its value, or the two values it could mean."""

    text: str
    value: float | int | None
    alternatives: tuple[float | int, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """True when the entry could mean two numbers (the page asks which)."""
        return len(self.alternatives) > 1


def _number(digits: str) -> float | int:
    value = Decimal(digits)
    return int(value) if value == value.to_integral_value() and "." not in digits else float(value)


def _grouped(parts: list[str]) -> bool:
    """Thousands groups: a first group of 1-3 digits, then groups of exactly 3."""
    return 1 <= len(parts[0].lstrip("+-")) <= 3 and all(len(p) == 3 for p in parts[1:])


def read_number(text: str, lang: str) -> NumberReading:
    """Understand a typed number in the page's language (see the module docstring).

    >>> read_number("3.400", "it").value, read_number("3,4", "it").value
    (3400, 3.4)
    >>> read_number("3,400", "en").value, read_number("3.4", "en").value
    (3400, 3.4)
    >>> read_number("3.400", "en").alternatives
    (3.4, 3400)
    """
    stripped = _IGNORED.sub("", text or "")
    if not stripped or not _SHAPE.fullmatch(stripped) or not re.search(r"\d", stripped):
        return NumberReading(text, None)
    decimal, group = get_decimal_symbol(lang), get_group_symbol(lang)
    separators = [c for c in stripped if c in ".,"]
    try:
        if not separators:
            return _checked(text, _number(stripped))
        if len(set(separators)) == 2:
            last = max(stripped.rfind("."), stripped.rfind(","))
            head, tail = stripped[:last], stripped[last + 1:]
            other = "," if stripped[last] == "." else "."
            if stripped[last] in head or not _grouped(head.split(other)):
                return NumberReading(text, None)
            return _checked(text, _number(head.replace(other, "") + "." + tail))
        sep = separators[0]
        parts = stripped.split(sep)
        if len(parts) > 2:
            return _checked(text, _number("".join(parts))) if _grouped(parts) else NumberReading(
                text, None)
        head, tail = parts
        if len(tail) != 3 or not _grouped(parts) or head.lstrip("+-") in ("", "0"):
            return _checked(text, _number((head or "0") + "." + tail))
        if sep == group or sep != decimal:
            return _checked(text, _number(head + tail))
        # The page's decimal symbol before three digits: decimals here, thousands elsewhere.
        as_decimal, as_thousands = _number(head + "." + tail), _number(head + tail)
        return NumberReading(text, None, (as_decimal, as_thousands))
    except InvalidOperation:
        return NumberReading(text, None)


def _checked(text: str, value: float | int) -> NumberReading:
    return NumberReading(text, value if abs(value) <= MAX_ABS else None)


def show_number(value: float | int | None, lang: str, *, group_from: float = 1000) -> str:
    """A number the way the page's language writes it (grouping, up to 6 decimals).

    Thousands are grouped from ``group_from`` on (tables pass 10,000, so that a four-digit
    figure such as a year stays as it is written).

    >>> show_number(3400, "it"), show_number(3400, "en"), show_number(12.5, "it")
    ('3.400', '3,400', '12,5')
    """
    if value is None or isinstance(value, bool):
        return ""
    pattern = "#,##0.######" if abs(value) >= group_from else "0.######"
    return format_decimal(value, format=pattern, locale=lang)
