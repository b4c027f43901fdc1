"""The fit score is re-standardized against the norm group (SPEC §3.5), checked on a simulated
group with known correlations and against NumPy and SciPy's published implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from scoring import (
    MIN_COMPOSITE_N,
    CompositeNorm,
    apply_norms,
    bands,
    build_composite_norm,
    build_norm_table,
    composite_scores,
)

SIX = ("business_sense", "analysis", "stress_resistance", "languages", "communication",
       "commercial_knowledge")
WEIGHTS = {"business_sense": 0.20, "analysis": 0.20, "stress_resistance": 0.10,
           "languages": 0.05, "communication": 0.20, "commercial_knowledge": 0.25}


def simulated_group(n: int, r: float, seed: int) -> np.ndarray:
    """z-scores of ``n`` people on six competencies that correlate ``r`` with each other."""
    rng = np.random.default_rng(seed)
    correlation = np.full((6, 6), r) + (1 - r) * np.eye(6)
    return rng.multivariate_normal(np.zeros(6), correlation, size=n)


def shares(letters: np.ndarray) -> dict[str, float]:
    return {band: float(np.mean(letters == band)) for band in "ABCD"}


def test_a_group_with_known_correlations_gets_the_intended_band_shares() -> None:
    z = simulated_group(5_000, r=0.3, seed=12)
    group = build_composite_norm(z, SIX, basis="z")
    fit = composite_scores(z, SIX, WEIGHTS, basis="z", language_hurdle=None, norm=group)
    got = shares(fit.band)
    # A normal group: A = P(z ≥ 1) = 15.9 %, B 15.0 %, C 38.3 %, D 30.9 % (scipy.stats.norm).
    expected = {
        "A": stats.norm.sf(1.0),
        "B": stats.norm.cdf(1.0) - stats.norm.cdf(0.5),
        "C": stats.norm.cdf(0.5) - stats.norm.cdf(-0.5),
        "D": stats.norm.cdf(-0.5),
    }
    assert 0.14 <= got["A"] <= 0.18
    for band in "ABCD":
        assert got[band] == pytest.approx(expected[band], abs=0.02), band
    assert float(np.mean(fit.fit)) == pytest.approx(50.0, abs=1e-9)
    assert float(np.std(fit.fit, ddof=1)) == pytest.approx(10.0, abs=1e-9)


def test_the_plain_weighted_sum_is_compressed_without_the_group() -> None:
    """Why this exists: with r = .3, SD(Σ w z) = √(wᵀRw) ≈ 0.63, so band A holds ~5 %."""
    z = simulated_group(5_000, r=0.3, seed=12)
    w = np.array([WEIGHTS[c] for c in SIX])
    correlation = np.full((6, 6), 0.3) + 0.7 * np.eye(6)
    expected_sd = math.sqrt(w @ correlation @ w)
    plain = composite_scores(z, SIX, WEIGHTS, basis="z", language_hurdle=None)
    assert float(np.std(plain.fit, ddof=1)) == pytest.approx(10 * expected_sd, rel=0.03)
    assert shares(plain.band)["A"] == pytest.approx(stats.norm.sf(1 / expected_sd), abs=0.015)
    assert shares(plain.band)["A"] < 0.08
    assert "Not re-standardized" in plain.explain(0).summary


def test_the_standardized_composite_equals_scipy_zscore_of_the_weighted_sum() -> None:
    z = simulated_group(400, r=0.45, seed=3)
    z[5, 2] = np.nan  # an incomplete attempt: out of the group, and partial itself
    group = build_composite_norm(z, SIX, basis="z")
    weighted = z @ np.array([WEIGHTS[c] for c in SIX])
    complete = ~np.isnan(weighted)
    assert group.n == 399
    assert group.mean == pytest.approx(np.nanmean(z[complete], axis=0), abs=1e-12)
    assert group.cov == pytest.approx(np.cov(z[complete], rowvar=False), abs=1e-12)
    fit = composite_scores(z, SIX, WEIGHTS, basis="z", language_hurdle=None, norm=group)
    reference = stats.zscore(weighted[complete], ddof=1)
    assert fit.composite_z[complete] == pytest.approx(reference, abs=1e-12)
    assert fit.fit[complete] == pytest.approx(50 + 10 * reference, abs=1e-10)
    mean, sd = group.moments(WEIGHTS)
    assert mean == pytest.approx(np.mean(weighted[complete]), abs=1e-12)
    assert sd == pytest.approx(np.std(weighted[complete], ddof=1), abs=1e-12)
    explanation = fit.explain(0)
    assert explanation.standardization.standardized and explanation.standardization.n == 399
    assert "re-standardized against the norm group" in explanation.summary
    terms_t = sum(t.to_dict()["contribution_t"] for t in explanation.terms)
    assert 50 + terms_t - 10 * mean / sd == pytest.approx(fit.fit[0], abs=1e-9)


def test_a_partial_fit_renormalizes_the_weights_and_is_standardized_the_same_way() -> None:
    z = simulated_group(600, r=0.3, seed=8)
    group = build_composite_norm(z, SIX, basis="z")
    row = z[:1].copy()
    row[0, SIX.index("analysis")] = np.nan
    fit = composite_scores(row, SIX, WEIGHTS, basis="z", language_hurdle=None, norm=group)
    assert np.isnan(fit.fit[0]) and np.isnan(fit.composite_z[0])
    partial = fit.partial(0)
    assert partial["missing"] == ["analysis"] and partial["coverage"] == pytest.approx(0.8)
    kept = [c for c in SIX if c != "analysis"]
    w = np.array([WEIGHTS[c] / 0.8 for c in kept])
    columns = [SIX.index(c) for c in kept]
    s_group = z[:, columns] @ w
    reference = (row[0, columns] @ w - s_group.mean()) / s_group.std(ddof=1)
    assert partial["composite_z"] == pytest.approx(reference, abs=1e-12)
    assert partial["fit_score"] == pytest.approx(50 + 10 * reference, abs=1e-10)
    assert partial["band"] == bands([partial["fit_score"]])[0]
    assert sum(partial["weights"].values()) == pytest.approx(1.0)
    summary = fit.explain(0).summary
    assert "Partial fit" in summary and "80 % of the weight" in summary


def test_before_norms_the_fit_stays_a_percent_and_the_z_is_made_on_percent_scores() -> None:
    rng = np.random.default_rng(4)
    percent = np.clip(rng.normal(60, 15, size=(200, 2)), 0, 100)
    weights = {"analysis": 0.5, "commercial_knowledge": 0.5}
    columns = ("analysis", "commercial_knowledge")
    group = build_composite_norm(percent, columns, basis="percent")
    fit = composite_scores(percent, columns, weights, basis="percent", language_hurdle=None,
                           norm=group)
    assert fit.fit == pytest.approx(percent.mean(axis=1))
    assert fit.composite_z == pytest.approx(stats.zscore(percent.mean(axis=1), ddof=1))
    assert fit.unit == "percent" and set(fit.band) <= set("ABCD")
    # A z-basis group does not standardize a percent composite, nor the reverse.
    other = composite_scores(percent, columns, weights, basis="percent", language_hurdle=None,
                             norm=CompositeNorm("z", group.competencies, group.n, group.mean,
                                                group.cov))
    assert np.isnan(other.composite_z).all()


def test_a_small_or_flat_group_does_not_standardize() -> None:
    z = simulated_group(MIN_COMPOSITE_N - 1, r=0.3, seed=1)
    small = composite_scores(z, SIX, WEIGHTS, basis="z", language_hurdle=None,
                             norm=build_composite_norm(z, SIX, basis="z"))
    assert not small.standardization.standardized
    assert small.standardization.reason == "small_group"
    assert small.fit[0] == pytest.approx(50 + 10 * z[0] @ [WEIGHTS[c] for c in SIX])
    assert f"at least {MIN_COMPOSITE_N}" in small.explain(0).summary
    flat = np.full((50, 2), 0.7)  # equal scores: np.cov gives 0 or noise around 1e-33
    columns = ("analysis", "commercial_knowledge")
    weights = {"analysis": 0.5, "commercial_knowledge": 0.5}
    result = composite_scores(flat, columns, weights, basis="z", language_hurdle=None,
                              norm=build_composite_norm(flat, columns, basis="z"))
    assert result.standardization.reason == "no_spread"
    assert np.isfinite(result.fit).all() and result.fit[0] == pytest.approx(57.0)
    assert "no spread" in result.explain(0).summary


def test_a_norm_group_of_equal_non_integer_scores_has_no_spread() -> None:
    """Equal scores of 0.1 · 3: NumPy's SD is ~1e-16, not 0; that must not give T ≈ 10¹⁵."""
    scores = np.full((150, 1), 0.1 + 0.1 + 0.1)
    scores[::2] = 0.3
    assert 0 < float(np.std(scores[:, 0], ddof=1)) < 1e-15
    table = build_norm_table(scores, ["analysis"], questionnaire_key="analysis",
                             questionnaire_version=1, created="2026-01-01")
    normed = apply_norms([[0.3], [0.30000000000000004]], ["analysis"], table)
    assert np.isnan(normed.t).all() and not normed.normed[0]
    assert normed.status == ("none",)
    assert "all 150 scores in the norm group are equal" in normed.candidate(0)["analysis"][
        "norm_message"]


def test_the_composite_norm_survives_json() -> None:
    z = simulated_group(40, r=0.2, seed=2)
    group = build_composite_norm(z, SIX, basis="z")
    again = CompositeNorm.from_dict(group.to_dict())
    assert again.moments(WEIGHTS) == group.moments(WEIGHTS)
