"""Cronbach's α, SEM, 90 % bands, "not reliably different" (SPEC §3.4)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    ScoringInputError,
    alpha_if_deleted,
    alpha_is_low,
    band90,
    cronbach_alpha,
    cronbach_alpha_from_cov,
    difference_margin,
    reliably_different,
    standard_error_of_measurement,
)

# Published worked example: Statology, "How to Calculate Cronbach's Alpha in Python"
# (restaurant survey, 10 customers × 3 items rated 1–3; pingouin.cronbach_alpha → 0.7734375).
STATOLOGY = [
    [1, 1, 1],
    [2, 1, 1],
    [2, 1, 2],
    [3, 2, 1],
    [2, 3, 2],
    [2, 3, 3],
    [3, 2, 3],
    [3, 3, 3],
    [2, 3, 2],
    [3, 3, 3],
]


def test_alpha_matches_published_example() -> None:
    # By hand (ddof = 1):
    #   Q1 = 1,2,2,3,2,2,3,3,2,3: mean 2.3, Σ(x − m)² = 4.1 → s² = 4.1/9
    #   Q2 = 1,1,1,2,3,3,2,3,3,3: mean 2.2, Σ(x − m)² = 7.6 → s² = 7.6/9
    #   Q3 = 1,1,2,1,2,3,3,3,2,3: mean 2.1, Σ(x − m)² = 6.9 → s² = 6.9/9
    #   Σ s²_i = 18.6/9
    #   totals = 3,4,5,6,7,8,8,9,7,9: mean 6.6, Σ(x − m)² = 38.4 → s²_X = 38.4/9
    #   α = 3/2 × (1 − 18.6/38.4) = 1.5 × 19.8/38.4 = 29.7/38.4 = 0.7734375
    assert cronbach_alpha(STATOLOGY) == pytest.approx(0.7734375, abs=1e-12)


def test_alpha_from_covariance_matches_statsbase_example() -> None:
    # Julia StatsBase `cronbachalpha` documentation: covariance matrix below → 0.8136.
    # tr C = 10 + 11 + 12 + 13 = 46; ΣΣ C = 46 + 12 × 6 = 118
    # α = 4/3 × (1 − 46/118) = 4/3 × 72/118 = 0.81356
    cov = [[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]]
    assert cronbach_alpha_from_cov(cov) == pytest.approx(288 / 354)
    assert round(cronbach_alpha_from_cov(cov), 4) == 0.8136
    # dropping item 1: tr = 36, ΣΣ = 36 + 6 × 6 = 72 → 3/2 × (1 − 36/72) = 0.75 (StatsBase: 0.75)
    np.testing.assert_allclose(alpha_if_deleted(cov), [0.75, 0.7606, 0.7714, 0.7826], atol=5e-5)


def test_alpha_from_data_equals_alpha_from_its_covariance() -> None:
    cov = np.cov(np.array(STATOLOGY, dtype=float), rowvar=False)
    assert cronbach_alpha_from_cov(cov) == pytest.approx(0.7734375)


def test_kr20_special_case() -> None:
    # Dichotomous items: α = KR-20. Items p = (0.6, 0.4, 0.4); by hand with ddof = 1:
    # s²_i = n/(n−1) p q = 5/4 × (0.24, 0.24, 0.24) → Σ = 0.9
    # totals = 2, 1, 1, 3, 0 → mean 1.4, Σ(x − m)² = 5.2 → s²_X = 1.3
    # α = 3/2 × (1 − 0.9/1.3) = 1.5 × 0.4/1.3 = 0.461538…
    m = [[1, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0]]
    assert cronbach_alpha(m) == pytest.approx(0.6 / 1.3)


def test_listwise_deletion() -> None:
    with_missing = [*STATOLOGY, [math.nan, 1, 1]]
    assert cronbach_alpha(with_missing) == pytest.approx(0.7734375)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1], [2]], "needs at least 2 items"),
        ([[1, 2]], "needs at least 2 rows"),
        ([[1, 2], [math.nan, 1]], "needs at least 2 rows"),
        ([[1, 1], [1, 1]], "zero variance"),
        ([1, 2, 3], "must be 2-dimensional"),
    ],
)
def test_alpha_bad_input(matrix, message: str) -> None:
    with pytest.raises(ScoringInputError, match=f"^matrix: .*{message}"):
        cronbach_alpha(matrix)


def test_sem_and_band() -> None:
    # SEM = 10 × √(1 − 0.84) = 10 × 0.4 = 4; band = 50 ± 1.645 × 4 = 50 ± 6.58
    assert standard_error_of_measurement(10.0, 0.84) == pytest.approx(4.0)
    low, high = band90(50.0, 4.0)
    assert (low, high) == pytest.approx((43.42, 56.58))
    lows, highs = band90([40.0, 60.0], [2.0, 0.0])
    np.testing.assert_allclose(lows, [36.71, 60.0])
    np.testing.assert_allclose(highs, [43.29, 60.0])
    with pytest.raises(ValueError, match=r"^sem"):
        band90(50.0, -1.0)
    with pytest.raises(ValueError, match=r"^alpha"):
        standard_error_of_measurement(10.0, 1.5)


def test_reliably_different_uses_the_standard_error_of_the_difference() -> None:
    # SEM 3 each: SE of the difference √(9 + 9) = 4.243; margin 1.645 × 4.243 = 6.98
    assert difference_margin(3.0, 3.0) == pytest.approx(1.645 * math.sqrt(18))
    assert reliably_different(57.0, 50.0, 3.0, 3.0) is True  # 7 ≥ 6.98
    assert reliably_different(56.5, 50.0, 3.0, 3.0) is False  # 6.5 < 6.98
    # The old rule (bands overlap, 1.645 × (3 + 3) = 9.87) called 57 vs 50 the same.
    # vectorised, NaN is never "different", nor are equal scores without error
    out = reliably_different([60.0, 55.0, math.nan, 50.0], [50.0, 50.0, 50.0, 50.0],
                             [3.0, 3.0, 3.0, 0.0], [1.0, 1.0, 1.0, 0.0])
    assert out.tolist() == [True, False, False, False]  # 10 ≥ 5.20; 5 < 5.20
    with pytest.raises(ScoringInputError, match=r"^score_b: shapes"):
        reliably_different([1.0, 2.0], [1.0, 2.0, 3.0], 1.0, 1.0)
    with pytest.raises(ScoringInputError, match=r"^sem_b"):
        difference_margin(1.0, -1.0)


def test_reliably_different_agrees_with_scipy_two_sided_test_at_10_percent() -> None:
    """|a − b| / √(SEM_a² + SEM_b²) against the normal quantile SciPy publishes."""
    from scipy import stats

    rng = np.random.default_rng(7)
    a, b = rng.normal(50, 10, 2_000), rng.normal(50, 10, 2_000)
    sa, sb = rng.uniform(1, 6, 2_000), rng.uniform(1, 6, 2_000)
    z = np.abs(a - b) / np.hypot(sa, sb)
    p_value = 2 * stats.norm.sf(z)
    clear = np.abs(z - stats.norm.ppf(0.95)) > 1e-3  # 1.645 rounds the quantile 1.64485
    ours = reliably_different(a, b, sa, sb)
    assert (ours[clear] == (p_value[clear] <= 0.10)).all()
    assert 0.2 < ours.mean() < 0.8


@settings(deadline=None)
@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 10), st.floats(0, 10))
def test_reliably_different_is_symmetric(a: float, b: float, sa: float, sb: float) -> None:
    assert reliably_different(a, b, sa, sb) == reliably_different(b, a, sb, sa)
    low_a, high_a = band90(a, sa)
    low_b, high_b = band90(b, sb)
    overlap = low_a <= high_b and low_b <= high_a
    if not overlap:  # bands apart: a fortiori beyond the (smaller) margin of the difference
        assert reliably_different(a, b, sa, sb)


def test_alpha_thresholds() -> None:
    assert alpha_is_low(0.69) is True and alpha_is_low(0.70) is False
    assert alpha_is_low(0.55, sjt=True) is False and alpha_is_low(0.49, sjt=True) is True
    assert alpha_is_low(None) is None
