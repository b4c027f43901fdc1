"""Norms: mid-rank percentile, T, sten, status, norm tables and their JSON (SPEC §3.3)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    SCORING_VERSION,
    NormTable,
    ScoringInputError,
    apply_norms,
    build_norm_table,
    norm_status,
    norm_status_message,
    percentile_rank,
    score_items,
    score_scales,
    sten,
    t_score,
    z_scores,
)

NAN = math.nan


def test_mid_rank_percentile_by_hand() -> None:
    dist = [10, 20, 20, 30]  # n = 4
    # x = 10: (0 below + 0.5 × 1 equal) / 4 = 12.5 %
    # x = 20: (1 + 0.5 × 2) / 4 = 50 %
    # x = 25: (3 + 0) / 4 = 75 %;  x = 40: 4/4 = 100 %;  x = 5: 0 %
    pr = percentile_rank([10, 20, 25, 40, 5, NAN], dist)
    np.testing.assert_array_equal(pr[:5], [12.5, 50, 75, 100, 0])
    assert np.isnan(pr[5])


def test_equal_within_float_noise_counts_as_equal() -> None:
    # 0.1 + 0.2 = 0.30000000000000004 must tie with 0.3
    assert percentile_rank([0.1 + 0.2], [0.3, 0.3])[0] == 50


def test_t_scores_and_z() -> None:
    # z = (65 − 50) / 10 = 1.5 → T = 50 + 10 × 1.5 = 65
    np.testing.assert_array_equal(z_scores([40, 50, 65], 50, 10), [-1, 0, 1.5])
    np.testing.assert_array_equal(t_score([-1, 0, 1.5]), [40, 50, 65])
    assert np.isnan(z_scores([40], 50, 0)).all()  # no spread, no z


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (-2.5, 1),  # 5.5 − 5 = 0.5 → 1 (clipped)
        (-2.01, 1),  # 1.48 → 1
        (-2.0, 2),  # 1.5 → half up → 2
        (-0.5, 5),  # 4.5 → 5
        (-0.25, 5),  # 5.0 → 5
        (0.0, 6),  # 5.5 → 6 (half up; NumPy's half-to-even would give 6 too, but 4.5 → 4)
        (0.24, 6),  # 5.98 → 6
        (0.25, 6),  # 6.0 → 6
        (1.5, 9),  # 8.5 → 9
        (2.0, 10),  # 9.5 → 10
        (3.0, 10),  # 11.5 → clipped to 10
    ],
)
def test_sten_rounds_half_up(z: float, expected: int) -> None:
    assert sten([z])[0] == expected


def test_sten_of_nan_is_nan() -> None:
    assert np.isnan(sten([NAN])[0])


@pytest.mark.parametrize(
    ("n", "status"),
    [
        (0, "none"),
        (37, "none"),
        (99, "none"),
        (100, "provisional"),
        (299, "provisional"),
        (300, "operational"),
        (5000, "operational"),
    ],
)
def test_norm_status(n: int, status: str) -> None:
    assert norm_status(n) == status


def test_norm_status_message() -> None:
    assert norm_status_message(37) == "norms not yet established (n = 37 of 100)"
    assert norm_status_message(150) == "provisional norms (n = 150)"
    assert norm_status(60, min_n=50) == "provisional"
    with pytest.raises(ScoringInputError, match=r"^n: "):
        norm_status(-1)


@settings(deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=60),
    st.lists(st.floats(-10, 50, allow_nan=False), min_size=2, max_size=20),
)
def test_percentiles_are_in_range_and_monotone(dist: list[int], xs: list[float]) -> None:
    xs = sorted(xs)
    pr = percentile_rank(xs, dist)
    assert ((pr >= 0) & (pr <= 100)).all()
    assert (np.diff(pr) >= 0).all()


def _table(min_n: int = 4) -> NormTable:
    return build_norm_table(
        [[10.0], [20.0], [20.0], [30.0], [NAN]],
        ["analysis"],
        questionnaire_key="analysis",
        questionnaire_version=1,
        created="2025-01-31",
        alphas={"analysis": 0.84},
        min_n=min_n,
    )


def test_build_norm_table_by_hand() -> None:
    norm = _table()["analysis"]
    # the NaN row (incomplete scale) is left out: n = 4, mean = 80 / 4 = 20
    # sd = √((100 + 0 + 0 + 100) / 3) = √66.67 = 8.1650; SEM = 8.165 × √(1 − 0.84) = 3.266
    assert norm.n == 4 and norm.mean == 20
    assert norm.sd == pytest.approx(math.sqrt(200 / 3))
    assert norm.sem == pytest.approx(math.sqrt(200 / 3) * 0.4)
    assert norm.sem_t == pytest.approx(4.0)  # 10 × √0.16
    assert norm.alpha_low is False


def test_apply_norms_by_hand() -> None:
    normed = apply_norms([[30.0], [NAN]], ["analysis"], _table())
    # z = (30 − 20) / 8.165 = 1.2247; T = 62.247; PR = (3 + 0.5) / 4 = 87.5 %
    z = 10 / math.sqrt(200 / 3)
    assert normed.z[0, 0] == pytest.approx(z)
    assert normed.t[0, 0] == pytest.approx(50 + 10 * z)
    assert normed.percentile[0, 0] == 87.5
    assert normed.sten[0, 0] == 8  # 5.5 + 2 × 1.2247 = 7.95 → 8
    # 90 % band: T ± 1.645 × 4 = ± 6.58
    assert normed.ci90_low[0, 0] == pytest.approx(50 + 10 * z - 6.58)
    assert normed.ci90_high[0, 0] == pytest.approx(50 + 10 * z + 6.58)
    assert np.isnan(normed.t[1, 0])
    entry = normed.candidate(0)["analysis"]
    assert entry["norm_status"] == "provisional" and entry["sten"] == 8
    assert entry["ci90"] == pytest.approx([50 + 10 * z - 6.58, 50 + 10 * z + 6.58])


def test_no_percentiles_below_min_n() -> None:
    normed = apply_norms([[30.0]], ["analysis"], _table(min_n=100))
    assert normed.status == ("none",)
    assert np.isnan(normed.percentile).all() and np.isnan(normed.t).all()
    assert normed.candidate(0)["analysis"]["norm_message"] == (
        "norms not yet established (n = 4 of 100)"
    )


def test_norm_table_json_round_trip(small_keys) -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack(
        [rng.integers(0, 4, 200) for _ in range(5)]
        + [np.where(rng.random(200) < 0.5, 10.0 * (i + 1), 0.0) for i in range(5)]
        + [rng.integers(1, 6, 200) for _ in range(4)]
        + [rng.integers(0, 4, 200)]
        + [rng.integers(0, 4, 200) for _ in range(13)]
    ).astype(float)
    X[rng.random(X.shape) < 0.05] = NAN
    items = score_items(small_keys, X)
    scales = score_scales(small_keys, items)
    table = build_norm_table(
        scales,
        questionnaire_key="kam-battery",
        questionnaire_version=3,
        created="2025-02-01T10:00:00+01:00",
        item_scores=items,
        keys=small_keys,
    )
    text = table.to_json()
    again = NormTable.from_json(text)
    assert again.to_json() == text
    data = json.loads(text)
    assert data["questionnaire_key"] == "kam-battery"
    assert data["questionnaire_version"] == 3
    assert data["scoring_version"] == SCORING_VERSION
    assert data["created"] == "2025-02-01T10:00:00+01:00"
    assert data["scales"]["business_sense"]["status"] == "provisional"
    assert data["scales"]["business_sense"]["sjt"] is True
    assert data["scales"]["analysis"]["sjt"] is False
    assert data["scales"]["analysis"]["alpha"] is not None
    a, b = apply_norms(scales, norms=table), apply_norms(scales, norms=again)
    np.testing.assert_array_equal(a.t, b.t)
    np.testing.assert_array_equal(a.percentile, b.percentile)


@pytest.mark.parametrize(
    ("mutate", "argument"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d["scales"]["analysis"].update(n=5), "scales['analysis'].n"),
        (lambda d: d["scales"]["analysis"].update(mean=21.0), "scales['analysis'].mean"),
        (lambda d: d["scales"]["analysis"]["scores"].append("x"), "scales['analysis'].scores[4]"),
        (lambda d: d["scales"]["analysis"].update(alpha=1.5), "scales['analysis'].alpha"),
        (lambda d: d.update(created="yesterday"), "created"),
        (lambda d: d.update(scales={}), "scales"),
    ],
)
def test_from_json_validates(mutate, argument: str) -> None:
    data = json.loads(_table().to_json())
    mutate(data)
    with pytest.raises(ScoringInputError) as info:
        NormTable.from_dict(data)
    assert str(info.value).startswith(argument + ":")


def test_from_json_rejects_garbage() -> None:
    with pytest.raises(ValueError, match=r"^norm_table: is not valid JSON"):
        NormTable.from_json("{not json")


def test_build_norm_table_argument_checks() -> None:
    common = {"questionnaire_key": "k", "questionnaire_version": 1, "created": "2025-01-01"}
    with pytest.raises(ScoringInputError, match=r"^scales: has 2 names"):
        build_norm_table([[1.0]], ["analysis", "languages"], **common)
    with pytest.raises(ScoringInputError, match=r"^scales: names"):
        build_norm_table([[1.0]], **common)
    with pytest.raises(ScoringInputError, match=r"^scores: must be 2-dimensional"):
        build_norm_table([1.0, 2.0], ["analysis"], **common)
    with pytest.raises(ScoringInputError, match=r"^item_scores: item_scores and keys"):
        build_norm_table([[1.0]], ["analysis"], item_scores=[[1.0]], **common)
