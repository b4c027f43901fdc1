"""Cost model: experienced hire vs grow in-house (SPEC §4)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring import (
    CommissionBand,
    CostAssumptions,
    MonteCarloRanges,
    OptionAssumptions,
    ScoringInputError,
    compare,
    monte_carlo,
    simulate_option,
)
from scoring.cost import DEFAULT_EXPERIENCED, DEFAULT_GROW_IN_HOUSE

MONTHLY_1PCT = 1.01**12 - 1  # annual rate whose monthly discount factor is exactly 1.01^t


def small_case() -> tuple[OptionAssumptions, CostAssumptions]:
    option = OptionAssumptions(
        base_salary_monthly=1000,
        overhead_pct=0.5,
        hiring_cost=200,
        training_cost_total=600,
        training_months=2,
        ramp_months=2,
        productivity=0.8,
        monthly_attrition=0.1,
    )
    position = CostAssumptions(
        horizon_months=4,
        discount_rate_annual=MONTHLY_1PCT,
        target_monthly_revenue=10_000,
        gross_margin_pct=0.4,
        commission_base="margin",
        commission_bands=(CommissionBand("a", 0.5, 0.1), CommissionBand("b", 0.5, 0.3)),
    )
    return option, position


def test_option_series_by_hand() -> None:
    option, position = small_case()
    r = simulate_option(option, position, "test")
    # effective rate = .5 × .1 + .5 × .3 = .2, on margin
    # f(t)      = 0, 0, (3−2)/2 = .5, 1           (training 2 months, ramp 2)
    # revenue   = 0, 0, 10000 × .8 × .5 = 4000, 8000
    # margin    = 0, 0, 1600, 3200 ; commission = .2 × margin = 0, 0, 320, 640
    # fixed     = 1000 × 1.5 + 600/2 = 1800 (t ≤ 2), then 1500
    # survival  = .9^(t−1) = 1, .9, .81, .729
    # net       = −1800 − 200 = −2000 ; .9 × −1800 = −1620 ; .81 × (1600 − 320 − 1500) = −178.2 ;
    #             .729 × (3200 − 640 − 1500) = 772.74
    np.testing.assert_allclose(r.net, [-2000, -1620, -178.2, 772.74])
    np.testing.assert_allclose(r.cumulative, [-2000, -3620, -3798.2, -3025.46])
    assert r.break_even_month is None
    assert r.peak_funding == pytest.approx(3798.2)
    # NPV = Σ net / 1.01^t
    npv = -2000 / 1.01 - 1620 / 1.01**2 - 178.2 / 1.01**3 + 772.74 / 1.01**4
    assert r.npv == pytest.approx(npv, rel=1e-12)
    # total cost = 200 + 1800 + .9 × 1800 + .81 × (320 + 1500) + .729 × (640 + 1500) = 6654.26
    assert r.total_cost == pytest.approx(6654.26)
    # total margin = .81 × 1600 + .729 × 3200 = 3628.8 ; net contribution = Σ net = −3025.46
    assert r.total_margin == pytest.approx(3628.8)
    assert r.net_contribution == pytest.approx(-3025.46)
    rows = r.monthly()
    # rows are expected amounts (× survival), hiring cost in month 1's fixed: rows add up
    assert rows[2] == pytest.approx(
        {
            "month": 3,
            "revenue": 3240,
            "margin": 1296,
            "commission": 259.2,
            "fixed": 1215,
            "net": -178.2,
            "cumulative": -3798.2,
        }
    )
    assert rows[0]["fixed"] == pytest.approx(2000)
    for row in rows:
        assert row["net"] == pytest.approx(row["margin"] - row["commission"] - row["fixed"])


def test_training_cost_without_training_months_is_charged_in_month_one() -> None:
    # fixed(t) = base·(1 + overhead) + training_cost / max(1, 0) while t ≤ max(1, 0) = 1
    option = replace(DEFAULT_EXPERIENCED, training_cost_total=900.0)
    r = simulate_option(option, CostAssumptions(horizon_months=3))
    base = 5000 * 1.35
    survival = (1 - option.monthly_attrition) ** np.arange(3)
    np.testing.assert_allclose(
        r.fixed, [base + 900 + option.hiring_cost, base * survival[1], base * survival[2]]
    )


def test_default_experienced_first_month_by_hand() -> None:
    r = compare().experienced
    # month 1: f = 1/6 → revenue 150000/6 = 25000, margin 7500, commission 9 % = 2250,
    # fixed 5000 × 1.35 = 6750, hiring 12000: net = 7500 − 2250 − 6750 − 12000 = −13500;
    # month 2 is positive, so the peak funding is 13500 and break-even comes later
    assert r.net[0] == pytest.approx(-13500)
    assert r.peak_funding == pytest.approx(13500)
    assert r.break_even_month == 4


def test_defaults_are_documented_values() -> None:
    a = CostAssumptions()
    assert a.to_dict()["commission_bands"] == [
        {"name": "medium", "share": 0.4, "rate": 0.15},
        {"name": "large", "share": 0.6, "rate": 0.05},
    ]
    assert a.effective_rate == pytest.approx(0.09)  # .4 × .15 + .6 × .05
    assert DEFAULT_EXPERIENCED.hiring_cost == 12_000  # 20 % of 12 × 5000
    assert DEFAULT_GROW_IN_HOUSE.monthly_attrition == pytest.approx(1 - 0.7 ** (1 / 12))
    assert (1 - DEFAULT_GROW_IN_HOUSE.monthly_attrition) ** 12 == pytest.approx(0.7)
    assert (1 - DEFAULT_EXPERIENCED.monthly_attrition) ** 12 == pytest.approx(0.65)
    assert (a.horizon_months, a.discount_rate_annual, a.simulations, a.seed) == (36, 0.1, 0, 1)


def test_compare_response_shape_and_recommendation() -> None:
    c = compare()
    d = c.to_dict()
    json.dumps(d)
    assert set(d) >= {
        "experienced",
        "grow_in_house",
        "npv_difference",
        "recommendation",
        "reasons",
        "monte_carlo",
    }
    assert set(d["experienced"]) == {
        "npv",
        "break_even_month",
        "peak_funding",
        "total_cost",
        "total_margin",
        "net_contribution",
        "monthly",
    }
    assert len(d["experienced"]["monthly"]) == 36
    assert set(d["experienced"]["monthly"][0]) == {
        "month",
        "revenue",
        "margin",
        "commission",
        "fixed",
        "net",
        "cumulative",
    }
    assert d["npv_difference"] == pytest.approx(d["experienced"]["npv"] - d["grow_in_house"]["npv"])
    assert d["monte_carlo"] is None
    assert d["recommendation"] == "experienced"  # faster ramp outweighs the costs by default
    assert d["reasons"][0].startswith("The experienced hire has the higher NPV over 36 months")


def test_budget_rule() -> None:
    # experienced peak funding is 13,500 with the defaults
    tight = compare({"hiring_budget": 10_000})
    assert tight.recommendation == "grow_in_house"
    assert tight.reasons[0].startswith("Budget rule: the experienced hire needs up to €13,500")
    assert compare({"hiring_budget": 20_000}).recommendation == "experienced"


def test_negative_npvs_are_called_out() -> None:
    c = compare({"target_monthly_revenue": 5000})
    assert c.experienced.npv < 0 and c.grow_in_house.npv < 0
    assert any(r.startswith("Neither option pays back") for r in c.reasons)


def test_overrides_merge_over_defaults() -> None:
    a = CostAssumptions.from_dict(
        {"experienced": {"ramp_months": 4}, "commission_base": "margin", "horizon_months": 24.0}
    )
    assert a.experienced.ramp_months == 4
    assert a.experienced.base_salary_monthly == 5000  # untouched field from the defaults
    assert a.horizon_months == 24 and isinstance(a.horizon_months, int)
    b = a.merged({"experienced": {"productivity": 1.1}})
    assert (b.experienced.ramp_months, b.experienced.productivity) == (4, 1.1)
    assert CostAssumptions.from_dict(a.to_dict()) == a


@pytest.mark.parametrize(
    ("data", "argument"),
    [
        ({"experienced": {"ramp_months": 0}}, "experienced.ramp_months"),
        ({"experienced": {"ramp_months": 2.5}}, "experienced.ramp_months"),
        ({"grow_in_house": {"training_months": -1}}, "grow_in_house.training_months"),
        ({"grow_in_house": {"monthly_attrition": 1.2}}, "grow_in_house.monthly_attrition"),
        ({"experienced": {"overhead_pct": -0.1}}, "experienced.overhead_pct"),
        ({"experienced": {"salary": 1}}, "experienced.salary"),
        ({"experienced": {"productivity": float("nan")}}, "experienced.productivity"),
        (
            {
                "commission_bands": [
                    {"name": "m", "share": 0.5, "rate": 0.1},
                    {"name": "l", "share": 0.4, "rate": 0.1},
                ]
            },
            "commission_bands",
        ),
        (
            {
                "commission_bands": [
                    {"name": "m", "share": 0.5, "rate": 0.1},
                    {"name": "l", "share": 0.5, "rate": 1.5},
                ]
            },
            "commission_bands[1].rate",
        ),
        ({"commission_bands": [{"name": "m", "share": 1.0}]}, "commission_bands[0].rate"),
        ({"commission_bands": []}, "commission_bands"),
        ({"horizon_months": 0}, "horizon_months"),
        ({"horizon_months": 601}, "horizon_months"),
        ({"simulations": 200_001}, "simulations"),
        ({"discount_rate_annual": 1.5}, "discount_rate_annual"),
        ({"gross_margin_pct": True}, "gross_margin_pct"),
        ({"commission_base": "profit"}, "commission_base"),
        ({"hiring_budget": -5}, "hiring_budget"),
        ({"target_monthly_revenue": "lots"}, "target_monthly_revenue"),
        ({"monte_carlo_ranges": {"ramp_months": 2}}, "monte_carlo_ranges.ramp_months"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_assumptions_name_the_field(data: dict, argument: str) -> None:
    with pytest.raises(ScoringInputError) as info:
        CostAssumptions.from_dict(data)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(argument + ":")


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ScoringInputError, match=r"^ramp_months: must be ≥ 1"):
        OptionAssumptions(5000, 0.35, 0, 0, 0, 0, 1.0, 0.02)
    with pytest.raises(ScoringInputError, match=r"^horizon_months"):
        CostAssumptions(horizon_months=0)
    with pytest.raises(ScoringInputError, match=r"^commission_bands: shares sum to 0.5"):
        CostAssumptions(commission_bands=(CommissionBand("all", 0.5, 0.1),))


def test_monte_carlo_is_seeded() -> None:
    a = CostAssumptions(simulations=2000, seed=42)
    first, second = monte_carlo(a).to_dict(), monte_carlo(a).to_dict()
    assert first == second
    assert monte_carlo(replace(a, seed=43)).to_dict() != first
    assert 0 <= first["p_experienced_better"] <= 1
    for option in ("experienced", "grow_in_house"):
        s = first[option]
        assert s["p10"] <= s["p50"] <= s["p90"]
    assert first["ranges"]["relative"] == {
        "ramp_months": 0.3,
        "productivity": 0.15,
        "monthly_attrition": 0.3,
        "target_monthly_revenue": 0.2,
    }
    assert compare(a).to_dict()["monte_carlo"] == first


def test_monte_carlo_with_zero_spread_equals_the_deterministic_model() -> None:
    a = CostAssumptions(simulations=50, monte_carlo_ranges=MonteCarloRanges(0, 0, 0, 0))
    mc = monte_carlo(a)
    c = compare(replace(a, simulations=0))
    np.testing.assert_allclose(mc.npv_experienced, c.experienced.npv, rtol=1e-12)
    np.testing.assert_allclose(mc.npv_grow_in_house, c.grow_in_house.npv, rtol=1e-12)
    assert mc.p_experienced_better == (1.0 if c.npv_difference > 0 else 0.0)


option_strategy = st.builds(
    OptionAssumptions,
    base_salary_monthly=st.floats(0, 8000),
    overhead_pct=st.floats(0, 1),
    hiring_cost=st.floats(0, 30_000),
    training_cost_total=st.floats(0, 20_000),
    training_months=st.integers(0, 6),
    ramp_months=st.integers(1, 18),
    productivity=st.floats(0.3, 1.5),
    monthly_attrition=st.floats(0, 0.1),
)


@settings(deadline=None, max_examples=60)
@given(
    option_strategy,
    option_strategy,
    st.floats(0, 0.2),
    st.floats(0, 0.2),
    st.integers(1, 60),
    st.integers(0, 2**32),
)
def test_monte_carlo_zero_spread_property(
    exp: OptionAssumptions, grow: OptionAssumptions, r: float, m: float, h: int, seed: int
) -> None:
    a = CostAssumptions(
        experienced=exp,
        grow_in_house=grow,
        discount_rate_annual=r,
        gross_margin_pct=0.3 + m,
        horizon_months=h,
        simulations=5,
        seed=seed,
        monte_carlo_ranges=MonteCarloRanges(0, 0, 0, 0),
    )
    mc = monte_carlo(a)
    for name, npvs in (
        ("experienced", mc.npv_experienced),
        ("grow_in_house", mc.npv_grow_in_house),
    ):
        expected = simulate_option(a.option(name), a).npv
        np.testing.assert_allclose(npvs, expected, rtol=1e-9, atol=1e-6)


@settings(deadline=None, max_examples=60)
@given(
    st.floats(50_000, 500_000),
    st.floats(0.2, 0.6),
    st.floats(0.0, 0.2),
    st.integers(1, 12),
    st.floats(0, 3000),
    st.floats(0, 0.5),
    st.floats(0, 0.5),
)
def test_npv_falls_as_the_discount_rate_rises_when_nets_are_positive(
    revenue: float, margin: float, attrition: float, ramp: int, base: float, r1: float, dr: float
) -> None:
    assume(dr > 1e-3)
    option = OptionAssumptions(base, 0.3, 0.0, 0.0, 0, ramp, 1.0, attrition)
    low = CostAssumptions(
        target_monthly_revenue=revenue,
        gross_margin_pct=margin,
        discount_rate_annual=r1,
        experienced=option,
    )
    high = replace(low, discount_rate_annual=min(1.0, r1 + dr))
    assume(high.discount_rate_annual > low.discount_rate_annual)
    a, b = simulate_option(option, low), simulate_option(option, high)
    assume((a.net > 0).all())
    assert b.npv < a.npv


def test_the_experienced_hiring_cost_follows_the_salary_unless_set() -> None:
    from scoring.cost_assumptions import CostAssumptions

    default = CostAssumptions()
    assert default.experienced.hiring_cost == pytest.approx(0.20 * 12 * 5_000)  # 12,000 €
    raised = CostAssumptions.from_dict({"experienced": {"base_salary_monthly": 7_000}})
    assert raised.experienced.hiring_cost == pytest.approx(16_800)  # 20 % of 84,000
    fixed = CostAssumptions.from_dict(
        {"experienced": {"base_salary_monthly": 7_000, "hiring_cost": 9_000}})
    assert fixed.experienced.hiring_cost == 9_000
    # A cost the position set stays when a request changes the salary on top of it...
    again = fixed.merged({"experienced": {"base_salary_monthly": 8_000}})
    assert again.experienced.hiring_cost == 9_000
    # ...and null asks for the rule explicitly.
    rule = fixed.merged({"experienced": {"hiring_cost": None}})
    assert rule.experienced.hiring_cost == pytest.approx(0.20 * 12 * 7_000)
    # Growing in-house keeps its fixed cost (job ads and interviews).
    grown = CostAssumptions.from_dict({"grow_in_house": {"base_salary_monthly": 4_000}})
    assert grown.grow_in_house.hiring_cost == 2_000
    with pytest.raises(ScoringInputError, match=r"^grow_in_house\.hiring_cost"):
        CostAssumptions.from_dict({"grow_in_house": {"hiring_cost": None}})


def test_reasons_are_codes_with_their_numbers_and_english_words() -> None:
    from scoring.cost import reason_text

    result = compare({"hiring_budget": 10_000, "simulations": 200, "seed": 3})
    codes = [r.code for r in result.reason_codes]
    assert codes[0] == "budget_rule" and "break_even" in codes and codes[-1] == "simulations"
    budget = result.reason_codes[0]
    assert budget.values["hiring_budget"] == 10_000
    assert budget.values["peak_funding"] == pytest.approx(result.experienced.peak_funding)
    assert result.reasons[0] == reason_text(budget) and result.reasons[0].startswith(
        "Budget rule: the experienced hire needs up to €")
    body = result.to_dict()
    assert body["reasons"] == list(result.reasons)
    assert [r["code"] for r in body["reason_codes"]] == codes
