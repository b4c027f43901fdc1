"""Adverse impact and Mantel–Haenszel DIF, checked by hand, against statsmodels and SciPy, and
on simulated Rasch data with one planted biased item."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from scoring import (
    ItemDif,
    ScoringInputError,
    chi_square_1df_p_value,
    ets_category,
    intersectional_groups,
    mantel_haenszel_dif,
    scoring_rates,
    selection_rates,
)


def _people(**cells: tuple[int, int]) -> tuple[list[bool], list[str | None]]:
    """(selected, groups) for groups given as name=(selected, n); name "unknown" → None."""
    selected: list[bool] = []
    groups: list[str | None] = []
    for name, (chosen, n) in cells.items():
        selected += [True] * chosen + [False] * (n - chosen)
        groups += [None if name == "unknown" else name] * n
    return selected, groups


# ----------------------------------------------------------------------------- adverse impact


def test_rates_ratios_and_flags_by_hand() -> None:
    selected, groups = _people(
        men=(30, 50), women=(12, 25), nonbinary=(2, 4), unknown=(5, 9)
    )
    report = selection_rates(selected, groups, min_cell=5)
    assert report.reference == "men"
    men, women = report.group("men"), report.group("women")
    assert (men.rate, men.impact_ratio, men.four_fifths_flag, men.is_reference) == (
        0.6,
        1.0,
        False,
        True,
    )
    # 12/25 = 0.48 against 0.6: exactly four fifths, which is not below four fifths.
    assert (women.rate, women.impact_ratio, women.four_fifths_flag) == (0.48, 0.8, False)
    # Four people are counted but not shown, and the 9 unknown are counted, never compared.
    with pytest.raises(KeyError):
        report.group("nonbinary")
    assert (report.suppressed_groups, report.suppressed_n) == (1, 4)
    assert (report.unknown_n, report.unknown_selected) == (9, 5)
    assert (report.total_n, report.total_selected) == (88, 49)
    json.dumps(report.to_dict())


def test_one_fewer_selection_is_flagged() -> None:
    selected, groups = _people(men=(30, 50), women=(11, 25))
    women = selection_rates(selected, groups).group("women")
    assert women.impact_ratio == pytest.approx(0.44 / 0.6)
    assert women.four_fifths_flag is True


def test_a_small_group_with_the_highest_rate_is_not_the_reference() -> None:
    selected, groups = _people(a=(3, 3), b=(10, 20), c=(5, 20), unknown=(8, 8))
    report = selection_rates(selected, groups, min_cell=5)
    assert report.reference == "b"
    assert report.group("c").impact_ratio == 0.5
    assert [g.group for g in report.groups] == ["b", "c"]


def test_ties_for_the_highest_rate_go_to_the_larger_group() -> None:
    selected, groups = _people(a=(5, 10), b=(10, 20))
    assert selection_rates(selected, groups).reference == "b"


def test_nobody_selected_leaves_ratios_undefined() -> None:
    selected, groups = _people(a=(0, 10), b=(0, 12))
    report = selection_rates(selected, groups)
    assert report.reference is None
    assert all(g.impact_ratio is None and g.four_fifths_flag is None for g in report.groups)


def test_scoring_rate_is_the_share_above_the_pools_median() -> None:
    # Median of all ten scores (the unknown person's included) = (5 + 6) / 2 = 5.5.
    scores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    groups: list[str | None] = ["a", "a", "a", "b", "a", "b", "b", "b", "a", None]
    report = scoring_rates(scores, groups, min_cell=1)
    assert report.median == 5.5
    assert report.rates.group("a").rate == 1 / 5  # only the 9
    assert report.rates.group("b").rate == 3 / 4  # 6, 7, 8
    assert report.rates.reference == "b"
    assert report.rates.group("a").impact_ratio == pytest.approx((1 / 5) / (3 / 4))
    assert (report.rates.unknown_n, report.rates.unknown_selected) == (1, 1)
    # A score equal to the median is not above it.
    assert scoring_rates([1, 2, 2, 3], ["x"] * 4, min_cell=1).rates.group("x").rate == 0.25
    json.dumps(report.to_dict())


def test_intersectional_groups_feed_selection_rates() -> None:
    gender = ["f", "f", "m", "m", None, "f"]
    age = ["40+", "<40", "<40", "<40", "40+", None]
    labels = intersectional_groups({"gender": gender, "age": age})
    assert labels == ["f × 40+", "f × <40", "m × <40", "m × <40", None, None]
    report = selection_rates([1, 0, 1, 0, 1, 1], labels, min_cell=1)
    assert [g.group for g in report.groups] == ["f × 40+", "f × <40", "m × <40"]
    assert report.unknown_n == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: selection_rates([1, 2], ["a", "b"]), "selected: must hold only True/False"),
        (lambda: selection_rates([True], ["a", "b"]), "groups: has 2 entries but there are 1"),
        (lambda: selection_rates([[True]], ["a"]), "selected: must be 1-dimensional"),
        (lambda: selection_rates([True], ["a"], min_cell=0), "min_cell: must be ≥ 1"),
        (lambda: selection_rates([True], ["a"], min_cell=2.5), "min_cell: must be a whole"),
        (lambda: scoring_rates([1.0, np.nan], ["a", "b"]), "scores: contains NaN"),
        (lambda: scoring_rates([], []), "scores: needs at least one score"),
        (lambda: intersectional_groups({}), "attributes: needs at least one attribute"),
        (
            lambda: intersectional_groups({"gender": ["f"], "age": ["40+", "<40"]}),
            r"attributes: must all have one entry per person \(gender: 1, age: 2\)",
        ),
    ],
)
def test_bad_impact_input_is_a_value_error_naming_the_argument(call: Any, message: str) -> None:
    with pytest.raises(ScoringInputError, match=message):
        call()


# ----------------------------------------------------------------------- Mantel–Haenszel DIF


def _rasch_responses(
    seed: int,
    *,
    n_per_group: int = 1000,
    n_items: int = 20,
    dif_item: int = 7,
    dif_logits: float = 1.0,
    focal_mean: float = 0.0,
) -> tuple[np.ndarray, list[str]]:
    """Rasch data; item ``dif_item`` is ``dif_logits`` harder for the focal group only."""
    rng = np.random.default_rng(seed)
    difficulty = np.linspace(-1.5, 1.5, n_items)
    theta = np.concatenate(
        [rng.normal(0.0, 1.0, n_per_group), rng.normal(focal_mean, 1.0, n_per_group)]
    )
    b = np.tile(difficulty, (2 * n_per_group, 1))
    b[n_per_group:, dif_item] += dif_logits
    p_right = 1.0 / (1.0 + np.exp(-(theta[:, None] - b)))
    responses = (rng.random(p_right.shape) < p_right).astype(int)
    return responses, ["reference"] * n_per_group + ["focal"] * n_per_group


def _statsmodels_tables(
    responses: np.ndarray, groups: list[str], item: int, matching: np.ndarray | None = None
) -> StratifiedTable:
    """The item's 2 × 2 × K tables over the informative total-score strata, for statsmodels."""
    score = responses.sum(axis=1) if matching is None else matching
    group = np.array(groups)
    tables = []
    for level in np.unique(score):
        ref = (score == level) & (group == "reference")
        foc = (score == level) & (group == "focal")
        if ref.sum() == 0 or foc.sum() == 0:
            continue
        right_ref, right_foc = responses[ref, item].sum(), responses[foc, item].sum()
        tables.append([[right_ref, ref.sum() - right_ref], [right_foc, foc.sum() - right_foc]])
    return StratifiedTable(np.array(tables, dtype=float).transpose(1, 2, 0))


def _assert_matches_statsmodels(ours: ItemDif, table: StratifiedTable) -> None:
    assert ours.alpha_mh == pytest.approx(table.oddsratio_pooled, rel=1e-10, abs=1e-10)
    assert ours.d_dif == pytest.approx(-2.35 * np.log(table.oddsratio_pooled), abs=1e-10)
    assert ours.se_d_dif == pytest.approx(2.35 * table.logodds_pooled_se, abs=1e-10)
    # statsmodels squares |Σ A − Σ E(A)| − ½ even when it is negative; the correction is
    # floored at 0 here (see scoring.fairness), so compare only where the two agree.
    a, b, c = table.table[0, 0], table.table[0, 1], table.table[1, 0]
    n = table.table.sum(axis=(0, 1))
    if abs((a - (a + b) * (a + c) / n).sum()) < 0.5:
        assert (ours.chi_square, ours.p_value) == (0.0, 1.0)
        return
    test = table.test_null_odds(correction=True)
    assert ours.chi_square == pytest.approx(test.statistic, abs=1e-10)
    assert ours.p_value == pytest.approx(test.pvalue, abs=1e-10)
    assert ours.p_value == pytest.approx(stats.chi2.sf(test.statistic, 1), rel=1e-10)


def test_worked_example_by_hand_and_against_statsmodels() -> None:
    # Stratum 1: reference 8 right / 2 wrong, focal 5 / 5; stratum 2: 9 / 1 and 7 / 3.
    #   α_MH = (8·5/20 + 9·3/20) / (2·5/20 + 1·7/20) = 67/17
    #   Σ A = 17, Σ E(A) = 10·13/20 + 10·16/20 = 14.5
    #   Σ Var(A) = 10·10·13·7/(400·19) + 10·10·16·4/(400·19) = (9100 + 6400)/7600 = 155/76
    #   χ² = (|17 − 14.5| − 0.5)² / (155/76) = 4 · 76/155 = 1.96129...
    item = [1] * 8 + [0] * 2 + [1] * 5 + [0] * 5 + [1] * 9 + [0] * 1 + [1] * 7 + [0] * 3
    groups = (["reference"] * 10 + ["focal"] * 10) * 2
    stratum = np.array([0] * 20 + [1] * 20)
    (dif,) = mantel_haenszel_dif(
        [[x] for x in item], groups, reference="reference", focal="focal", matching=stratum
    )
    assert dif.alpha_mh == pytest.approx(67 / 17, abs=1e-12)
    assert dif.d_dif == pytest.approx(-2.35 * np.log(67 / 17), abs=1e-12)
    assert dif.chi_square == pytest.approx(4 * 76 / 155, abs=1e-12)
    assert (dif.n_reference, dif.n_focal, dif.strata) == (20, 20, 2)
    # Large D (−3.2) but p = .16 with 20 people a group: not significant, so category A.
    assert dif.category == "A" and dif.label == "A" and dif.favours == "reference"
    responses = np.array(item)[:, None]
    _assert_matches_statsmodels(dif, _statsmodels_tables(responses, groups, 0, stratum))


def test_every_item_matches_statsmodels_on_fixed_simulated_data() -> None:
    responses, groups = _rasch_responses(5, n_per_group=300, n_items=12, focal_mean=-0.4)
    results = mantel_haenszel_dif(responses, groups, reference="reference", focal="focal")
    assert len(results) == 12
    for j, dif in enumerate(results):
        _assert_matches_statsmodels(dif, _statsmodels_tables(responses, groups, j))


def test_strata_without_information_change_nothing() -> None:
    # Add people who sit alone in a stratum, strata with one group only, and people in a
    # third group: the statistics are those of the informative strata alone.
    responses, groups = _rasch_responses(9, n_per_group=200, n_items=8)
    base = mantel_haenszel_dif(responses, groups, reference="reference", focal="focal")
    matching = responses.sum(axis=1).astype(float)
    extra = [[1, 0, 1, 0, 1, 0, 1, 0], [0, 1, 1, 1, 0, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1]]
    padded = np.vstack([responses, extra])
    padded_groups = [*groups, "reference", "focal", "other"]
    padded_matching = np.concatenate([matching, [100.0, 101.0, 4.0]])
    again = mantel_haenszel_dif(
        padded, padded_groups, reference="reference", focal="focal", matching=padded_matching
    )
    for a, b in zip(base, again, strict=True):
        counts = ("n_reference", "n_focal")
        assert {k: v for k, v in a.to_dict().items() if k not in counts} == {
            k: v for k, v in b.to_dict().items() if k not in counts
        }
        assert (b.n_reference, b.n_focal) == (201, 201)  # counted, the "other" person not


@pytest.mark.parametrize("focal_mean", [0.0, -0.5])
def test_planted_dif_item_is_found_and_clean_items_mostly_are_not(focal_mean: float) -> None:
    # 1,000 simulees per group, 20 Rasch items; item 7 is 1 logit harder for the focal group
    # (an MH D-DIF of about −2.35). focal_mean −0.5: the focal group is also less able
    # overall, which matching on the total score must not mistake for item bias.
    responses, groups = _rasch_responses(2017, focal_mean=focal_mean)
    results = mantel_haenszel_dif(
        responses,
        groups,
        reference="reference",
        focal="focal",
        item_ids=[f"item{j:02d}" for j in range(20)],
    )
    planted = results[7]
    assert planted.item == "item07"
    assert planted.category == "C" and planted.label == "C−"
    assert planted.favours == "reference"
    assert -3.0 < planted.d_dif < -1.6
    flagged_clean = [r.item for r in results if r.item != "item07" and r.category in ("B", "C")]
    assert len(flagged_clean) <= 2, flagged_clean
    for j, dif in enumerate(results):
        _assert_matches_statsmodels(dif, _statsmodels_tables(responses, groups, j))
    json.dumps([r.to_dict() for r in results])


def test_continuity_correction_is_floored_at_zero() -> None:
    # Both groups 2 right out of 4: Σ A − Σ E(A) = 0, so the corrected statistic is 0 and
    # p = 1 (statsmodels' test_null_odds would square 0 − ½ and report 0.25 / Var).
    responses = np.array([[1], [1], [0], [0], [1], [1], [0], [0]])
    groups = ["reference"] * 4 + ["focal"] * 4
    (dif,) = mantel_haenszel_dif(
        responses, groups, reference="reference", focal="focal", matching=np.zeros(8)
    )
    assert (dif.alpha_mh, dif.d_dif, dif.chi_square, dif.p_value) == (1.0, 0.0, 0.0, 1.0)
    assert dif.category == "A" and dif.favours is None


def test_an_item_everyone_gets_right_has_no_odds_ratio() -> None:
    responses = np.column_stack([np.ones(40, dtype=int), np.tile([0, 1], 20)])
    groups = ["reference"] * 20 + ["focal"] * 20
    first, _ = mantel_haenszel_dif(responses, groups, reference="reference", focal="focal")
    assert first.alpha_mh is None and first.d_dif is None and first.chi_square is None
    assert first.category is None and first.label is None
    assert first.to_dict()["category"] is None


def test_p_value_of_chi_square_matches_scipy_far_into_the_tail() -> None:
    x = np.array([0.0, 1e-6, 0.5, 3.841458820694124, 10.0, 50.0, 200.0, 600.0])
    np.testing.assert_allclose(chi_square_1df_p_value(x), stats.chi2.sf(x, 1), rtol=1e-12)
    assert chi_square_1df_p_value(3.841458820694124) == pytest.approx(0.05, abs=1e-15)


@pytest.mark.parametrize(
    ("d", "se", "p", "expected"),
    [
        (-0.99, 0.1, 1e-6, "A"),  # small
        (-1.0, 0.1, 1e-6, "B"),  # |D| = 1 is no longer small
        (1.2, 0.1, 0.049, "B"),
        (-1.49, 0.1, 1e-6, "B"),  # below 1.5
        (-1.5, 0.30, 1e-6, "C"),  # (1.5 − 1)/0.30 = 1.67 > 1.645
        (-1.5, 0.31, 1e-6, "B"),  # (1.5 − 1)/0.31 = 1.61: not significantly above 1
        (-2.5, 0.3, 0.05, "A"),  # not significant at 5 %
        (None, None, None, None),
    ],
)
def test_ets_rules_at_their_boundaries(
    d: float | None, se: float | None, p: float | None, expected: str | None
) -> None:
    assert ets_category(d, se, p) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"responses": [[0, 2], [1, 0]]}, "responses: must hold item scores 0 or 1 only"),
        ({"responses": [[0, np.nan], [1, 0]]}, "responses: contains NaN"),
        ({"responses": [0, 1]}, "responses: must be 2-dimensional"),
        ({"focal": "R"}, "focal: must differ from reference"),
        ({"focal": "X"}, "focal: nobody is in group 'X'"),
        ({"matching": [1, 2, 3]}, "matching: has 3 entries but there are 2 people"),
        ({"item_ids": ["a"]}, "item_ids: has 1 names for 2 items"),
        ({"groups": ["R"]}, "groups: has 1 entries but there are 2 people"),
    ],
)
def test_bad_dif_input_is_a_value_error_naming_the_argument(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "responses": [[0, 1], [1, 0]],
        "groups": ["R", "F"],
        "reference": "R",
        "focal": "F",
    }
    arguments.update(kwargs)
    with pytest.raises(ScoringInputError, match=message):
        mantel_haenszel_dif(**arguments)
