"""Scale scores: raw sum, prorating, incompleteness, percent of maximum (SPEC §3.2)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import ItemKey, ScoringInputError, percent_of_maximum, score_items, score_scales

NAN = math.nan
SJT = {"a": 3, "b": 1, "c": 0, "d": 2}
LIKERT5 = [ItemKey(f"sr{i}", "stress_resistance", "likert") for i in range(5)]
MIXED = [ItemKey(f"sr{i}", "stress_resistance", "likert") for i in range(4)] + [
    ItemKey("sr4", "stress_resistance", "sjt", SJT)
]


def test_complete_likert_scale_raw_and_pomp() -> None:
    # raw = 4 + 5 + 3 + 4 + 2 = 18; min 5 × 1 = 5, max 5 × 5 = 25
    # POMP = 100 × (18 − 5) / (25 − 5) = 65 (not 100 × 18 / 25 = 72: no 20 % floor)
    s = score_scales(LIKERT5, [[4, 5, 3, 4, 2]])
    assert s.raw[0, 0] == 18
    assert s.percent[0, 0] == 65
    assert (s.min_possible[0], s.max_possible[0]) == (5, 25)
    assert bool(s.complete[0, 0]) and not bool(s.prorated[0, 0])


def test_all_ones_on_likert_is_zero_percent() -> None:
    assert score_scales(LIKERT5, [[1, 1, 1, 1, 1]]).percent[0, 0] == 0


def test_eighty_percent_answered_is_prorated() -> None:
    # 4 of 5 answered (80 %): raw = mean 16/4 = 4 × 5 items = 20; POMP = 100 × 15 / 20 = 75
    s = score_scales(LIKERT5, [[4, 5, 3, 4, NAN]])
    assert s.raw[0, 0] == 20
    assert s.percent[0, 0] == 75
    assert bool(s.prorated[0, 0])
    assert s.answered[0, 0] == 4


def test_below_eighty_percent_is_incomplete_not_guessed() -> None:
    # 3 of 5 answered (60 %) → incomplete
    s = score_scales(LIKERT5, [[4, 5, 3, NAN, NAN]])
    assert np.isnan(s.raw[0, 0]) and np.isnan(s.percent[0, 0])
    assert not bool(s.complete[0, 0])
    entry = s.candidate(0)["stress_resistance"]
    assert entry["raw"] is None and entry["percent"] is None
    assert entry["answered_fraction"] == 0.6
    json.dumps(s.to_dict())


def test_mixed_scale_uses_sums_of_item_ranges() -> None:
    # 4 Likert (1–5) + 1 SJT (0–3): min = 4 × 1 + 0 = 4, max = 4 × 5 + 3 = 23
    s = score_scales(MIXED, [[5, 5, 5, 5, 3], [3, 3, 3, 3, NAN], [5, 5, 5, 5, NAN]])
    assert (s.min_possible[0], s.max_possible[0]) == (4, 23)
    assert s.raw[0, 0] == 23 and s.percent[0, 0] == 100
    # Row 1: SJT skipped. Answered items: sum 12 on a range [4, 20] → share (12−4)/16 = 0.5;
    # raw = 4 + 0.5 × (23 − 4) = 13.5; POMP = 50.
    assert s.raw[1, 0] == 13.5 and s.percent[1, 0] == 50
    # Row 2: naive mean × n would give 20/4 × 5 = 25 > max 23 (110.5 %); range-aware gives 23.
    assert s.raw[2, 0] == 23 and s.percent[2, 0] == 100


def test_scales_are_separated_by_competency(small_keys: list[ItemKey]) -> None:
    row = [0, 0, 0, 0, 0] + [10, 20, 30, 40, 99] + [5, 1, 5, 1, 3] + [1] * 8 + [1, 1, 0, 0, 0]
    # encoded SJT index 0 = option "a" = 3 points (stress SJT: index 3 = "d" = 2);
    # keyed items: index 1 = "b" = correct
    scores = score_items(small_keys, [row])
    s = score_scales(small_keys, scores)
    assert s.competencies == (
        "business_sense",
        "analysis",
        "stress_resistance",
        "languages",
        "commercial_knowledge",
    )
    # business_sense 5 × 3 = 15 of 15; analysis 4 of 5; stress: 5 + (6−1) + 5 + (6−1) + 2 = 22
    # of [4, 23]; languages 8 of 8; commercial: row of options [b, b, a, a, a] → 2 of 5
    np.testing.assert_array_equal(s.raw[0], [15, 4, 22, 8, 2])
    np.testing.assert_allclose(s.percent[0], [100, 80, 100 * 18 / 19, 100, 40])


@settings(deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=5, max_size=5),
        min_size=1,
        max_size=20,
    )
)
def test_percent_is_within_0_and_100(rows: list[list[int | None]]) -> None:
    X = np.array([[NAN if v is None else v for v in r] for r in rows], dtype=float)
    X[:, :4] = np.where(np.isnan(X[:, :4]), NAN, X[:, :4] + 1)  # Likert 1..4 on a 1–5 scale
    s = score_scales(MIXED, score_items(MIXED, X))
    pct = s.percent[~np.isnan(s.percent)]
    assert ((pct >= 0) & (pct <= 100)).all()
    assert (s.complete[:, 0] == (s.answered[:, 0] >= 4)).all()


def test_percent_of_maximum() -> None:
    # 100 × (30 − 10) / (50 − 10) = 50
    assert float(percent_of_maximum(30, 10, 50)) == 50
    with pytest.raises(ValueError, match=r"^max_possible"):
        percent_of_maximum(1, 5, 5)


def test_bad_inputs() -> None:
    with pytest.raises(ScoringInputError, match=r"^item_scores: has 4 columns"):
        score_scales(LIKERT5, [[1, 2, 3, 4]])
    with pytest.raises(ScoringInputError, match=r"^item_scores\[0, 1\]: 6 is outside"):
        score_scales(LIKERT5, [[1, 6, 3, 4, 5]])
    with pytest.raises(ScoringInputError, match=r"^min_complete"):
        score_scales(LIKERT5, [[1, 2, 3, 4, 5]], min_complete=1.5)
    with pytest.raises(ScoringInputError, match=r"^item_scores: contains an infinite"):
        score_scales(LIKERT5, [[1, 2, 3, 4, math.inf]])
