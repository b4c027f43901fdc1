"""The impact report: ratios and p-values against SciPy and statsmodels on fixed data, cell
suppression, intersections and the Local Law 144 rows (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.proportion import proportions_ztest

from app.fairness.service import Person, impact_report, ll144_rows, report_rows

#: (gender, age band, advanced?, fit score) for 60 people: women 8 of 24 advanced, men
#: 15 of 25, "another" 2 of 3 (below the minimum cell), 8 who did not say (3 advanced).
FIXED = (
    [("female", "under_40" if i % 2 else "40_plus", i < 8, 40.0 + i) for i in range(24)]
    + [("male", "under_40" if i % 3 else "40_plus", i < 15, 45.0 + i) for i in range(25)]
    + [("another", "under_40", i < 2, 50.0 + i) for i in range(3)]
    + [(None, None, i < 3, 48.0 + i) for i in range(8)]
)


def _people() -> list[Person]:
    return [
        Person(candidate_id=i, position_id=1, groups={"gender": g, "age_band": a},
               fit_score=score,
               steps={"knockouts": True, "requirements": True, "band_ab": score >= 55,
                      "advanced": advanced, "hired": advanced and i % 4 == 0})
        for i, (g, a, advanced, score) in enumerate(FIXED)
    ]


def test_rates_ratios_and_p_values_match_scipy_and_statsmodels():
    report = impact_report(_people(), attributes=["gender"], min_cell=5)
    advanced = report["attributes"][0]["steps"]["advanced"]
    groups = {g["group"]: g for g in advanced["groups"]}

    assert set(groups) == {"female", "male"}  # "another" (3) is counted, not shown
    assert advanced["reference"] == "male"
    women, men = groups["female"], groups["male"]
    assert (women["n"], women["selected"], men["n"], men["selected"]) == (24, 8, 25, 15)
    assert women["rate"] == pytest.approx(8 / 24)
    assert women["impact_ratio"] == pytest.approx((8 / 24) / (15 / 25))
    assert women["four_fifths_flag"] is True and men["is_reference"] is True
    table = [[8, 16], [15, 10]]
    assert women["fisher_p"] == pytest.approx(fisher_exact(table).pvalue, rel=1e-12)
    z, p = proportions_ztest([8, 15], [24, 25])
    assert (women["z"], women["z_p"]) == (pytest.approx(z, rel=1e-12), pytest.approx(p))
    # Unknown (8) and the small group (3) are shown together only: 11 ≥ 5 people.
    assert advanced["total_n"] == 60
    assert (advanced["not_shown_n"], advanced["not_shown_selected"]) == (11, 5)
    assert advanced["unknown_n"] is None and advanced["suppressed_n"] is None


def test_a_small_remainder_hides_itself_and_the_total_that_would_reveal_it():
    people = [p for p in _people() if p.groups["gender"] is not None]  # unknown gone: 3 left
    advanced = impact_report(people, attributes=["gender"])["attributes"][0]["steps"]["advanced"]

    assert advanced["hidden_remainder"] is True
    assert advanced["not_shown_n"] is None and advanced["not_shown_selected"] is None
    assert advanced["total_selected"] is None


def test_unknown_is_counted_when_no_group_is_suppressed():
    people = [p for p in _people() if p.groups["gender"] != "another"]
    advanced = impact_report(people, attributes=["gender"])["attributes"][0]["steps"]["advanced"]

    assert (advanced["unknown_n"], advanced["unknown_selected"]) == (8, 3)
    assert advanced["total_selected"] == 8 + 15 + 3


def test_intersectional_groups_and_scoring_rates():
    people = _people()
    report = impact_report(people, attributes=["gender"], intersection=["gender", "age_band"])
    cross = report["attributes"][1]
    assert cross["attribute"] == "gender × age_band"
    shown = {g["group"]: g for g in cross["steps"]["advanced"]["groups"]}
    assert shown["female × under_40"]["n"] == 12
    assert shown["male × under_40"]["n"] == sum(1 for i in range(25) if i % 3)

    scoring = report["attributes"][0]["scoring_rate"]
    scores = np.array([s for *_, s in FIXED])
    median = float(np.median(scores))
    assert scoring["median"] == median
    women_above = sum(1 for g, _a, _s, s in FIXED if g == "female" and s > median)
    assert {g["group"]: g["selected"] for g in scoring["groups"]}["female"] == women_above


def test_ll144_rows_give_selection_and_scoring_rates_with_ratios():
    report = impact_report(_people(), attributes=["gender"])
    rows = {row["group"]: row for row in ll144_rows(report)}

    women = rows["female"]
    assert women["selection_rate"] == pytest.approx(8 / 24)
    assert women["selection_impact_ratio"] == pytest.approx((8 / 24) / (15 / 25))
    assert women["scoring_rate"] is not None and women["scoring_impact_ratio"] is not None
    assert rows["unknown or fewer than 5"]["n"] == 11
    assert {row["step"] for row in report_rows(report)} == set(report["steps"])


def test_an_empty_population_is_an_empty_report():
    report = impact_report([], attributes=["gender"], intersection=["gender", "age_band"])
    assert report["n"] == 0 and report["attributes"][0]["steps"] == {}
