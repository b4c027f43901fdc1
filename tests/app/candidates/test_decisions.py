"""Decisions: recorded by people (admin, hr, assigned managers), audited, changing nothing else."""

from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates.models import Candidate, Decision
from tests.app.reports.scenario import VISIBILITY, complete
from tests.factories import auth_headers


def _decide(client, user, candidate_id, **body):
    return client.post(f"/api/v1/candidates/{candidate_id}/decision",
                       headers=auth_headers(client, user), json=body)


def test_staff_who_see_the_position_record_decisions(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    expected = {**VISIBILITY, "admin": 201, "hr": 201, "manager": 201}
    for role, user in team.users().items():
        response = _decide(client, user, candidate.id, decision="advance", note=f"by {role}")
        assert response.status_code == expected[role], (role, response.text)
    assert session.exec(select(Decision).where(Decision.candidate_id == candidate.id)).all()
    history = client.get(f"/api/v1/candidates/{candidate.id}/decisions",
                         headers=auth_headers(client, team.manager))
    assert history.status_code == 200
    assert [d["note"] for d in history.json()] == ["by manager", "by hr", "by admin"]
    for role, user in team.users().items():
        response = client.get(f"/api/v1/candidates/{candidate.id}/decisions",
                              headers=auth_headers(client, user))
        assert response.status_code == VISIBILITY[role], role


def test_a_decision_is_stored_with_who_and_when_audited_and_changes_nothing_else(
    client, session, team
):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    response = _decide(client, team.manager, candidate.id, decision="reject",
                       note="  Not enough key-account experience.  ")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["decision"] == "reject" and body["note"] == "Not enough key-account experience."
    assert body["user_id"] == team.manager.id and body["user_name"] == team.manager.full_name
    assert body["created_at"]
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "candidate.decision")
    ).one()
    assert entry.actor_user_id == team.manager.id and entry.object_id == str(candidate.id)
    assert entry.details == {"decision_id": body["id"], "decision": "reject",
                             "score_id": body["score_id"]}
    assert session.get(Candidate, candidate.id).status == "completed"


def test_bad_decisions_are_a_422_naming_the_field(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    for body, field in (
        ({"decision": "fire"}, "decision"),
        ({}, "decision"),
        ({"decision": "hire", "note": "x" * 4001}, "note"),
        ({"decision": "hire", "score": 99}, "score"),
    ):
        response = _decide(client, team.hr, candidate.id, **body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["field"] == field
    assert _decide(client, team.hr, 424242, decision="hire").status_code == 404


def test_a_decision_keeps_the_score_it_was_based_on_through_a_rescore(client, session, team):
    from app.scores.models import Score

    candidate, _ = complete(session, position=team.position, actor=team.hr, ability=0.7)
    score = session.exec(select(Score).where(Score.candidate_id == candidate.id)).one()
    before = score.fit_score
    body = _decide(client, team.hr, candidate.id, decision="hold", note="later").json()
    assert body["score_id"] == score.id and body["scoring_version"] == score.scoring_version
    assert body["basis"]["fit_score"] == before
    # New weights rescore the candidate; the decision still says what it saw.
    patched = client.patch(f"/api/v1/positions/{team.position.id}",
                           headers=auth_headers(client, team.hr),
                           json={"weights": {"commercial_knowledge": 0.5, "languages": 0.5}})
    assert patched.status_code == 200
    session.refresh(score)
    assert score.fit_score != before
    [listed] = client.get(f"/api/v1/candidates/{candidate.id}/decisions",
                          headers=auth_headers(client, team.hr)).json()
    assert listed["score_id"] == score.id and listed["basis"]["fit_score"] == before
    report = client.get(f"/api/v1/candidates/{candidate.id}/report",
                        headers=auth_headers(client, team.hr)).json()
    assert report["decisions"][0]["basis"]["fit_score"] == before


def test_going_ahead_past_a_missed_requirement_needs_a_reason(client, session, team):
    team.position.knockouts = {"min_years_key_accounts": 10}  # everyone states 4
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    for decision in ("advance", "hire"):
        refused = _decide(client, team.hr, candidate.id, decision=decision, note="  ")
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["field"] == "note"
        assert "min_years_key_accounts" in refused.json()["detail"][0]["msg"]
    assert session.exec(select(Decision)).all() == []
    assert _decide(client, team.hr, candidate.id, decision="reject").status_code == 201
    reasoned = _decide(client, team.hr, candidate.id, decision="advance",
                       note="Ten years as a retail buyer: the same accounts, other side.")
    assert reasoned.status_code == 201
    assert reasoned.json()["basis"]["requirements_passed"] is False


def test_the_page_asks_why_before_hiring_past_a_missed_requirement(client, session, team):
    import html
    import re

    from tests.factories import login_browser

    team.position.knockouts = {"min_years_sales": 20}
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    login_browser(client, team.manager)
    path = f"/candidates/{candidate.id}"
    report = client.get(path).text
    assert "This candidate missed a requirement: to advance or hire, write why." in report

    def csrf(text):
        return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)

    asked = client.post(f"{path}/decision", data={"csrf_token": csrf(report), "decision": "hire"})
    page = html.unescape(asked.text)
    assert asked.status_code == 200 and "Why go ahead anyway? (required)" in page
    assert "Years in sales: 6 (needs 20)" in page  # what was missed, in words
    blank = client.post(f"{path}/decision", data={"csrf_token": csrf(asked.text),
                                                  "decision": "hire", "confirm": "1"})
    assert blank.status_code == 422 and "Write the reason" in blank.text
    assert session.exec(select(Decision)).all() == []
    done = client.post(f"{path}/decision", follow_redirects=False, data={
        "csrf_token": csrf(blank.text), "decision": "hire", "confirm": "1",
        "note": "Six years in B2B sales that count double: all key accounts."})
    assert done.status_code == 303
    [row] = session.exec(select(Decision)).all()
    assert row.decision == "hire" and "min_years_sales" in row.basis["requirements_missed"]
