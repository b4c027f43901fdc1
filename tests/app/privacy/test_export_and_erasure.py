"""GDPR: a candidate's data export and erasure (SPEC §5), admins only."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlmodel import select

from app.assessments.models import Answer, Attempt
from app.audit.models import AuditEntry
from app.candidates.models import Candidate, Decision, Invitation
from app.norms import service as norm_service
from app.outbox.models import OutboxMessage
from app.privacy import service as privacy_service
from app.scores.models import Score
from tests.app.reports.scenario import complete
from tests.factories import SCREENING, auth_headers, invite_candidate

NAME, EMAIL = "Zoë D'Angelo-Ferri", "zoe.dangelo@example.it"


def _completed(session, team, **overrides):
    candidate, attempt = complete(session, position=team.position, actor=team.hr,
                                  full_name=NAME, email=EMAIL, extra_time_pct=25, **overrides)
    return candidate, attempt


def _decide(client, user, candidate_id, note="Strong with distributors; call back in May."):
    response = client.post(f"/api/v1/candidates/{candidate_id}/decision",
                           headers=auth_headers(client, user),
                           json={"decision": "advance", "note": note})
    assert response.status_code == 201, response.text
    return response.json()


def test_only_the_organizations_admins_may_export_or_erase(client, session, team):
    candidate, _ = invite_candidate(session, position=team.position, actor=team.hr)
    expected = {"hr": 403, "manager": 403, "other_manager": 403, "outsider": 404}
    headers = {role: auth_headers(client, team.users()[role]) for role in expected}
    for method, path in (("GET", "/export"), ("GET", "/export.pdf"), ("DELETE", "")):
        url = f"/api/v1/candidates/{candidate.id}{path}"
        assert client.request(method, url).status_code == 401
        for role, code in expected.items():
            response = client.request(method, url, headers=headers[role])
            assert response.status_code == code, (method, path, role, response.text)
        missing = client.request(method, "/api/v1/candidates/999999" + path,
                                 headers=auth_headers(client, team.admin))
        assert missing.status_code == 404
    assert session.get(Candidate, candidate.id).erased_at is None


def test_the_export_holds_everything_about_the_candidate_and_no_secrets(client, session, team):
    candidate, attempt = _completed(session, team)
    decision = _decide(client, team.manager, candidate.id)
    headers = auth_headers(client, team.admin)

    response = client.get(f"/api/v1/candidates/{candidate.id}/export", headers=headers)

    assert response.status_code == 200, response.text
    data = response.json()
    assert data["format"] == privacy_service.EXPORT_FORMAT
    assert data["candidate"]["full_name"] == NAME and data["candidate"]["email"] == EMAIL
    assert data["candidate"]["extra_time_pct"] == 25
    assert data["position"] == {"id": team.position.id, "title": team.position.title}
    [invitation] = data["invitations"]
    assert invitation["used_at"] and invitation["expires_at"] and "token_hash" not in invitation
    exported = data["attempt"]
    assert exported["id"] == attempt.id and exported["consent_at"]
    assert exported["screening"] == {**SCREENING, "variable_pay": None}  # asked since v2
    assert exported["first_ip"] == "127.0.0.1" and exported["first_user_agent"] == "pytest"
    stored = session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert len(exported["answers"]) == len(stored) > 0
    assert all(a["saved_at"] and a["elapsed_ms"] == 6000 for a in exported["answers"])
    assert exported["sections"] and exported["score"]["fit_score"] is not None
    assert [d["note"] for d in data["decisions"]] == [decision["note"]]
    # The invitation and the confirmation that the answers arrived.
    assert len(data["messages"]) == 2
    for mail in data["messages"]:
        assert mail["kind"] == "email" and mail["to"] == EMAIL and "text" not in mail
    assert [e["action"] for e in data["audit"]] == ["candidate.decision"]
    assert data["audit"][0]["actor"] == team.manager.full_name and "ip" not in data["audit"][0]
    text = response.text
    token_hash = session.exec(select(Invitation.token_hash)).first()
    assert "token_hash" not in text and token_hash not in text
    assert "password_hash" not in text and "$argon2" not in text
    assert "/a/" not in text  # the personal link is a credential
    # Taking a copy is itself audited.
    export_entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "candidate.export")
    ).one()
    assert export_entry.actor_user_id == team.admin.id
    assert export_entry.details == {"format": "json"}


def test_the_export_as_pdf_is_a_readable_document(client, session, team):
    candidate, _ = _completed(session, team)
    response = client.get(f"/api/v1/candidates/{candidate.id}/export.pdf",
                          headers=auth_headers(client, team.admin))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f"candidate-{candidate.id}-data.pdf" in response.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "D'Angelo-Ferri" in text and EMAIL in text and "127.0.0.1" in text
    assert "Screening form" in text


def _erase(client, user, candidate_id):
    return client.delete(f"/api/v1/candidates/{candidate_id}", headers=auth_headers(client, user))


def test_erasure_removes_the_person_everywhere_and_keeps_the_anonymous_score(
    client, session, team
):
    candidate, attempt = _completed(session, team)
    _decide(client, team.hr, candidate.id)
    fit = session.exec(select(Score.fit_score).where(Score.attempt_id == attempt.id)).one()
    answers_before = len(session.exec(select(Answer).where(Answer.attempt_id == attempt.id)).all())

    response = _erase(client, team.admin, candidate.id)

    assert response.status_code == 204 and response.content == b""
    placeholder = f"Erased candidate #{candidate.id}"
    admin = auth_headers(client, team.admin)
    pipeline = client.get(f"/api/v1/positions/{team.position.id}/candidates", headers=admin)
    [row] = pipeline.json()["items"]
    assert row["full_name"] == placeholder and row["email"] == f"erased-{candidate.id}@invalid"
    assert row["fit_score"] == pytest.approx(fit)
    searched = client.get(f"/api/v1/positions/{team.position.id}/candidates",
                          params={"q": "angelo"}, headers=admin)
    assert searched.json()["total"] == 0
    report = client.get(f"/api/v1/candidates/{candidate.id}/report", headers=admin)
    assert report.status_code == 200 and report.json()["screening"] == {}
    export = client.get(f"/api/v1/candidates/{candidate.id}/export", headers=admin)
    for response in (pipeline, report, export):
        for personal in ("Zo\u00eb", "D'Angelo", "dangelo", "127.0.0.1", "pytest", "distributors"):
            assert personal not in response.text, personal
    data = export.json()
    assert data["candidate"]["erased_at"] and data["candidate"]["extra_time_pct"] == 0
    assert data["attempt"]["screening"] == {} and data["attempt"]["integrity"] == {}
    assert data["attempt"]["first_ip"] is None and data["attempt"]["first_user_agent"] is None
    assert len(data["attempt"]["answers"]) == answers_before
    assert all(a["elapsed_ms"] is None for a in data["attempt"]["answers"])
    assert data["attempt"]["score"]["fit_score"] == pytest.approx(fit)
    assert data["attempt"]["score"]["flags"] == []
    assert data["messages"] == []  # the invitation e-mail (name, address, link) is gone
    [decision] = data["decisions"]
    assert decision["decision"] == "advance" and decision["note"] == ""
    assert all(i["revoked_at"] for i in data["invitations"])
    assert session.get(Candidate, candidate.id).status == "completed"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "candidate.erase")).one()
    assert entry.actor_user_id == team.admin.id and entry.object_id == str(candidate.id)
    assert entry.details == {"reason": "request", "by": "user"}


def test_erasing_twice_is_a_204_that_changes_nothing(client, session, team):
    candidate, _ = invite_candidate(session, position=team.position, actor=team.hr)
    assert _erase(client, team.admin, candidate.id).status_code == 204
    erased_at = session.get(Candidate, candidate.id).erased_at

    assert _erase(client, team.admin, candidate.id).status_code == 204

    assert session.get(Candidate, candidate.id).erased_at == erased_at
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "candidate.erase")).all()
    assert len(entries) == 1
    assert _erase(client, team.outsider, candidate.id).status_code == 404


def test_an_unfinished_attempt_is_deleted_and_the_link_withdrawn(client, session, team):
    candidate, token = invite_candidate(session, position=team.position, actor=team.hr)
    started = client.post(f"/api/v1/assessments/{token}/start",
                          json={"consent": True, "screening": SCREENING})
    assert started.status_code == 200, started.text

    assert _erase(client, team.admin, candidate.id).status_code == 204

    assert session.exec(select(Attempt).where(Attempt.candidate_id == candidate.id)).all() == []
    assert session.get(Candidate, candidate.id).status == "revoked"
    assert client.get(f"/api/v1/assessments/{token}").status_code == 410
    pending = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    assert pending == []  # the invitation e-mail is not sent to an erased candidate


def test_norms_rebuilt_after_erasure_still_count_the_anonymous_scores(client, session, team):
    for seed in range(3):
        last, _ = complete(session, position=team.position, actor=team.hr, seed=seed)
    assert _erase(client, team.admin, last.id).status_code == 204

    rows = norm_service.rebuild(session, organization_id=team.admin.organization_id)

    assert rows and all(row.n == 3 for row in rows)


def test_the_erasure_placeholder_is_the_only_name_left(session, team):
    candidate, _ = _completed(session, team)
    _decision = Decision(organization_id=candidate.organization_id, candidate_id=candidate.id,
                         user_id=team.hr.id, decision="hold", note=f"Met {NAME}")
    session.add(_decision)
    session.flush()

    assert privacy_service.erase(session, candidate=candidate, actor=None, reason="test")

    def dump(model):
        return json.dumps([row.model_dump(mode="json") for row in session.exec(select(model))])

    for model in (Candidate, Attempt, Answer, Score, Decision, OutboxMessage, AuditEntry):
        text = dump(model)
        assert "Angelo" not in text and "dangelo" not in text, model.__name__
