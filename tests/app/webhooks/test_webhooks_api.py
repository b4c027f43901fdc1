"""Webhook settings on the API, and events written to the outbox with their cause."""

from __future__ import annotations

import json

from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates import decisions as decision_service
from app.candidates.models import Decision
from app.organizations.models import Organization
from app.outbox.models import OutboxMessage
from app.webhooks import service as webhook_service
from tests.app.reports.scenario import complete
from tests.factories import auth_headers

URL = "https://hooks.example.com/kam"


def _put(client, headers, **body):
    return client.put("/api/v1/webhooks", headers=headers, json={"url": URL, **body})


def test_only_admins_of_the_organization_see_and_change_webhooks(client, team):
    for method in ("GET", "PUT", "DELETE"):
        body = {"url": URL} if method == "PUT" else None
        assert client.request(method, "/api/v1/webhooks", json=body).status_code == 401
        for role in ("hr", "manager"):
            headers = auth_headers(client, team.users()[role])
            response = client.request(method, "/api/v1/webhooks", headers=headers, json=body)
            assert response.status_code == 403, (method, role)
    admin = auth_headers(client, team.admin)
    assert _put(client, admin).status_code == 200
    # Another organization's admin sees their own (empty) settings, never ours.
    theirs = client.get("/api/v1/webhooks", headers=auth_headers(client, team.outsider))
    assert theirs.status_code == 200 and theirs.json()["configured"] is False
    assert theirs.json()["url"] is None


def test_the_secret_is_shown_once_on_creation_and_rotation(client, session, team):
    admin = auth_headers(client, team.admin)
    assert client.get("/api/v1/webhooks", headers=admin).json()["configured"] is False

    created = _put(client, admin, events=["decision.recorded"])

    assert created.status_code == 200, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) >= 49
    assert body["configured"] and body["url"] == URL and body["events"] == ["decision.recorded"]
    shown = client.get("/api/v1/webhooks", headers=admin).json()
    assert shown["secret"] is None and shown["secret_set"] is True
    assert secret not in json.dumps(shown)
    changed = _put(client, admin, url="https://hooks.example.com/v2")
    assert changed.json()["secret"] is None
    assert changed.json()["events"] == list(webhook_service.EVENTS)
    stored = webhook_service.config(session.get(Organization, team.admin.organization_id))
    assert stored.secret == secret and stored.url == "https://hooks.example.com/v2"

    rotated = _put(client, admin, rotate_secret=True).json()["secret"]

    assert rotated and rotated != secret
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "webhooks.update")).all()
    assert [e.details["secret_rotated"] for e in entries] == [True, False, True]
    assert all(secret not in json.dumps(e.details) and rotated not in json.dumps(e.details)
               for e in entries)

    assert client.delete("/api/v1/webhooks", headers=admin).status_code == 204
    assert client.get("/api/v1/webhooks", headers=admin).json()["configured"] is False
    assert client.delete("/api/v1/webhooks", headers=admin).status_code == 204


def test_bad_settings_are_a_422_naming_the_field(client, team):
    admin = auth_headers(client, team.admin)
    for body, field in (
        ({"url": "http://hooks.example.com/kam"}, "url"),
        ({"url": "ftp://hooks.example.com"}, "url"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["candidate.hired"]}, "events.0"),
        ({"url": URL, "secret": "mine"}, "secret"),
        ({}, "url"),
    ):
        response = client.put("/api/v1/webhooks", headers=admin, json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["field"] == field, response.json()


def test_an_inside_address_is_a_422_naming_the_url_unless_the_install_allows_it(
    client, team, monkeypatch
):
    from app.core.config import get_settings

    admin = auth_headers(client, team.admin)
    for url in ("http://127.0.0.1:8123/hook", "https://0x7f000001/", "https://[::ffff:127.0.0.1]/",
                "https://169.254.169.254/latest/meta-data", "https://100.64.0.1/",
                "https://localhost./hook", "https://10.1.2.3/"):
        response = client.put("/api/v1/webhooks", headers=admin, json={"url": url})
        assert response.status_code == 422, url
        [problem] = response.json()["detail"]
        assert problem["field"] == "url" and "public addresses only" in problem["message"], url
    assert client.get("/api/v1/webhooks", headers=admin).json()["configured"] is False

    monkeypatch.setenv("KAM_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    get_settings.cache_clear()
    try:
        local = client.put("/api/v1/webhooks", headers=admin,
                           json={"url": "http://127.0.0.1:8123/hook"})
        still = client.put("/api/v1/webhooks", headers=admin, json={"url": "https://10.1.2.3/"})
    finally:
        monkeypatch.delenv("KAM_WEBHOOK_ALLOW_NETWORKS")
        get_settings.cache_clear()
    assert local.status_code == 200  # KAM_ENV=test and allowed: a receiver on this machine
    assert still.status_code == 422


def _webhooks(session):
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")
                             .order_by(OutboxMessage.id)))


def test_events_are_written_with_their_cause_and_carry_no_personal_data(client, session, team):
    admin = auth_headers(client, team.admin)
    assert _put(client, admin).status_code == 200
    candidate, attempt = complete(session, position=team.position, actor=team.hr,
                                  full_name="Niccolò Bianchi", email="niccolo@example.it")
    decided = client.post(f"/api/v1/candidates/{candidate.id}/decision", headers=admin,
                          json={"decision": "hire", "note": "Call Niccolò on Monday"})
    assert decided.status_code == 201

    completed, recorded = _webhooks(session)

    assert completed.organization_id == team.admin.organization_id
    assert completed.payload["event"] == "assessment.completed"
    data = completed.payload["data"]
    assert data["candidate_id"] == candidate.id and data["attempt_id"] == attempt.id
    assert data["position_id"] == team.position.id and data["band"] in "ABCD"
    assert isinstance(data["fit_score"], float) and data["completed_at"]
    assert recorded.payload["event"] == "decision.recorded"
    assert recorded.payload["data"] == {
        "candidate_id": candidate.id, "position_id": team.position.id,
        "decision_id": decided.json()["id"], "decision": "hire", "user_id": team.admin.id,
        "at": recorded.payload["data"]["at"],
    }
    text = json.dumps([completed.payload, recorded.payload])
    assert "Niccol" not in text and "niccolo" not in text and "Monday" not in text


def test_no_event_without_a_subscription_or_without_its_cause(client, session, team):
    complete(session, position=team.position, actor=team.hr)  # nothing configured
    assert _webhooks(session) == []
    admin = auth_headers(client, team.admin)
    assert _put(client, admin, events=["decision.recorded"]).status_code == 200
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    assert _webhooks(session) == []  # not subscribed to assessment.completed

    savepoint = session.begin_nested()
    decision_service.record(session, candidate=candidate, decision="hold", note="",
                            actor=team.hr)
    assert len(_webhooks(session)) == 1
    savepoint.rollback()  # the decision is not committed: neither is its event

    assert _webhooks(session) == [] and session.exec(select(Decision)).all() == []
