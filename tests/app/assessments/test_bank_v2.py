"""Taking bank v2: forms from pools, practice, best/worst answers, numbers as typed, scores."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.assessments.models import Answer, Attempt, ItemExposure
from app.bank import service as bank_service
from app.scores.models import Score
from questionnaires.forms import draw_form
from tests.factories import (
    SCREENING,
    auth_headers,
    create_position,
    create_user,
    invite_candidate,
    login_browser,
)

HTML = {"accept": "text/html"}


def _v2(session, **overrides):  # type: ignore[no-untyped-def]
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, v2=True, **overrides)
    return hr, position


def _started(client, session, **overrides):  # type: ignore[no-untyped-def]
    hr, position = _v2(session, **overrides)
    _candidate, token = invite_candidate(session, position=position, actor=hr, language="en")
    response = client.post(f"/api/v1/assessments/{token}/start",
                           json={"consent": True, "language": "en", "screening": SCREENING})
    assert response.status_code == 200, response.text
    attempt = session.exec(select(Attempt)).all()[-1]
    return hr, position, token, attempt, response.json()


def test_each_candidate_gets_a_stored_form_of_equal_length_and_exposures_are_counted(
    client, session
):
    _hr, position, token, attempt, state = _started(
        client, session, questionnaires=["business-sense", "drive"], language_hurdle=None
    )
    assert position.questionnaire_versions == {"business-sense": 2, "drive": 1}
    bs = bank_service.get(session, key="business-sense", version=2).sections[0]
    drive = bank_service.get(session, key="drive", version=1).sections[0]
    # The form is the seed's draw, stored so a score can be reproduced years later.
    assert attempt.forms["business-sense"] == list(draw_form(bs, seed=attempt.order_seed))
    assert len(attempt.forms["business-sense"]) == bs.form_length == 9
    assert len(attempt.forms["drive"]) == drive.form_length + 6  # the impression check too
    totals = {s["key"]: s["total"] for s in state["sections"]}
    assert totals == {"business-sense": 9, "drive": 14}
    current = state["current_section"]
    assert [p["id"] for p in current["practice"]] == ["bsp01"]
    assert {i["id"] for i in current["items"]} == set(attempt.forms["business-sense"])
    assert all(i["response"] == "best_worst" for i in current["items"])
    exposures = {row.item_id: row.exposures for row in session.exec(select(ItemExposure))}
    assert set(exposures) == set(attempt.forms["business-sense"]) | set(attempt.forms["drive"])
    assert set(exposures.values()) == {1}
    # An item of the pool that is not on this candidate's form cannot be answered.
    other = next(i.id for i in bs.items if i.id not in attempt.forms["business-sense"])
    missing = client.put(f"/api/v1/assessments/{token}/answers/{other}",
                         json={"value": {"best": "a", "worst": "b"}})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ({"best": "a", "worst": "b"}, 200, None),
        ({"best": "a"}, 200, None),  # one choice is kept; the item counts once both are given
        ({"best": "a", "worst": "a"}, 422, "must be different"),
        ({"best": "z", "worst": "a"}, 422, "best must be one of the option ids a, b, c, d"),
        ("a", 422, '{"best": option id, "worst": option id}'),
        ({"best": "a", "worst": "b", "third": "c"}, 422, '{"best": option id'),
        ({}, 422, '{"best": option id'),
    ],
)
def test_best_worst_answers_through_the_api(client, session, value, status, message):
    _hr, _position, token, _attempt, state = _started(
        client, session, questionnaires=["business-sense"], language_hurdle=None
    )
    item_id = state["current_section"]["items"][0]["id"]
    response = client.put(f"/api/v1/assessments/{token}/answers/{item_id}",
                          json={"value": value, "elapsed_ms": 9000})
    assert response.status_code == status, response.text
    if message:
        assert message in response.json()["detail"]
        return
    saved = session.exec(select(Answer).where(Answer.item_id == item_id)).one()
    assert saved.value["v"] == {"best": value["best"], "worst": value.get("worst")}
    state = client.get(f"/api/v1/assessments/{token}").json()
    answered = state["sections"][0]["answered"]
    assert answered == (1 if value.get("worst") else 0)


def test_the_page_without_javascript_takes_best_worst_and_asks_about_ambiguous_numbers(
    client, session
):
    _hr, _position, token, _attempt, state = _started(
        client, session, questionnaires=["analysis"], language_hurdle=None
    )
    page = client.get(f"/a/{token}/section", headers=HTML)
    assert page.status_code == 200
    assert "Practice first" in page.text and "Check your answer" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    numeric = next(i for i in state["current_section"]["items"] if i["type"] == "numeric")
    # "3.400" on the English page: decimals here, thousands in Italian. The page asks.
    asked = client.post(f"/a/{token}/section/analysis", headers=HTML, data={
        "csrf_token": csrf, f"item-{numeric['id']}": "3.400", "action": "save"})
    assert asked.status_code == 422
    assert "can mean two numbers" in asked.text
    assert f'name="item-{numeric["id"]}-reading" value="3400"' in asked.text
    chosen = client.post(f"/a/{token}/section/analysis", headers=HTML, data={
        "csrf_token": csrf, f"item-{numeric['id']}": "3.400",
        f"item-{numeric['id']}-reading": "3400", "action": "save"}, follow_redirects=False)
    assert chosen.status_code == 303
    saved = session.exec(select(Answer).where(Answer.item_id == numeric["id"])).one()
    assert saved.value["v"] == 3400
    after = client.get(f"/a/{token}/section", headers=HTML).text
    assert "Understood as 3,400" in after


def test_best_worst_from_the_form(client, session):
    _hr, _position, token, _attempt, state = _started(
        client, session, questionnaires=["communication"], language_hurdle=None
    )
    page = client.get(f"/a/{token}/section", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    first, second = state["current_section"]["items"][:2]
    assert f'name="item-{first["id"]}-best"' in page.text
    response = client.post(f"/a/{token}/section/communication", headers=HTML, data={
        "csrf_token": csrf, "action": "save",
        f"item-{first['id']}-best": "a", f"item-{first['id']}-worst": "c",
        f"item-{second['id']}-best": "b", f"item-{second['id']}-worst": "b",
    })
    assert response.status_code == 422
    assert "two different actions" in response.text
    values = {a.item_id: a.value["v"] for a in session.exec(select(Answer))}
    assert values == {first["id"]: {"best": "a", "worst": "c"}}


def test_italian_numbers_on_the_italian_page(client, session):
    _hr, _position, token, _attempt, state = _started(
        client, session, questionnaires=["analysis"], language_hurdle=None
    )
    page = client.get(f"/a/{token}/section?lang=it", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    numeric = [i for i in state["current_section"]["items"] if i["type"] == "numeric"][:2]
    response = client.post(f"/a/{token}/section/analysis?lang=it", headers=HTML, data={
        "csrf_token": csrf, "action": "save",
        f"item-{numeric[0]['id']}": "3.400", f"item-{numeric[1]['id']}": "12,5"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    values = {a.item_id: a.value["v"] for a in session.exec(select(Answer))}
    assert values == {numeric[0]["id"]: 3400, numeric[1]["id"]: 12.5}


def test_the_score_is_made_on_the_form_and_idealized_answers_raise_a_flag(client, session):
    _hr, _position, token, _attempt, state = _started(
        client, session, questionnaires=["drive"], language_hurdle=None
    )
    for item in state["current_section"]["items"]:
        value = 5 if item["id"].startswith("im") else 3
        assert client.put(f"/api/v1/assessments/{token}/answers/{item['id']}",
                          json={"value": value, "elapsed_ms": 5000}).status_code == 200
    assert client.post(f"/api/v1/assessments/{token}/submit").status_code == 200
    score = session.exec(select(Score)).one()
    drive = score.scales["drive"]
    assert drive["n_items"] == 8 and drive["answered"] == 8 and drive["complete"]
    assert drive["percent"] == pytest.approx(50.0)  # all 3s, reverse keying mirrors 3 to 3
    codes = [flag["code"] for flag in score.flags]
    assert "idealized_answers" in codes
    assert "abandoned_section" not in codes  # the six checks count as answered items
    assert "stress_resistance" not in score.scales


def test_an_italian_hurdle_tests_italian_with_the_hurdle_blueprint(client, session):
    hr, position, _token, attempt, _state = _started(
        client, session, language_hurdle={"language": "it", "level": "B2"}
    )
    assert "italian" in position.questionnaires and "english" not in position.questionnaires
    italian = bank_service.get(session, key="italian", version=1).sections[0]
    levels = [next(i.cefr for i in italian.items if i.id == item_id)
              for item_id in attempt.forms["italian"]]
    assert {level: levels.count(level) for level in set(levels)} == {
        "A2": 1, "B1": 3, "B2": 10, "C1": 1}
    from app.organizations.models import Organization

    admin = create_user(session, role="admin",
                        organization=session.get(Organization, hr.organization_id))
    analysis = client.get("/api/v1/questionnaires/italian/item-analysis",
                          headers=auth_headers(client, admin))
    assert analysis.status_code == 200, analysis.text
    body = analysis.json()
    assert body["questionnaire_version"] == 1 and body["pooled"] is True
    shown = {item["item_id"]: item["exposures"] for item in body["items"]}
    assert {i for i, n in shown.items() if n == 1} == set(attempt.forms["italian"])


def test_item_analysis_shows_best_and_worst_choices(client, session):
    hr, _position, token, attempt, state = _started(
        client, session, questionnaires=["business-sense"], language_hurdle=None
    )
    for item in state["current_section"]["items"]:
        ids = [o["id"] for o in item["options"]]
        assert client.put(f"/api/v1/assessments/{token}/answers/{item['id']}",
                          json={"value": {"best": ids[0], "worst": ids[1]}}).status_code == 200
    assert client.post(f"/api/v1/assessments/{token}/submit").status_code == 200
    from app.organizations.models import Organization

    admin = create_user(session, role="admin",
                        organization=session.get(Organization, hr.organization_id))
    body = client.get("/api/v1/questionnaires/business-sense/item-analysis",
                      headers=auth_headers(client, admin)).json()
    answered = [i for i in body["items"] if i["item_id"] in attempt.forms["business-sense"]]
    assert answered and all(sum(i["option_frequencies"].values()) == pytest.approx(1.0)
                            and sum(i["worst_frequencies"].values()) == pytest.approx(1.0)
                            for i in answered)
    login_browser(client, admin)
    page = client.get("/admin/psychometrics/business-sense/2/items", headers=HTML)
    assert page.status_code == 200 and "worst:" in page.text
