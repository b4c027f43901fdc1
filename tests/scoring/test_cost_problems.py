"""problems(): every wrong field of a cost request at once, with from_dict's own messages."""

from __future__ import annotations

import pytest

from scoring.cost_assumptions import CostAssumptions, problems
from scoring.errors import ScoringInputError

SINGLE = [
    {"horizon_months": 0},
    {"discount_rate_annual": 1.5},
    {"seed": -1},
    {"simulations": 2.5},
    {"hiring_budget": -3},
    {"commission_base": "profit"},
    {"experienced": {"ramp_months": 0}},
    {"grow_in_house": {"productivity": 11}},
    {"grow_in_house": {"colour": 1}},
    {"experienced": "x"},
    {"commission_bands": []},
    {"commission_bands": [{"name": "a", "share": 1.2, "rate": 0.1}]},
    {"commission_bands": [{"name": "", "share": 1.0, "rate": 0.1}]},
    {"commission_bands": [{"name": "a", "share": 0.5, "rate": 0.1},
                          {"name": "a", "share": 0.5, "rate": 0.1}]},
    {"commission_bands": [{"name": "a", "share": 0.5, "rate": 0.1}]},  # sum 0.5
    {"commission_bands": [{"name": "a", "rate": 0.1}]},
    {"volume": 3},
]


def _first(data: dict) -> ScoringInputError:
    with pytest.raises(ScoringInputError) as caught:
        CostAssumptions.from_dict(data)
    return caught.value


@pytest.mark.parametrize("data", SINGLE)
def test_one_wrong_field_gives_the_error_from_dict_gives(data):
    expected = _first(data)
    found = problems(data)
    assert [(p.argument, p.problem) for p in found] == [(expected.argument, expected.problem)]


def test_every_wrong_field_is_found_in_one_pass():
    data = {
        "horizon_months": 0,
        "gross_margin_pct": 2,
        "experienced": {"ramp_months": 0, "overhead_pct": -1},
        "grow_in_house": {"monthly_attrition": 3},
        "commission_bands": [{"name": "a", "share": 2, "rate": 0.1},
                             {"name": "b", "share": 0.5, "rate": -1}],
    }
    assert [p.argument for p in problems(data)] == [
        "horizon_months",
        "gross_margin_pct",
        "experienced.ramp_months",
        "experienced.overhead_pct",
        "grow_in_house.monthly_attrition",
        "commission_bands[0].share",
        "commission_bands[1].rate",
    ]


def test_a_valid_request_has_no_problem():
    assert problems({"horizon_months": 24, "experienced": {"hiring_cost": None}}) == []
    assert problems(CostAssumptions().to_dict()) == []
