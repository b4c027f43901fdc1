"""The cost comparison API: SPEC §4 numbers from scoring.cost, 422s that name the field."""

import pytest

from app.positions import service as position_service
from scoring.cost import CostAssumptions, compare
from tests.app.reports.scenario import VISIBILITY, make_team
from tests.factories import auth_headers


@pytest.fixture
def team(session):
    return make_team(session, cost_assumptions={"target_monthly_revenue": 200_000,
                                                "experienced": {"ramp_months": 4}})


def _post(client, headers, body=None, **params):
    return client.post("/api/v1/cost-comparison", headers=headers, json=body, params=params)


def test_defaults_equal_the_scoring_library(client, team):
    response = _post(client, auth_headers(client, team.manager))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == compare().to_dict()
    assert set(body) >= {"experienced", "grow_in_house", "npv_difference", "recommendation",
                         "reasons", "monte_carlo"}
    option = body["experienced"]
    assert set(option) >= {"npv", "break_even_month", "peak_funding", "total_cost",
                           "total_margin", "net_contribution", "monthly"}
    assert set(option["monthly"][0]) == {"month", "revenue", "margin", "commission", "fixed",
                                         "net", "cumulative"}
    assert body["monte_carlo"] is None


def test_overrides_and_monte_carlo(client, team):
    overrides = {
        "horizon_months": 24, "commission_base": "margin", "hiring_budget": 10_000,
        "commission_bands": [{"name": "all", "share": 1.0, "rate": 0.1}],
        "grow_in_house": {"ramp_months": 9}, "simulations": 2000, "seed": 7,
    }
    body = _post(client, auth_headers(client, team.hr), overrides).json()
    assert body == compare(overrides).to_dict()
    assert len(body["experienced"]["monthly"]) == 24
    assert body["monte_carlo"]["simulations"] == 2000
    assert 0 <= body["monte_carlo"]["p_experienced_better"] <= 1
    assert body["recommendation"] == "grow_in_house"  # over the hiring budget


def test_starting_from_a_positions_assumptions(client, session, team):
    headers = auth_headers(client, team.hr)
    saved = position_service.cost_assumptions(team.position)
    body = _post(client, headers, {"seed": 3}, position_id=team.position.id).json()
    assert body == compare(CostAssumptions.from_dict({"seed": 3}, base=saved)).to_dict()
    assert body["assumptions"]["target_monthly_revenue"] == 200_000
    get = client.get(f"/api/v1/positions/{team.position.id}/cost-comparison", headers=headers)
    assert get.status_code == 200 and get.json() == compare(saved).to_dict()


def test_positions_of_others_are_not_found(client, session, team):
    for role, user in team.users().items():
        headers = auth_headers(client, user)
        post = _post(client, headers, position_id=team.position.id)
        get = client.get(f"/api/v1/positions/{team.position.id}/cost-comparison",
                         headers=headers)
        assert post.status_code == get.status_code == VISIBILITY[role], role
        assert _post(client, headers).status_code == 200  # without a position: anyone on staff
    assert _post(client, {}).status_code == 401


BAD_INPUTS = [
    ({"commission_bands": [{"name": "medium", "share": 0.5, "rate": 0.15},
                           {"name": "large", "share": 0.4, "rate": 0.05}]}, "commission_bands"),
    ({"experienced": {"ramp_months": 0}}, "experienced.ramp_months"),
    ({"grow_in_house": {"training_months": -2}}, "grow_in_house.training_months"),
    ({"grow_in_house": {"training_months": 2.5}}, "grow_in_house.training_months"),
    ({"commission_bands": [{"name": "all", "share": 1.0, "rate": 1.5}]},
     "commission_bands[0].rate"),
    ({"discount_rate_annual": 1.2}, "discount_rate_annual"),
    ({"gross_margin_pct": "high"}, "gross_margin_pct"),
    ({"salary": 5000}, "salary"),
    ({"experienced": {"bonus": 1}}, "experienced.bonus"),
    ({"commission_base": "profit"}, "commission_base"),
    ({"simulations": 10_000_000}, "simulations"),
]


def test_bad_inputs_are_a_422_naming_the_field(client, team):
    headers = auth_headers(client, team.hr)
    for body, field in BAD_INPUTS:
        response = _post(client, headers, body)
        assert response.status_code == 422, (body, response.text)
        detail = response.json()["detail"][0]
        assert detail["field"] == field, body
        assert detail["message"].startswith(f"{field}: ")
    response = client.post("/api/v1/cost-comparison", headers=headers, json=[1, 2])
    assert response.status_code == 422
    broken = client.post("/api/v1/cost-comparison", headers={**headers,
                         "Content-Type": "application/json"}, content=b"{not json")
    assert broken.status_code == 422
