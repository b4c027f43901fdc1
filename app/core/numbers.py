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

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    NumberPattern,
    format_currency,
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
    parse_pattern,
)

from scoring.serialization import unsigned_zero

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


# --- numbers as staff type them into forms (the cost model) --------------------------------


def parse_decimal_entry(text: str, lang: str) -> Decimal | None:
    """A number typed into a staff form, exactly (``Decimal``); ``None`` for an empty field.

    Babel reads it the page's way (``parse_decimal``, strict: grouping only where the locale
    puts it). What Babel refuses for a misplaced separator is read with either mark as the
    decimal point, as people type it (``0.3`` on an Italian page, ``0,3`` on an English one).
    Raises ``ValueError`` for text that is not a finite number.

    >>> parse_decimal_entry("150.000", "it"), parse_decimal_entry("0.3", "it")
    (Decimal('150000'), Decimal('0.3'))
    >>> parse_decimal_entry("1,234.5", "en"), parse_decimal_entry(" 30 % ", "en")
    (Decimal('1234.5'), Decimal('30'))
    """
    stripped = _IGNORED.sub("", text)
    if not stripped:
        return None
    try:
        number = parse_decimal(stripped, locale=lang, strict=True)
    except NumberFormatError:
        try:
            number = Decimal(stripped.replace(",", "."))
        except InvalidOperation:
            raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def show_decimal(number: Decimal, lang: str) -> str:
    """Every digit of ``number``, no grouping, the page's decimal mark (form fields, so that
    :func:`parse_decimal_entry` gives the same number back).

    >>> show_decimal(Decimal("1234.50"), "it"), show_decimal(Decimal("0.3"), "en")
    ('1234,5', '0.3')
    """
    # Babel quantizes in the current decimal context: give it room for every digit a float
    # can have (1e308), or a large stored value would not show at all.
    with localcontext(prec=400):
        return format_decimal(
            number.normalize(), format="0.#", locale=lang, decimal_quantization=False
        )


# --- numbers as the pages show them ---------------------------------------------------------

DASH = "—"
MINUS = "\u2212"


@functools.cache
def _pattern(pattern: str) -> NumberPattern:
    """Babel parses a format string on every call; a pipeline page formats a hundred."""
    return parse_pattern(pattern)


class Numbers:
    """Formats numbers, money and times for one language (``it``: ``1.234,5``, ``304.611 €``)."""

    def __init__(self, lang: str, tz: str | None = None) -> None:
        self.lang = lang
        self.tz = tz if tz and tz != "UTC" else None
        self.locale = Locale.parse("it_IT" if lang == "it" else "en_GB")
        self.decimal_mark = "," if lang == "it" else "."

    def num(self, value: float | None, decimals: int = 1) -> str:
        """``value`` with ``decimals`` decimals and grouping, a real minus; ``—`` for none."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return DASH
        pattern = _pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
        value = unsigned_zero(value, decimals)  # never "−0"
        return format_decimal(value, format=pattern, locale=self.locale).replace("-", MINUS)

    def signed(self, value: float | None, decimals: int = 2) -> str:
        """``+0.31`` / ``−0.77``: the sign always shown (terms of a sum)."""
        if value is None:
            return DASH
        value = unsigned_zero(value, decimals)
        text = self.num(abs(value), decimals)
        return ("+" if value >= 0 else MINUS) + text

    def plain(self, value: float | None) -> str:
        """A stated number as given: ``4``, ``2.5`` (``2,5`` in Italian)."""
        if value is None:
            return DASH
        decimals = 0 if float(value).is_integer() else 1
        return self.num(float(value), decimals)

    def percent(self, fraction: float, decimals: int = 0) -> str:
        """A fraction shown as a percent: 0.3 → ``30 %``."""
        return f"{self.num(100 * fraction, decimals)}\u00a0%"

    def money(self, value: float | None) -> str:
        """Whole euros: ``€304,611`` / ``304.611 €``."""
        if value is None or not math.isfinite(value):
            return DASH
        pattern = _pattern("#,##0\u00a0¤" if self.lang == "it" else "¤#,##0")
        text = format_currency(
            unsigned_zero(value), "EUR", format=pattern, locale=self.locale,
            currency_digits=False,
        )  # never "−€0" for an amount that rounds to nothing
        return text.replace("-", MINUS)

    def score(self, value: float | None, unit: str | None, decimals: int = 1) -> str:
        """A score with its unit: ``53.1 T`` or ``58.3 %``."""
        if value is None:
            return DASH
        return f"{self.num(value, decimals)}\u00a0{'T' if unit == 'T' else '%'}"

    def when(self, value: dt.datetime | str | None) -> str:
        """``2026-11-27 10:05 UTC``, or in the organization's time zone when it set one
        (``2026-11-27 11:05 CET``); stored times are UTC, naive ones too."""
        if value is None:
            return DASH
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        if self.tz is not None:
            try:
                local = value.astimezone(ZoneInfo(self.tz))
            except (ZoneInfoNotFoundError, ValueError):
                local = None
            if local is not None:
                return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or self.tz)
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
