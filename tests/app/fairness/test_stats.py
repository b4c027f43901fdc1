"""P-values for impact reports and the ICC interval, against SciPy, statsmodels, pingouin and
values worked by hand."""

from __future__ import annotations

import doctest
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from app.fairness import stats as fairness_stats
from app.fairness.stats import (
    fisher_exact_p,
    icc_interval,
    icc_p_value,
    impact_tests,
    two_proportion_z,
)
from scoring import ScoringInputError, icc_oneway, selection_rates


def _people(**cells: tuple[int, int]) -> tuple[list[bool], list[str]]:
    selected: list[bool] = []
    groups: list[str] = []
    for name, (chosen, n) in cells.items():
        selected += [True] * chosen + [False] * (n - chosen)
        groups += [name] * n
    return selected, groups


def test_doctests() -> None:
    assert doctest.testmod(fairness_stats).failed == 0


def test_fisher_exact_matches_the_tea_tasting_table() -> None:
    # Fisher (1935): 3 of 4 cups right each way; P = (16 + 1) / 70 × 2 = 17/35 two-sided.
    assert fisher_exact_p(3, 4, 1, 4) == pytest.approx(17 / 35, abs=1e-12)
    assert fisher_exact_p(np.int64(3), np.int64(4), 1, 4) == fisher_exact_p(3, 4, 1, 4)


def test_z_test_by_hand() -> None:
    # 12 of 25 (48 %) against 30 of 50 (60 %): pooled 42/75 = 0.56,
    # SE = √(0.56 × 0.44 × (1/25 + 1/50)) = √0.014784, z = −0.12 / SE.
    z, p = two_proportion_z(12, 25, 30, 50)
    expected_z = -0.12 / math.sqrt(0.56 * 0.44 * (1 / 25 + 1 / 50))
    assert z == pytest.approx(expected_z, abs=1e-12)
    assert p == pytest.approx(2 * stats.norm.sf(abs(expected_z)), abs=1e-12)


def test_every_group_is_tested_against_the_reference_group() -> None:
    selected, groups = _people(men=(30, 50), women=(12, 25), other=(9, 12))
    report = selection_rates(selected, groups)
    assert report.reference == "other"  # 75 %
    tests = {t.group: t for t in impact_tests(report)}
    assert set(tests) == {"men", "women"}
    for group, (chosen, n) in {"men": (30, 50), "women": (12, 25)}.items():
        fisher = stats.fisher_exact([[chosen, n - chosen], [9, 3]]).pvalue
        z, p = proportions_ztest([chosen, 9], [n, 12])
        assert tests[group].reference == "other"
        assert tests[group].fisher_p == pytest.approx(fisher, abs=1e-12)
        assert (tests[group].z, tests[group].z_p) == pytest.approx((z, p), abs=1e-12)
        assert tests[group].z < 0
    assert tests["women"].to_dict()["reference"] == "other"


def test_no_reference_group_means_no_tests() -> None:
    selected, groups = _people(a=(0, 10), b=(0, 12))
    assert impact_tests(selection_rates(selected, groups)) == ()


def test_z_test_is_undefined_when_nobody_or_everybody_was_selected() -> None:
    assert two_proportion_z(0, 10, 0, 12) == (None, None)
    assert two_proportion_z(10, 10, 12, 12) == (None, None)
    assert fisher_exact_p(0, 10, 0, 12) == 1.0


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ((5, 4, 1, 4), "group_selected: is 5, more than the 4 people"),
        ((1, 0, 1, 4), "group_n: must be ≥ 1"),
        ((1, 4, -1, 4), "ref_selected: must be a whole number ≥ 0"),
        ((1, 4, 1, 4.5), "ref_n: must be a whole number ≥ 0"),
    ],
)
def test_bad_counts_are_value_errors_naming_the_argument(
    counts: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(ScoringInputError, match=message):
        fisher_exact_p(*counts)
    with pytest.raises(ScoringInputError, match=message):
        two_proportion_z(*counts)


def _pingouin_icc(ratings: np.ndarray) -> dict[str, dict[str, Any]]:
    rows = [
        {"target": i, "rater": j, "rating": ratings[i, j]}
        for i in range(ratings.shape[0])
        for j in range(ratings.shape[1])
    ]
    with warnings.catch_warnings():
        # pingouin 0.7 still calls DataFrame.dropna(inplace=True), which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        table = pg.intraclass_corr(
            data=pd.DataFrame(rows), targets="target", raters="rater", ratings="rating"
        )
    return {row["Type"]: row for row in table.to_dict("records")}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_icc_interval_and_p_value_match_pingouin(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(pg.options, "round.column.CI95", None)  # pingouin rounds to 2 places
    rng = np.random.default_rng(seed)
    ratings = np.round(rng.normal(3, 0.7, size=(20, 1)) + rng.normal(0, 0.6, size=(20, 3)))
    result = icc_oneway(ratings)
    theirs = _pingouin_icc(ratings)
    interval = icc_interval(result)
    np.testing.assert_allclose(interval.icc1, theirs["ICC(1,1)"]["CI95"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(interval.icc1k, theirs["ICC(1,k)"]["CI95"], rtol=0, atol=1e-10)
    assert icc_p_value(result) == pytest.approx(theirs["ICC(1,1)"]["pval"], abs=1e-10)


def test_icc_interval_widens_with_confidence_and_checks_it() -> None:
    result = icc_oneway([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9]])
    narrow, wide = icc_interval(result, confidence=0.80), icc_interval(result, confidence=0.99)
    assert wide.icc1[0] < narrow.icc1[0] < narrow.icc1[1] < wide.icc1[1]
    with pytest.raises(ScoringInputError, match="confidence: must lie strictly between 0 and 1"):
        icc_interval(result, confidence=95)
    perfect = icc_oneway([[1, 1], [2, 2], [4, 4]])
    assert icc_p_value(perfect) == 0.0
    assert icc_interval(perfect).icc1 == (1.0, 1.0)
