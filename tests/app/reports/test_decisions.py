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
    assert entry.details == {"decision_id": body["id"], "decision": "reject"}
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
