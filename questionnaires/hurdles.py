"""Hurdle levels a language test cannot yet classify at, by questionnaire version.

A language hurdle is only as good as the items at its level. The blind CEFR panels
(``questionnaires/panel/``; docs/instrument.md, section 4.4) place too few items of some pools
at some levels for the form to tell that level from the one below with the accuracy the
manual claims (at least 90 % of candidates one level below fail). A position may not require
such a level until a newer version of the test has the items.
"""

from __future__ import annotations

#: (questionnaire key, version) -> {level: why it cannot be required}.
UNSUPPORTED: dict[tuple[str, int], dict[str, str]] = {
    ("italian", 1): {
        "C1": (
            "independent raters place only 5 of the 10 Italian C1 items at C1, so the test "
            "cannot yet tell C1 from B2 reliably (83 % of B2 candidates would be stopped, "
            "against the 90 % the test promises)"
        ),
    },
}


def unsupported_reason(key: str, version: int, level: str) -> str | None:
    """Why ``level`` cannot be required with this version of a language test, or None.

    >>> unsupported_reason("italian", 1, "C1")[:34]
    'independent raters place only 5 of'
    >>> unsupported_reason("italian", 1, "B2") is None
    True
    """
    return UNSUPPORTED.get((key, version), {}).get(level)
