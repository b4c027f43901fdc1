"""Validity from outcomes: Pearson r with Fisher-z intervals, range restriction, composite
validity and suggested weights, checked against SciPy, statsmodels and simulated cohorts."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from scoring import (
    ScoringInputError,
    composite_validity,
    correct_range_restriction,
    fisher_interval,
    pearson,
    range_restriction_ratio,
    suggested_weights,
)

# Twelve hires: test composite (T-scores) and the manager's 6-month rating.
TEST_T = [48.0, 55.5, 61.2, 44.9, 52.3, 58.8, 66.1, 50.4, 47.2, 63.5, 57.0, 53.8]
RATING = [2.8, 3.4, 4.1, 2.5, 3.9, 3.1, 4.6, 3.0, 3.3, 3.8, 3.6, 2.9]
# Three parts that cannot all correlate like this (the matrix has a negative eigenvalue).
IMPOSSIBLE = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]


@pytest.mark.parametrize("confidence", [0.90, 0.95, 0.99])
def test_pearson_and_interval_match_scipy(confidence: float) -> None:
    ours = pearson(TEST_T, RATING, confidence=confidence)
    theirs = stats.pearsonr(TEST_T, RATING)
    interval = theirs.confidence_interval(confidence_level=confidence)
    assert ours.r == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.low == pytest.approx(interval.low, abs=1e-10)
    assert ours.high == pytest.approx(interval.high, abs=1e-10)
    assert (ours.n, ours.confidence) == (12, confidence)


def test_pairs_with_a_missing_value_are_left_out() -> None:
    x = [*TEST_T, np.nan, 50.0]
    y = [*RATING, 3.0, np.nan]
    ours = pearson(x, y)
    theirs = stats.pearsonr(TEST_T, RATING).confidence_interval()
    assert ours.n == 12
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=1e-10)
    assert ours.to_dict()["small_n"] is True


def test_fisher_interval_is_vectorised() -> None:
    r = np.array([-0.3, 0.0, 0.25, 0.6])
    n = np.array([10, 40, 100, 1000])
    low, high = fisher_interval(r, n)
    for i in range(r.size):
        one = fisher_interval(float(r[i]), int(n[i]))
        assert (low[i], high[i]) == pytest.approx(one, abs=1e-15)
    assert fisher_interval(0.2, 3) == (-1.0, 1.0)
    assert fisher_interval(1.0, 20) == (1.0, 1.0)


def test_fisher_intervals_cover_the_true_validity_in_95_percent_of_cohorts() -> None:
    # 2,000 cohorts of 60 hires from a bivariate normal with ρ = .40 (seed fixed).
    rho, n, cohorts = 0.40, 60, 2000
    rng = np.random.default_rng(1606)
    cov = [[1.0, rho], [rho, 1.0]]
    covered = 0
    for _ in range(cohorts):
        sample = rng.multivariate_normal([0.0, 0.0], cov, size=n)
        c = pearson(sample[:, 0], sample[:, 1])
        covered += c.low <= rho <= c.high
    coverage = covered / cohorts
    assert 0.93 <= coverage <= 0.97, coverage


def test_thorndike_case_ii_published_example() -> None:
    # personnelSelectionUtility (R) documents correct_r_direct_range_restriction(.25, u = 1.40)
    # = 0.3399501; by hand 0.35 / √(1 + 0.0625 × 0.96) = 0.35 / √1.06.
    assert correct_range_restriction(0.25, 1.40) == pytest.approx(0.3399501, abs=5e-8)
    assert correct_range_restriction(0.25, 1.40) == pytest.approx(0.35 / np.sqrt(1.06), abs=1e-15)


def test_thorndike_case_ii_recovers_the_applicant_pool_correlation() -> None:
    # Applicants: ρ = .50. Hire the top 30 % on the predictor; the hires' r is far lower,
    # and the corrected r is the applicants' again.
    rng = np.random.default_rng(42)
    applicants = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=200_000)
    cut = np.quantile(applicants[:, 0], 0.70)
    hired = applicants[applicants[:, 0] > cut]
    restricted = pearson(hired[:, 0], hired[:, 1]).r
    u = range_restriction_ratio(applicants[:, 0].std(ddof=1), hired[:, 0].std(ddof=1))
    assert restricted < 0.35
    assert correct_range_restriction(restricted, u) == pytest.approx(0.5, abs=0.01)
    # Correcting with 1/u undoes the correction; the interval's ends are corrected alike.
    corrected = correct_range_restriction(restricted, u)
    assert correct_range_restriction(corrected, 1 / u) == pytest.approx(restricted, abs=1e-12)
    low, high = correct_range_restriction(np.array([0.1, 0.3]), u)
    assert low < high


def test_composite_validity_is_the_correlation_of_the_weighted_sum() -> None:
    rng = np.random.default_rng(7)
    parts = rng.multivariate_normal(
        [0, 0, 0], [[1, 0.3, 0.2], [0.3, 1, 0.4], [0.2, 0.4, 1]], size=300
    )
    y = parts @ [0.4, 0.3, 0.1] + rng.normal(0, 1, 300)
    z = (parts - parts.mean(axis=0)) / parts.std(axis=0, ddof=1)
    corr = np.corrcoef(np.column_stack([parts, y]), rowvar=False)
    for weights in ([1 / 3, 1 / 3, 1 / 3], [0.5, 0.3, 0.2], [0.2, 0.0, 0.8]):
        direct = np.corrcoef(z @ weights, y)[0, 1]
        formula = composite_validity(weights, corr[:3, 3], corr[:3, :3])
        assert formula == pytest.approx(direct, abs=1e-12)

    # With the regression weights the composite's validity is the multiple R (statsmodels).
    beta = np.linalg.solve(corr[:3, :3], corr[:3, 3])
    fit = sm.OLS(y, sm.add_constant(parts)).fit()
    assert composite_validity(beta, corr[:3, 3], corr[:3, :3]) == pytest.approx(
        np.sqrt(fit.rsquared), abs=1e-10
    )


def test_two_part_closed_form() -> None:
    r1, r2, r12, w1, w2 = 0.45, 0.42, 0.30, 0.6, 0.4
    expected = (w1 * r1 + w2 * r2) / np.sqrt(w1**2 + w2**2 + 2 * w1 * w2 * r12)
    assert composite_validity([w1, w2], [r1, r2], r12) == pytest.approx(expected, abs=1e-15)
    assert composite_validity([w1, w2], [r1, r2], [[1, r12], [r12, 1]]) == pytest.approx(expected)


def test_regression_weights_match_statsmodels_on_standardized_scores() -> None:
    rng = np.random.default_rng(11)
    cov = 100 * np.array([[1, 0.3, 0.1], [0.3, 1, 0.2], [0.1, 0.2, 1]])
    x = rng.multivariate_normal([50, 50, 50], cov, size=150)
    y = 0.05 * x[:, 0] + 0.03 * x[:, 1] + rng.normal(0, 1, 150)
    s = suggested_weights(x, y, [0.4, 0.4, 0.2], names=["analysis", "business_sense", "drive"])
    zx = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    fit = sm.OLS(zy, sm.add_constant(zx)).fit()
    np.testing.assert_allclose(s.regression, fit.params[1:], rtol=0, atol=1e-10)
    assert s.shrinkage == pytest.approx(150 / 250)
    assert sum(s.weights) == pytest.approx(1.0, abs=1e-12)
    assert min(s.weights) >= 0
    expected = s.shrinkage * np.array(s.regression_normalized) + (1 - s.shrinkage) * np.array(
        [0.4, 0.4, 0.2]
    )
    np.testing.assert_allclose(s.weights, expected, atol=1e-12)
    assert s.validity_suggested >= s.validity_current - 1e-12
    json.dumps(s.to_dict())
    assert set(s.to_dict()["weights"]) == {"analysis", "business_sense", "drive"}


def _simulated_cohort(rng: np.random.Generator, n: int, true_weights: np.ndarray) -> Any:
    p = true_weights.size
    cov = 0.3 * np.ones((p, p)) + 0.7 * np.eye(p)
    x = rng.multivariate_normal(np.zeros(p), cov, size=n)
    y = x @ true_weights + rng.normal(0, 0.8, n)
    return x, y


def test_suggested_weights_stay_near_current_for_small_n_and_reach_the_truth_for_large_n() -> None:
    true_weights = np.array([0.5, 0.3, 0.2, 0.0])
    current = np.array([0.25, 0.25, 0.25, 0.25])
    rng = np.random.default_rng(1617)
    mean_distance_to_truth = {}
    mean_distance_to_current = {}
    for n in (12, 50, 200, 1000, 5000):
        to_truth, to_current = [], []
        for _ in range(40):
            x, y = _simulated_cohort(rng, n, true_weights)
            w = np.array(suggested_weights(x, y, current).weights)
            to_truth.append(np.abs(w - true_weights).sum())
            to_current.append(np.abs(w - current).sum())
        mean_distance_to_truth[n] = float(np.mean(to_truth))
        mean_distance_to_current[n] = float(np.mean(to_current))
    distances = [mean_distance_to_truth[n] for n in (12, 50, 200, 1000, 5000)]
    assert distances == sorted(distances, reverse=True), distances
    # 12 hires: λ = 12/112, so the suggestion stays within about a tenth of the current.
    assert mean_distance_to_current[12] < 0.15
    assert mean_distance_to_current[12] < mean_distance_to_truth[12]
    # 5,000 hires: λ = 0.98, the suggestion is the true weights up to sampling noise.
    assert mean_distance_to_truth[5000] < 0.06


def test_without_any_positive_regression_weight_the_current_weights_stay() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2))
    y = -x[:, 0] - x[:, 1] + rng.normal(0, 0.5, 200)
    s = suggested_weights(x, y, [0.7, 0.3])
    assert s.weights == (0.7, 0.3)
    assert s.shrinkage == 0.0
    assert s.regression_normalized is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pearson([1, 2], [1, 2]), "x: needs at least 3 complete pairs"),
        (lambda: pearson([1, 1, 1], [1, 2, 3]), "x: has no variance"),
        (lambda: pearson([1, 2, 3], [2, 2, 2]), "y: has no variance"),
        (lambda: pearson([1, 2, 3], [1, 2]), "y: has 2 values but x has 3"),
        (lambda: pearson([1, 2, 3], [1, 2, 4], confidence=95), "confidence: must lie strictly"),
        (lambda: fisher_interval(1.2, 10), r"r: must lie in \[−1, 1\]"),
        (lambda: fisher_interval(0.2, 2), "n: must be a whole number ≥ 3"),
        (lambda: correct_range_restriction(0.3, 0), "u: must be > 0"),
        (lambda: range_restriction_ratio(10, 0), "sd_selected: must be > 0"),
        (lambda: composite_validity([1, 1], [0.3, 0.2], 1.5), "intercorrelations: correlations"),
        (
            lambda: composite_validity([1, 1, 1], [0.3, 0.2, 0.1], IMPOSSIBLE),
            "intercorrelations: is not a possible correlation matrix",
        ),
        (lambda: composite_validity([1, 1], [0.3], 0.2), "validities: has 1 values for 2"),
        (
            lambda: composite_validity([1, -1], [0.3, 0.2], 1.0),
            "weights: give a composite with no variance",
        ),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(call: Any, message: str) -> None:
    with pytest.raises(ScoringInputError, match=message):
        call()


def test_suggested_weights_argument_checks() -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = x[:, 0]
    with pytest.raises(ValueError, match="current: must be non-negative and sum to 1"):
        suggested_weights(x, y, [0.6, 0.6])
    with pytest.raises(ValueError, match="current: has 3 weights for 2 parts"):
        suggested_weights(x, y, [0.4, 0.4, 0.2])
    with pytest.raises(ValueError, match="n0: must be > 0"):
        suggested_weights(x, y, [0.5, 0.5], n0=0)
    with pytest.raises(ValueError, match="predictors: needs at least 4 complete rows"):
        suggested_weights(x[:3], y[:3], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"predictors\[:, 1\]: drive has no variance"):
        suggested_weights(
            np.column_stack([x[:, 0], np.ones(20)]), y, [0.5, 0.5], names=["a", "drive"]
        )
    with pytest.raises(ValueError, match="predictors: parts are linearly dependent"):
        suggested_weights(np.column_stack([x[:, 0], 2 * x[:, 0]]), y, [0.5, 0.5])
    with pytest.raises(ValueError, match="names: has 1 names for 2 parts"):
        suggested_weights(x, y, [0.5, 0.5], names=["a"])
