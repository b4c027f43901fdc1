"""Fixtures for the scoring tests (no database, no web app)."""

from __future__ import annotations

import pytest

from scoring import ItemKey

SJT = {"a": 3, "b": 1, "c": 0, "d": 2}
KEYED = {"a": 0, "b": 1, "c": 0, "d": 0}


@pytest.fixture
def small_keys() -> list[ItemKey]:
    """A tiny battery: 5 SJT (business_sense), 5 numeric (analysis), 4 Likert + 1 SJT
    (stress_resistance), 8 language items (2 per CEFR level), 5 keyed (commercial)."""
    keys = [ItemKey(f"bs{i}", "business_sense", "sjt", SJT) for i in range(5)]
    keys += [
        ItemKey(f"an{i}", "analysis", "numeric", answer=10.0 * (i + 1), tolerance=0.5)
        for i in range(5)
    ]
    keys += [
        ItemKey(f"sr{i}", "stress_resistance", "likert", reverse=i in (1, 3)) for i in range(4)
    ]
    keys.append(ItemKey("sr4", "stress_resistance", "sjt", SJT))
    keys += [
        ItemKey(f"en{i}", "languages", "single_choice", KEYED, cefr=level)
        for i, level in enumerate(["A2", "A2", "B1", "B1", "B2", "B2", "C1", "C1"])
    ]
    keys += [ItemKey(f"ck{i}", "commercial_knowledge", "single_choice", KEYED) for i in range(5)]
    return keys
