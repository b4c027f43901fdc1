"""Numbers as people type them: Italian and English, and the entries that must ask."""

from __future__ import annotations

import pytest

from app.core.numbers import read_number, show_number

EXAMPLES = [
    # text, language, value (None: not a number), alternatives when ambiguous
    ("3.400", "it", 3400, ()),
    ("3 400", "it", 3400, ()),
    ("3\u00a0400", "it", 3400, ()),
    ("3400", "it", 3400, ()),
    ("3,4", "it", 3.4, ()),
    ("3,400", "en", 3400, ()),
    ("3.4", "en", 3.4, ()),
    ("3.400", "en", None, (3.4, 3400)),  # the example: the page asks
    ("3,400", "it", None, (3.4, 3400)),
    ("0,125", "it", 0.125, ()),
    ("1.250.000", "it", 1250000, ()),
    ("1,250,000", "en", 1250000, ()),
    ("3.400,5", "it", 3400.5, ()),
    ("3,400.5", "it", 3400.5, ()),
    ("12,5 %", "it", 12.5, ()),
    ("€ 15.450", "it", 15450, ()),
    ("-2,5", "it", -2.5, ()),
    ("3,4", "en", 3.4, ()),
    ("1.2.3", "it", None, ()),
    ("abc", "en", None, ()),
    ("", "en", None, ()),
]


@pytest.mark.parametrize(("text", "lang", "value", "alternatives"), EXAMPLES)
def test_reading(text: str, lang: str, value: float | None, alternatives: tuple) -> None:
    reading = read_number(text, lang)
    assert (reading.value, reading.alternatives) == (value, alternatives)
    assert reading.ambiguous is bool(alternatives)


def test_shown_back_the_page_s_way() -> None:
    assert show_number(3400, "it") == "3.400"
    assert show_number(3400, "en") == "3,400"
    assert show_number(15.45, "it") == "15,45"
    assert read_number(show_number(1234567.5, "it"), "it").value == 1234567.5
