"""CEFR estimate from graded language items (SPEC §3.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring import ItemKey, ScoringInputError, cefr_meets, estimate_cefr

NAN = math.nan
KEYED = {"a": 1, "b": 0, "c": 0}


def keys_per_level(per_level: int, levels=("A2", "B1", "B2", "C1")) -> list[ItemKey]:
    return [
        ItemKey(f"en{level}{i}", "languages", "single_choice", KEYED, cefr=level)
        for level in levels
        for i in range(per_level)
    ]


def test_estimate_by_hand() -> None:
    keys = keys_per_level(4)  # columns: A2 ×4, B1 ×4, B2 ×4, C1 ×4; 70 % of 4 = 2.8 → 3 needed
    rows = [
        [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0],  # 4,3,3,3 → C1
        [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1],  # 3,3,2,4 → B1 (B2 fails; C1 blocked)
        [1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],  # 2,4,4,4 → below_A2
        [1, 1, 1, NAN, 1, 1, 1, NAN, 0, 0, 0, 0, 0, 0, 0, 0],  # 3,3,0,0 (skips ≠ right) → B1
        [NAN] * 16,  # nothing answered → below_A2
    ]
    est = estimate_cefr(keys, rows)
    assert est.level.tolist() == ["C1", "B1", "below_A2", "B1", "below_A2"]
    np.testing.assert_allclose(est.share_correct[1], [0.75, 0.75, 0.5, 1.0])
    assert est.candidate(0) == {
        "cefr": "C1",
        "share_correct": {"A2": 1.0, "B1": 0.75, "B2": 0.75, "C1": 0.75},
        "items_per_level": {"A2": 4, "B1": 4, "B2": 4, "C1": 4},
    }


def test_exactly_seventy_percent_passes() -> None:
    keys = keys_per_level(10, levels=("A2",))
    # 7 of 10 = 70 % ≥ 70 % → A2;  6 of 10 → below_A2
    est = estimate_cefr(keys, [[1] * 7 + [0] * 3, [1] * 6 + [0] * 4])
    assert est.level.tolist() == ["A2", "below_A2"]


def test_only_tagged_items_count() -> None:
    keys = [*keys_per_level(2), ItemKey("an1", "analysis", "numeric", answer=1, tolerance=0)]
    est = estimate_cefr(keys, [[1, 1, 1, 1, 1, 1, 0, 0, 0]])
    assert est.level.tolist() == ["B2"]  # C1 has 0 of 2


def test_level_without_items_does_not_block_higher_levels() -> None:
    keys = keys_per_level(2, levels=("A2", "B2"))  # no B1 and no C1 items
    est = estimate_cefr(keys, [[1, 1, 1, 1], [1, 1, 0, 0]])
    assert est.level.tolist() == ["B2", "A2"]
    assert np.isnan(est.share_correct[0, 1])


def test_no_tagged_items() -> None:
    keys = [ItemKey("an1", "analysis", "numeric", answer=1, tolerance=0)]
    with pytest.raises(ScoringInputError, match=r"^keys: no item carries a CEFR level"):
        estimate_cefr(keys, [[1.0]])


def test_cefr_comparison() -> None:
    assert cefr_meets("B2", "B2") and cefr_meets("C2", "C1")
    assert cefr_meets("below_A2", "A1") is False
    assert cefr_meets(None, "B2") is None
    with pytest.raises(ScoringInputError, match=r"^level: 'D1' is not a CEFR level"):
        cefr_meets("D1", "B2")
