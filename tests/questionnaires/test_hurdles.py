"""Hurdle levels a language test cannot classify at (the panels' findings)."""

from __future__ import annotations

import doctest

from questionnaires import hurdles
from questionnaires.loader import BANK_DIR, load_file


def test_doctests() -> None:
    assert doctest.testmod(hurdles).failed == 0


def test_every_refused_level_names_a_published_language_test() -> None:
    for (key, version), levels in hurdles.UNSUPPORTED.items():
        questionnaire = load_file(BANK_DIR / f"{key}.v{version}.yaml").questionnaire
        assert questionnaire.target_language is not None
        assert set(levels) <= {"A2", "B1", "B2", "C1"}
