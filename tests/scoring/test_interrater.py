"""ICC(1) and ICC(1,k) of interview ratings, checked against pingouin and published values."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from scoring import (
    IccResult,
    ScoringInputError,
    icc_confidence_interval,
    icc_oneway,
    spearman_brown,
)

# Shrout & Fleiss (1979), Table 2: 6 targets × 4 judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def _pingouin_icc(matrix: Any, *, nan_policy: str = "raise") -> dict[str, dict[str, Any]]:
    """pingouin.intraclass_corr on a targets × raters matrix (NaN cells left out), by type."""
    data = np.asarray(matrix, dtype=float)
    rows = [
        {"target": i, "rater": j, "rating": data[i, j]}
        for i in range(data.shape[0])
        for j in range(data.shape[1])
        if not np.isnan(data[i, j])
    ]
    with warnings.catch_warnings():
        # pingouin 0.7 still calls DataFrame.dropna(inplace=True), which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        table = pg.intraclass_corr(
            data=pd.DataFrame(rows),
            targets="target",
            raters="rater",
            ratings="rating",
            nan_policy=nan_policy,
        )
    return {row["Type"]: row for row in table.to_dict("records")}


def _assert_matches_pingouin(ours: IccResult, theirs: dict[str, dict[str, Any]]) -> None:
    one, average = theirs["ICC(1,1)"], theirs["ICC(1,k)"]
    assert ours.icc1 == pytest.approx(one["ICC"], abs=1e-10)
    assert ours.icc1k == pytest.approx(average["ICC"], abs=1e-10)
    assert ours.f == pytest.approx(one["F"], abs=1e-10)
    assert (ours.df1, ours.df2) == (one["df1"], one["df2"])


def test_shrout_fleiss_published_values() -> None:
    # Shrout & Fleiss (1979) Table 3: BMS = 11.24, WMS = 6.26; Table 4: ICC(1,1) = .17,
    # ICC(1,4) = .44.
    result = icc_oneway(SHROUT_FLEISS)
    assert round(result.ms_between, 2) == 11.24
    assert round(result.ms_within, 2) == 6.26
    assert round(result.icc1, 2) == 0.17
    assert round(result.icc1k, 2) == 0.44
    assert (result.n_targets, result.n_ratings, result.k, result.balanced) == (6, 24, 4.0, True)


def test_shrout_fleiss_data_matches_pingouin() -> None:
    _assert_matches_pingouin(icc_oneway(SHROUT_FLEISS), _pingouin_icc(SHROUT_FLEISS))


def test_pingouin_wine_dataset_matches() -> None:
    # pingouin's own example: 8 wines × 4 judges; its docstring prints ICC(1,1) 0.728,
    # ICC(1,k) 0.914, F 11.680 on 7 and 24 df.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        wine = pg.read_dataset("icc")
    matrix = wine.pivot_table(index="Wine", columns="Judge", values="Scores").to_numpy()
    ours = icc_oneway(matrix)
    _assert_matches_pingouin(ours, _pingouin_icc(matrix))
    assert (round(ours.icc1, 3), round(ours.icc1k, 3), round(ours.f, 3)) == (0.728, 0.914, 11.68)


def test_random_ratings_match_pingouin() -> None:
    rng = np.random.default_rng(16)
    true_level = rng.normal(3.0, 0.8, size=(40, 1))
    ratings = np.clip(np.round(true_level + rng.normal(0.0, 0.7, size=(40, 3))), 1, 5)
    _assert_matches_pingouin(icc_oneway(ratings), _pingouin_icc(ratings))


def test_complete_case_policy_is_pingouins_listwise_deletion() -> None:
    rng = np.random.default_rng(17)
    ratings = np.round(rng.normal(3.0, 1.0, size=(25, 4)) + rng.normal(0, 1, size=(25, 1)), 1)
    ratings[[2, 7, 11], [0, 3, 1]] = np.nan
    ratings[20, :] = np.nan  # a candidate nobody rated
    ours = icc_oneway(ratings, missing="complete")
    _assert_matches_pingouin(ours, _pingouin_icc(ratings, nan_policy="omit"))
    assert (ours.n_targets, ours.n_targets_dropped, ours.balanced) == (21, 4, True)


def test_unbalanced_anova_matches_pingouins_one_way_anova_and_the_k0_by_hand() -> None:
    # Four candidates seen by 3, 2, 4 and 2 interviewers.
    panels = [[1, 2, 3], [2, 4], [5, 6, 5, 7], [1, 2]]
    matrix = np.full((4, 4), np.nan)
    for i, panel in enumerate(panels):
        matrix[i, : len(panel)] = panel
    ours = icc_oneway(matrix)

    long = pd.DataFrame(
        [{"target": i, "rating": float(x)} for i, panel in enumerate(panels) for x in panel]
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        anova = pg.anova(data=long, dv="rating", between="target", detailed=True)
    between, within = anova.iloc[0], anova.iloc[1]
    assert ours.ms_between == pytest.approx(between["MS"], abs=1e-10)
    assert ours.ms_within == pytest.approx(within["MS"], abs=1e-10)
    assert ours.f == pytest.approx(between["F"], abs=1e-10)
    assert (ours.df1, ours.df2) == (between["DF"], within["DF"]) == (3, 7)
    assert ours.f == pytest.approx(stats.f_oneway(*panels).statistic, abs=1e-10)

    # k0 = (N − Σ k_i² / N) / (n − 1) = (11 − 33/11) / 3 = 8/3
    assert ours.k == pytest.approx(8 / 3, abs=1e-12)
    msb, msw, k0 = ours.ms_between, ours.ms_within, 8 / 3
    assert ours.icc1 == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw), abs=1e-12)
    assert ours.icc1k == pytest.approx((msb - msw) / msb, abs=1e-12)
    assert ours.balanced is False
    # Complete cases only would keep the one candidate seen by all four: no ICC from that.
    with pytest.raises(ScoringInputError, match="ratings: needs at least 2 rated targets"):
        icc_oneway(matrix, missing="complete")


def test_unbalanced_estimator_recovers_a_known_icc() -> None:
    # Target variance 1, rating error variance 1: ICC(1) = 0.5. Panels of 1 to 4 raters.
    rng = np.random.default_rng(2024)
    n = 3000
    ratings = rng.normal(0, 1, size=(n, 1)) + rng.normal(0, 1, size=(n, 4))
    sizes = rng.integers(1, 5, size=n)
    ratings[np.arange(4)[None, :] >= sizes[:, None]] = np.nan
    result = icc_oneway(ratings)
    assert result.icc1 == pytest.approx(0.5, abs=0.03)
    assert 2.0 < result.k < 3.0
    assert result.icc1k == pytest.approx(spearman_brown(result.icc1, result.k), abs=1e-12)


def test_balanced_data_give_the_same_result_under_both_policies() -> None:
    a, b = icc_oneway(SHROUT_FLEISS), icc_oneway(SHROUT_FLEISS, missing="complete")
    assert a.icc1 == b.icc1 and a.icc1k == b.icc1k and a.f == b.f


def test_icc1k_is_spearman_brown_of_icc1() -> None:
    result = icc_oneway(SHROUT_FLEISS)
    assert spearman_brown(result.icc1, 4) == pytest.approx(result.icc1k, abs=1e-12)


def test_confidence_interval_with_scipy_quantiles_matches_pingouin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(pg.options, "round.column.CI95", None)  # pingouin rounds to 2 places
    rng = np.random.default_rng(18)
    ratings = rng.normal(0, 1, size=(30, 1)) + rng.normal(0, 0.8, size=(30, 3))
    result = icc_oneway(ratings)
    interval = icc_confidence_interval(
        result,
        f_crit=stats.f.ppf(0.975, result.df1, result.df2),
        f_crit_swapped=stats.f.ppf(0.975, result.df2, result.df1),
    )
    theirs = _pingouin_icc(ratings)
    np.testing.assert_allclose(interval.icc1, theirs["ICC(1,1)"]["CI95"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(interval.icc1k, theirs["ICC(1,k)"]["CI95"], rtol=0, atol=1e-10)
    assert interval.icc1[0] < result.icc1 < interval.icc1[1]


def test_perfect_agreement_gives_one_and_an_infinite_f() -> None:
    result = icc_oneway([[1, 1, 1], [3, 3, 3], [5, 5, 5]])
    assert (result.icc1, result.icc1k, result.f) == (1.0, 1.0, float("inf"))
    assert result.to_dict()["f"] is None
    interval = icc_confidence_interval(result, f_crit=5.0, f_crit_swapped=5.0)
    assert interval.icc1 == (1.0, 1.0)


def test_disagreement_larger_than_differences_gives_a_negative_icc() -> None:
    result = icc_oneway([[1, 5], [5, 1], [2, 4], [4, 2]])  # equal target means
    assert result.icc1 == pytest.approx(-1.0)  # −MSW / ((k − 1) MSW) with k = 2
    assert np.isnan(result.icc1k)
    assert result.to_dict()["icc1k"] is None


@pytest.mark.parametrize(
    ("ratings", "kwargs", "message"),
    [
        ([[1, 2, 3]], {}, "ratings: needs at least 2 rated targets"),
        ([[1, np.nan], [2, np.nan]], {}, "ratings: needs at least one target with 2"),
        ([[3, 3], [3, 3]], {}, "ratings: every rating is the same value"),
        ([1, 2, 3], {}, "ratings: must be 2-dimensional"),
        ([["a", "b"], ["c", "d"]], {}, "ratings: must be numeric"),
        ([[1, np.inf], [2, 3]], {}, "ratings: contains an infinite value"),
        (SHROUT_FLEISS, {"missing": "pairwise"}, "missing: must be one of"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(
    ratings: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        icc_oneway(ratings, **kwargs)


def test_interval_arguments_are_checked() -> None:
    result = icc_oneway(SHROUT_FLEISS)
    with pytest.raises(ValueError, match="f_crit: must be > 0"):
        icc_confidence_interval(result, f_crit=0.0, f_crit_swapped=2.0)
    with pytest.raises(ValueError, match="f_crit_swapped: must be a number"):
        icc_confidence_interval(result, f_crit=2.0, f_crit_swapped="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence: must lie strictly between 0 and 1"):
        icc_confidence_interval(result, f_crit=2.0, f_crit_swapped=2.0, confidence=1.0)
    with pytest.raises(ValueError, match="result: must be an IccResult"):
        icc_confidence_interval({}, f_crit=2.0, f_crit_swapped=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k: must be > 0"):
        spearman_brown(0.5, 0)


def test_results_are_json_able() -> None:
    result = icc_oneway(SHROUT_FLEISS)
    json.dumps(result.to_dict())
    json.dumps(icc_confidence_interval(result, f_crit=3.0, f_crit_swapped=6.0).to_dict())
