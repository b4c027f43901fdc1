"""Validated field types shared by the API schemas and the page forms.

- Integers: every integer a request carries is bounded, so none reaches the database driver
  past what a column holds (SQLite refuses anything beyond 64 bits with an OverflowError, a
  500 and, from some paths, a reset connection). Ids stop at PostgreSQL's INTEGER, offsets
  at the same, anything else at 64 bits.
- One-line text (names, titles, territory): no control characters, line breaks (``\\n``,
  ``\\r``, U+2028/2029) or bidirectional overrides. A line break in a candidate's name would
  otherwise start a new line in the invitation e-mail or forge a line of the log.
- Titles and names: one line and not blank once trimmed.

Errors carry their own ``type`` (``one_line``, ``blank``) so pages can show them in the
reader's language (:func:`translated`); the API answers in English, like every API error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

#: The largest id a table can hold (PostgreSQL INTEGER); anything larger cannot exist.
MAX_ID = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Past this many rows there is nothing to page to.
MAX_OFFSET = MAX_ID

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]

ONE_LINE = "must be one line of text, without line breaks, tabs or other control characters"
BLANK = "must not be blank"
# Explicit direction overrides and isolates: they can make a name read as something else.
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def bad_character(text: str) -> str | None:
    """The first character that has no place in one line of text, or None."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            return char
    return None


def _one_line(value: str) -> str:
    if bad_character(value) is not None:
        raise PydanticCustomError("one_line", ONE_LINE)
    return value


def _not_blank(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", BLANK)
    return value


def one_line(max_length: int) -> Any:
    """A one-line text of at most ``max_length`` characters, trimmed (may be empty)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length),
        AfterValidator(_one_line),
    ]


def title(max_length: int) -> Any:
    """A one-line text that is not blank once trimmed (titles, names)."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length),
        AfterValidator(_one_line),
        AfterValidator(_not_blank),
    ]


def check_one_line(field: str, value: str) -> str:
    """``value`` trimmed, or ValueError naming ``field`` (for services fed by the CLI)."""
    value = value.strip()
    if bad_character(value) is not None:
        raise ValueError(f"{field}: {ONE_LINE}")
    return value


def translated(error: Mapping[str, Any], _: Callable[..., str]) -> str:
    """A pydantic error's message in the page's language where we know its type."""
    messages = {
        "one_line": _("Use one line of text, without line breaks, tabs or control characters."),
        "blank": _("Fill this in: it must not be blank."),
        "string_too_long": _("Too long: use at most %(max)s characters.",
                             max=(error.get("ctx") or {}).get("max_length", "")),
        "less_than_equal": _("Too large: at most %(max)s.",
                             max=(error.get("ctx") or {}).get("le", "")),
        "greater_than_equal": _("Too small: at least %(min)s.",
                                min=(error.get("ctx") or {}).get("ge", "")),
    }
    ctx = error.get("ctx") or {}
    messages |= {
        "missing": _("Fill this in."),
        "string_too_short": _("Fill this in."),
        "int_parsing": _("Enter a whole number, such as 14."),
        "int_from_float": _("Enter a whole number, such as 14."),
        "float_parsing": _("Enter a number, such as 0.25 or 0,25."),
        "literal_error": _("Choose one of: %(expected)s.",
                           expected=str(ctx.get("expected", "")).replace("'", "")),
        "bool_parsing": _("Choose yes or no."),
    }
    if str(error.get("msg", "")).startswith("value is not a valid email address"):
        return _("Write an e-mail address, such as name@company.it.")
    message = messages.get(str(error.get("type")))
    return message if message is not None else str(error.get("msg", "")).removeprefix(
        "Value error, "
    )


#: The one-line texts of the API and the forms (200 characters, as their columns).
TitleText = title(200)
OneLineText = one_line(200)
