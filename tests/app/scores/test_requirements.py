"""Requirements (knock-outs, the language hurdle, minimums) show wherever a candidate is listed:
pipeline API and its filter, report, webhook payload (SPEC §3.5). Pages and exports are in
tests/app/reports."""

from sqlmodel import select

from app.outbox.models import OutboxMessage
from tests.app.reports.scenario import complete
from tests.factories import auth_headers


def _pipeline(client, team, **params):
    response = client.get(f"/api/v1/positions/{team.position.id}/candidates",
                          headers=auth_headers(client, team.hr), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _language_fail(session, team):
    """A candidate who passes every knock-out but misses the B2 English hurdle."""
    team.position.language_hurdle = "B2"
    candidate, _attempt = complete(session, position=team.position, actor=team.hr, ability=0.05,
                                   full_name="Lina Lingua")
    return candidate


def test_a_missed_language_hurdle_is_a_missed_requirement_in_the_list(client, session, team):
    weak = _language_fail(session, team)
    strong, _ = complete(session, position=team.position, actor=team.hr, ability=0.98, seed=4,
                         full_name="Sara Sicura")
    items = {i["id"]: i for i in _pipeline(client, team)["items"]}
    assert items[weak.id]["knockouts_passed"] is True  # what the list used to show
    assert items[weak.id]["requirements_passed"] is False
    [missed] = items[weak.id]["requirements_missed"]
    assert missed["kind"] == "language" and missed["required"] == "B2"
    assert items[strong.id]["requirements_passed"] is True
    assert items[strong.id]["requirements_missed"] == []
    # The "passed" filter no longer includes a candidate who missed a requirement.
    met = [i["id"] for i in _pipeline(client, team, requirements_passed=True)["items"]]
    missed_ids = [i["id"] for i in _pipeline(client, team, requirements_passed=False)["items"]]
    assert met == [strong.id] and missed_ids == [weak.id]


def test_a_missed_minimum_and_a_knockout_are_listed_together(client, session, team):
    team.position.minimums = {"commercial_knowledge": 90}
    team.position.knockouts = {"min_years_sales": 10}
    candidate, _ = complete(session, position=team.position, actor=team.hr, ability=0.5)
    [item] = _pipeline(client, team)["items"]
    rules = [r["rule"] for r in item["requirements_missed"]]
    assert rules[0] == "min_years_sales" and "minimum.commercial_knowledge" in rules
    report = client.get(f"/api/v1/candidates/{candidate.id}/report",
                        headers=auth_headers(client, team.hr)).json()
    assert report["requirements_passed"] is False
    assert [r["rule"] for r in report["requirements"] if r["passed"] is False] == rules


def test_the_webhook_says_which_requirements_were_missed(client, session, team):
    admin = auth_headers(client, team.admin)
    assert client.put("/api/v1/webhooks", headers=admin,
                      json={"url": "https://hooks.example.com/kam"}).status_code == 200
    _language_fail(session, team)
    [message] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
    data = message.payload["data"]
    assert data["requirements_passed"] is False and data["requirements_missed"] == ["language"]
    assert data["fit_coverage"] == 1.0 and data["partial_fit"] is None
