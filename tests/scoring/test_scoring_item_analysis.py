"""Item analysis: difficulty, corrected item–total r, option frequencies, flags (SPEC §3.8)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scoring import ItemKey, corrected_item_total, item_analysis, score_items

NAN = math.nan
KEYED = {"a": 0, "b": 1, "c": 0, "d": 0}


def test_corrected_item_total_by_hand() -> None:
    m = [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0]]
    # item 1 = 1,1,0,1,0 (mean .6); rest = item2 + item3 = 1,0,1,2,0 (mean .8)
    # deviations: x = .4,.4,−.6,.4,−.6 ; y = .2,−.8,.2,1.2,−.8
    # Σxy = .08 − .32 − .12 + .48 + .48 = .6 ; Σx² = 1.2 ; Σy² = 2.8
    # r = .6 / √(1.2 × 2.8) = .6 / 1.8330 = .3273
    r = corrected_item_total(m)
    assert r[0] == pytest.approx(0.6 / math.sqrt(1.2 * 2.8))
    # item 3 = 0,0,1,1,0 vs rest 2,1,0,2,0: Σxy = 0 → r = 0
    assert r[2] == pytest.approx(0.0, abs=1e-12)


def test_item_analysis_by_hand() -> None:
    keys = [ItemKey(f"ck{i}", "commercial_knowledge", "single_choice", KEYED) for i in range(3)]
    # encoded option indices; 'b' (index 1) is the key
    X = np.array(
        [
            [1, 1, 0],
            [1, 0, 0],
            [0, 2, 1],
            [1, 1, 1],
            [2, 2, 2],
            [1, 1, NAN],
        ],
        dtype=float,
    )
    S = score_items(keys, X)
    ia = item_analysis(keys, S, X)
    # ck0: 4 of 6 answered correct → p = 4/6; ck1: 3/6; ck2: 2 of 5 answered → 0.4
    np.testing.assert_allclose(ia.p, [4 / 6, 3 / 6, 2 / 5])
    # option frequencies for ck0: a 1/6, b 4/6, c 1/6, d 0 → 'd' is a weak distractor
    ck0 = ia.items[0]
    assert ck0.option_frequencies == pytest.approx({"a": 1 / 6, "b": 4 / 6, "c": 1 / 6, "d": 0})
    assert "weak_distractor" in [f["code"] for f in ck0.flags]
    # item–total r uses the 5 rows with every item answered (listwise for the scale)
    assert ia.n_complete == {"commercial_knowledge": 5}
    expected = corrected_item_total(S[:5])
    np.testing.assert_allclose(ia.r_it, expected)
    json.dumps(ia.to_dict())


def test_review_flags() -> None:
    keys = [ItemKey(f"bs{i}", "business_sense", "single_choice", KEYED) for i in range(7)]
    rng = np.random.default_rng(0)
    ability = rng.normal(size=400)

    def item(sign: float, cut: float) -> np.ndarray:
        return (sign * ability + rng.normal(scale=0.5, size=400) > cut).astype(float)

    # five good items, one miskeyed (scores the opposite way), one very hard
    S = np.column_stack([item(1, 0) for _ in range(5)] + [item(-1, 0), item(1, 1.6)])
    ia = item_analysis(keys, S)
    codes = [{f["code"] for f in it.flags} for it in ia.items]
    assert codes[:5] == [set()] * 5
    assert "negative_discrimination" in codes[5]
    assert "check the key" in next(
        f["message"] for f in ia.items[5].flags if f["code"] == "negative_discrimination"
    )
    assert "too_hard" in codes[6]
    assert ia.flagged == (ia.items[5], ia.items[6])
    # dropping the miskeyed item raises α
    assert ia.alpha_if_deleted[5] > max(ia.alpha_if_deleted[:5])


def test_likert_difficulty_is_range_normalised() -> None:
    keys = [ItemKey(f"sr{i}", "stress_resistance", "likert") for i in range(2)]
    ia = item_analysis(keys, [[1, 1], [1, 2], [1, 3]])
    # item 1 always "1" → p = (1 − 1)/(5 − 1) = 0 (too hard/low endorsement) and no variance
    assert ia.p[0] == 0
    assert {f["code"] for f in ia.items[0].flags} == {"no_variance", "too_hard"}
    # item 2 mean 2 → p = (2 − 1)/4 = 0.25
    assert ia.p[1] == 0.25
