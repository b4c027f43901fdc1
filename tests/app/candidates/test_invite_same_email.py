"""POST /api/v1/positions/{id}/candidates with an e-mail the position already has:
``on_duplicate`` invites again (default), refuses, or resends the earlier candidate's link."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.audit.models import AuditEntry
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.ops import ratelimit
from app.outbox.models import OutboxMessage
from tests.factories import auth_headers

HTML = {"Accept": "text/html"}
EMAIL = "doppia@example.com"


def _count(session: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _audited(session: Session, action: str) -> int:
    return _count(session, AuditEntry, AuditEntry.action == action)


@pytest.fixture
def invited(client, session, team):  # type: ignore[no-untyped-def]
    """The API path, the HR user's headers and a first candidate invited with EMAIL."""
    headers = auth_headers(client, team.hr)
    path = f"/api/v1/positions/{team.position.id}/candidates"
    first = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL}, headers=headers)
    assert first.status_code == 201
    return path, headers, first.json()


def test_by_default_a_second_candidate_is_invited_and_the_first_named(client, invited):
    path, headers, first = invited
    second = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL.upper(),
                                     "on_duplicate": "invite"}, headers=headers)
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert second.json()["already_invited"] == [first["id"]]
    assert second.json()["resent"] is False


def test_refuse_answers_409_naming_the_candidate_and_does_nothing(client, session, invited):
    path, headers, first = invited
    before = (_count(session, Candidate), _count(session, OutboxMessage),
              _audited(session, "candidate.invite"))
    refused = client.post(path, json={"full_name": "Dora D.", "email": EMAIL,
                                      "on_duplicate": "refuse"}, headers=headers)
    assert refused.status_code == 409
    assert f"candidate {first['id']}" in refused.json()["detail"]
    assert (_count(session, Candidate), _count(session, OutboxMessage),
            _audited(session, "candidate.invite")) == before


def test_refuse_invites_an_e_mail_the_position_does_not_have(client, invited):
    path, headers, _first = invited
    answer = client.post(path, json={"full_name": "Nuova", "email": "nuova@example.com",
                                     "on_duplicate": "refuse"}, headers=headers)
    assert answer.status_code == 201 and answer.json()["already_invited"] == []


def test_resend_gives_the_earlier_candidate_a_fresh_link_like_the_resend_endpoint(
    client, session, invited
):
    path, headers, first = invited
    old_link = first["invitation_url"].removeprefix("http://testserver")
    candidates, invites = _count(session, Candidate), _audited(session, "candidate.invite")
    answer = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL,
                                     "on_duplicate": "resend"}, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == first["id"] and body["resent"] is True
    assert body["invitation_url"] != first["invitation_url"]
    assert _count(session, Candidate) == candidates
    assert _audited(session, "candidate.invite") == invites
    assert _audited(session, "candidate.resend") == 1
    # The old link is withdrawn, the new one opens the assessment, and it was e-mailed.
    assert client.get(old_link, headers=HTML).status_code == 410
    new_link = body["invitation_url"].removeprefix("http://testserver")
    assert client.get(new_link, headers=HTML).status_code == 200
    mails = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert body["invitation_url"] in mails[-1].payload["text"]


def test_resend_picks_the_candidate_who_has_not_finished(client, session, invited):
    path, headers, first = invited
    second = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL},
                         headers=headers).json()
    finished = session.get(Candidate, second["id"])
    finished.status = "completed"  # as submitting the assessment leaves it
    session.add(finished)
    session.flush()
    answer = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL,
                                     "on_duplicate": "resend"}, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["id"] == first["id"]
    assert answer.json()["already_invited"] == [second["id"]]


def test_resend_when_every_earlier_candidate_completed_is_a_409(client, session, invited):
    path, headers, first = invited
    done = session.get(Candidate, first["id"])
    done.status = "completed"
    session.add(done)
    session.flush()
    mails = _count(session, OutboxMessage)
    answer = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL,
                                     "on_duplicate": "resend"}, headers=headers)
    assert answer.status_code == 409
    assert "completed" in answer.json()["detail"] and str(first["id"]) in answer.json()["detail"]
    assert _count(session, OutboxMessage) == mails
    assert _count(session, Candidate, Candidate.email == EMAIL) == 1


def test_resend_of_a_revoked_candidate_is_a_409_naming_its_state(client, session, invited):
    path, headers, first = invited
    candidate_service.revoke(session, candidate=session.get(Candidate, first["id"]))
    answer = client.post(path, json={"full_name": "Dora Doppia", "email": EMAIL,
                                     "on_duplicate": "resend"}, headers=headers)
    assert answer.status_code == 409
    assert f"{first['id']} (revoked)" in answer.json()["detail"]


def test_an_unknown_choice_is_a_422(client, invited):
    path, headers, _first = invited
    answer = client.post(path, json={"full_name": "X", "email": EMAIL, "on_duplicate": "merge"},
                         headers=headers)
    assert answer.status_code == 422


def test_the_invitation_limit_applies_to_refuse_and_resend(client, session, invited, monkeypatch):
    path, headers, _first = invited
    monkeypatch.setattr(ratelimit, "INVITATIONS", ratelimit.Limit(
        ratelimit.INVITATIONS.name, max_events=2, window=ratelimit.INVITATIONS.window))
    resent = client.post(path, json={"full_name": "Dora", "email": EMAIL,
                                     "on_duplicate": "resend"}, headers=headers)
    assert resent.status_code == 200  # the second e-mail of the hour
    for choice in ("resend", "refuse", "invite"):
        blocked = client.post(path, json={"full_name": "Dora", "email": EMAIL,
                                          "on_duplicate": choice}, headers=headers)
        assert blocked.status_code == 429, choice
