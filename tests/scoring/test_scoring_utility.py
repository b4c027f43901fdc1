"""Brogden–Cronbach–Gleser utility of a candidate (SPEC §4)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from scoring import (
    CostAssumptions,
    ScoringInputError,
    candidate_utilities,
    candidate_utility,
    costed_option,
    expected_productivity,
    simulate_option,
)


def test_expected_productivity_by_hand() -> None:
    # 1 + r_xy · z · SD_p = 1 + 0.45 × 1 × 0.48 = 1.216
    assert expected_productivity(1.0) == pytest.approx(1.216)
    # z = −2: 1 − 0.45 × 2 × 0.48 = 0.568 ; z = 0: 1
    np.testing.assert_allclose(expected_productivity([-2.0, 0.0]), [0.568, 1.0])
    # custom validity and spread: 1 + 0.3 × 1.5 × 0.2 = 1.09
    assert expected_productivity(1.5, r_xy=0.3, sd_p=0.2) == pytest.approx(1.09)
    with pytest.raises(ScoringInputError, match=r"^r_xy"):
        expected_productivity(1.0, r_xy=1.5)


def test_option_by_years_of_key_account_work() -> None:
    assert costed_option(3) == "experienced"  # ≥ 3 years (default)
    assert costed_option(2.9) == "grow_in_house"
    assert costed_option(None) == "grow_in_house"
    assert costed_option(1, experienced_years=1) == "experienced"


def test_candidate_utility_scales_the_option_productivity() -> None:
    a = CostAssumptions()
    u = candidate_utility(1.0, 5, a)
    # experienced productivity 1.0 × 1.216
    assert u.option == "experienced"
    assert u.productivity == pytest.approx(1.216)
    expected = simulate_option(replace(a.experienced, productivity=1.216), a).npv
    assert u.npv == pytest.approx(expected)
    # an average candidate (z = 0) is worth exactly the option's own NPV
    junior = candidate_utility(0.0, 1, a)
    assert junior.option == "grow_in_house"
    assert junior.npv == pytest.approx(simulate_option(a.grow_in_house, a).npv)
    # a stronger candidate is worth more
    assert candidate_utility(1.0, 1, a).npv > junior.npv
    d = u.to_dict()
    json.dumps(d)
    assert d["explanation"].startswith("Costed as an experienced hire.")


def test_vectorised_utilities_match_the_scalar_ones() -> None:
    z = np.array([1.0, -0.5, 0.0, math.nan])
    years = np.array([5.0, 4.0, math.nan, 1.0])
    g = candidate_utilities(z, years)
    assert g.option.tolist() == ["experienced", "experienced", "grow_in_house", "grow_in_house"]
    for i in range(3):
        one = candidate_utility(float(z[i]), None if math.isnan(years[i]) else float(years[i]))
        assert g.npv[i] == pytest.approx(one.npv, rel=1e-10)
    assert math.isnan(g.npv[3])
    json.dumps(g.to_dict())


def test_missing_z_is_refused() -> None:
    with pytest.raises(ScoringInputError, match=r"^z: composite z is missing"):
        candidate_utility(None, 5)  # type: ignore[arg-type]
    with pytest.raises(ScoringInputError, match=r"^years_key_accounts"):
        candidate_utility(0.0, -1)
