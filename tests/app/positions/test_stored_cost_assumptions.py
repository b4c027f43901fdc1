"""A cost assumption stored before its bound existed (or written by hand) cannot take a page
down: every view of the position answers 200 and says which field is wrong."""

from __future__ import annotations

import pytest

from app.scores import service as score_service
from tests.app.reports.scenario import complete, import_norms, make_team, synthetic_norms
from tests.factories import auth_headers, login_browser


@pytest.fixture
def broken(session, client):  # type: ignore[no-untyped-def]
    """A position with norms and a completed candidate, then 1e28 € a month stored as its
    revenue target straight in the database, and the scores recomputed as a change would."""
    team = make_team(session, questionnaires=["commercial-knowledge", "english"])
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"], n=120))
    candidate, _attempt = complete(session, position=team.position, actor=team.hr, seed=3)
    team.position.cost_assumptions = {"target_monthly_revenue": 1e28}
    session.add(team.position)
    session.flush()
    score_service.rescore_position(session, position=team.position)
    login_browser(client, team.hr)
    return team, candidate, auth_headers(client, team.hr)


def test_the_api_answers_and_names_the_field(client, broken):
    team, candidate, headers = broken
    position = client.get(f"/api/v1/positions/{team.position.id}", headers=headers)
    assert position.status_code == 200
    assert "target_monthly_revenue" in position.json()["cost_assumptions_problem"]

    listed = client.get(f"/api/v1/positions/{team.position.id}/candidates", headers=headers)
    assert listed.status_code == 200
    [row] = listed.json()["items"]
    assert row["expected_npv"] is None and row["fit_score"] is not None

    report = client.get(f"/api/v1/candidates/{candidate.id}/report", headers=headers)
    assert report.status_code == 200
    utility = report.json()["utility"]
    assert utility["available"] is False and utility["npv"] is None
    assert "target_monthly_revenue" in utility["explanation"]

    costs = client.get(f"/api/v1/positions/{team.position.id}/cost-comparison", headers=headers)
    assert costs.status_code == 409
    assert "target_monthly_revenue" in costs.text


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_pages_answer_with_the_problem_in_view(client, broken, lang):
    team, candidate, _headers = broken
    client.headers["Accept"] = "text/html"
    pages = {
        "pipeline": f"/positions/{team.position.id}?lang={lang}",
        "report": f"/candidates/{candidate.id}?lang={lang}",
        "costs": f"/positions/{team.position.id}/costs?lang={lang}",
    }
    label = {"en": "Target revenue per KAM, € a month", "it": "Fatturato obiettivo per KAM"}[lang]
    bound = {"en": "1,000,000,000", "it": "1.000.000.000"}[lang]
    for name, path in pages.items():
        page = client.get(path)
        assert page.status_code == 200, (name, page.text[:500])
        assert label in page.text and bound in page.text, name
    costs = client.get(pages["costs"]).text
    # The error sits on the revenue field itself, which shows what is stored.
    assert 'id="err-f-target_monthly_revenue"' in costs
    assert 'value="10000000000000000000000000000"' in costs
