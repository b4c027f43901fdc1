"""Comparing 2–5 candidates: validation of ids, tenancy, and which differences are reliable."""

import pytest

from tests.app.reports.scenario import (
    VISIBILITY,
    complete,
    import_norms,
    make_team,
    stored_answers,
    synthetic_norms,
)
from tests.factories import auth_headers, create_position, create_user


def _compare(client, user, position_id, ids):
    return client.get(f"/api/v1/positions/{position_id}/compare",
                      headers=auth_headers(client, user), params={"ids": ids})


@pytest.fixture
def trio(session, team):
    """Two candidates with identical answers and one much weaker."""
    strong, attempt = complete(session, position=team.position, actor=team.hr, ability=0.9)
    twin, _ = complete(session, position=team.position, actor=team.hr,
                       answers=stored_answers(session, attempt))
    weak, _ = complete(session, position=team.position, actor=team.hr, ability=0.1, seed=7)
    return strong, twin, weak


@pytest.mark.parametrize(
    ("ids", "needle"),
    [
        ("7", "2 to 5 candidates; 1 given"),
        ("1,2,3,4,5,6", "2 to 5 candidates; 6 given"),
        ("7,7", "listed twice"),
        ("7,x", "'x' is not a candidate id"),
        ("7,-3", "'-3' is not a candidate id"),
        ("7,,8", "'' is not a candidate id"),
        ("", "is not a candidate id"),
        (None, "Field required"),
    ],
)
def test_bad_id_lists_are_a_422_naming_ids(client, session, ids, needle):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    params = {} if ids is None else {"ids": ids}
    response = client.get(f"/api/v1/positions/{position.id}/compare",
                          headers=auth_headers(client, hr), params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["field"] == "ids" and needle in detail["message"]


def test_candidates_outside_the_position_are_not_found(client, session, team, trio):
    strong = trio[0]
    elsewhere = create_position(session, actor=team.admin, questionnaires=["english"])
    stranger, _ = complete(session, position=elsewhere, actor=team.admin)
    other_org = make_team(session)
    foreign, _ = complete(session, position=other_org.position, actor=other_org.hr)
    for intruder in (stranger, foreign):
        response = _compare(client, team.hr, team.position.id, f"{strong.id},{intruder.id}")
        assert response.status_code == 404
    response = _compare(client, team.hr, team.position.id, f"{strong.id},987654")
    assert response.status_code == 404


def test_compare_visibility(client, session, team, trio):
    ids = f"{trio[0].id},{trio[1].id}"
    for role, user in team.users().items():
        assert _compare(client, user, team.position.id, ids).status_code == VISIBILITY[role]


def test_with_norms_identical_answers_are_not_reliably_different(client, session, team, trio):
    strong, twin, weak = trio
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"]))
    response = _compare(client, team.manager, team.position.id,
                        f"{strong.id},{twin.id},{weak.id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["candidate"]["id"] for r in body["candidates"]] == [strong.id, twin.id, weak.id]
    assert all(r["composite"]["basis"] == "z" for r in body["candidates"])
    pairs = {(p["a"], p["b"]): p["competencies"] for p in body["reliability"]["pairs"]}
    assert set(pairs) == {(strong.id, twin.id), (strong.id, weak.id), (twin.id, weak.id)}
    same = pairs[(strong.id, twin.id)]["commercial_knowledge"]
    # SEM_T = 10·√(1 − α) = 4.47 each; the margin is 1.645 × √2 × 4.47 (the standard error
    # of the difference), not the 1.645 × 2 × 4.47 of two non-overlapping bands.
    sem = 10 * (1 - 0.8) ** 0.5
    assert same == {"reliably_different": False, "basis": "T", "difference": 0.0,
                    "margin": pytest.approx(1.645 * (2 * sem**2) ** 0.5)}
    apart = pairs[(strong.id, weak.id)]["commercial_knowledge"]
    assert apart["reliably_different"] is True and apart["difference"] >= apart["margin"]
    assert "√(SEM_a² + SEM_b²)" in body["reliability"]["rule"]


def test_before_norms_differences_are_not_established(client, session, team, trio):
    strong, _twin, weak = trio
    body = _compare(client, team.hr, team.position.id, f"{strong.id},{weak.id}").json()
    verdict = body["reliability"]["pairs"][0]["competencies"]["commercial_knowledge"]
    assert verdict["reliably_different"] is None and verdict["basis"] == "not_established"
    assert "not established" in body["reliability"]["rule"]


def test_a_provisional_group_gives_percent_bands_before_norms(client, session, team, trio):
    strong, twin, weak = trio
    tables = synthetic_norms(session, keys=["commercial-knowledge", "english"], n=40)
    import_norms(session, organization_id=team.admin.organization_id, tables=tables)
    body = _compare(client, team.hr, team.position.id,
                    f"{strong.id},{twin.id},{weak.id}").json()
    assert body["candidates"][0]["competencies"]["commercial_knowledge"]["norm_status"] == "none"
    pairs = {(p["a"], p["b"]): p["competencies"] for p in body["reliability"]["pairs"]}
    assert pairs[(strong.id, twin.id)]["commercial_knowledge"]["basis"] == "percent"
    assert pairs[(strong.id, twin.id)]["commercial_knowledge"]["reliably_different"] is False
    assert pairs[(strong.id, weak.id)]["commercial_knowledge"]["reliably_different"] is True


def test_unfinished_candidates_can_be_compared_without_scores(client, session, team, trio):
    from tests.factories import invite_candidate

    invited, _ = invite_candidate(session, position=team.position, actor=team.hr)
    body = _compare(client, team.hr, team.position.id, f"{trio[0].id},{invited.id}").json()
    assert body["candidates"][1]["scored"] is False
    verdict = body["reliability"]["pairs"][0]["competencies"]["commercial_knowledge"]
    assert verdict["reliably_different"] is None
