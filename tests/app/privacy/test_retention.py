"""Retention: the worker erases candidates whose last activity is older than the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.audit.models import AuditEntry
from app.bank import service as bank_service
from app.candidates.models import Candidate, Decision, Invitation
from app.core.db import get_engine, session_scope
from app.core.migrations import upgrade
from app.organizations.models import Organization
from app.privacy import service as privacy_service
from app.worker.maintenance import run_once
from tests.factories import auth_headers, create_position, create_user, invite_candidate

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_months_are_calendar_months():
    assert privacy_service.months_before(NOW, 24) == datetime(2024, 11, 27, 10, 0, tzinfo=UTC)
    assert privacy_service.months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert privacy_service.months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def _aged(session, candidate, days):
    """Move the candidate's invitation into the past."""
    moment = NOW - timedelta(days=days)
    candidate.created_at = moment
    session.add(candidate)
    for invitation in session.exec(
        select(Invitation).where(Invitation.candidate_id == candidate.id)
    ):
        invitation.created_at = moment
        session.add(invitation)
    session.flush()
    return candidate


def test_only_candidates_inactive_for_longer_than_the_period_are_erased(session):
    hr = create_user(session, role="hr")
    organization = session.get(Organization, hr.organization_id)
    organization.retention_months = 12
    position = create_position(session, actor=hr, questionnaires=["english"])

    def candidate(days):
        return _aged(session, invite_candidate(session, position=position, actor=hr)[0], days)

    old = candidate(400)
    recent = candidate(300)
    decided = candidate(400)
    session.add(Decision(organization_id=organization.id, candidate_id=decided.id,
                         user_id=hr.id, decision="hold", created_at=NOW - timedelta(days=30)))
    other_hr = create_user(session, role="hr")  # another organization, the default 24 months
    other_position = create_position(session, actor=other_hr, questionnaires=["english"])
    elsewhere = _aged(session, invite_candidate(session, position=other_position,
                                                actor=other_hr)[0], 400)

    erased = privacy_service.erase_expired(session, organization_id=organization.id,
                                           months=12, now=NOW)
    erased_elsewhere = privacy_service.erase_expired(
        session, organization_id=other_hr.organization_id, months=24, now=NOW
    )

    assert erased == [old.id] and erased_elsewhere == []
    for kept in (recent, decided, elsewhere):
        assert session.get(Candidate, kept.id).erased_at is None
    assert session.get(Candidate, old.id).full_name == f"Erased candidate #{old.id}"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "candidate.erase")).one()
    assert entry.actor_user_id is None and entry.organization_id == organization.id
    assert entry.details == {"reason": "retention", "by": "system", "retention_months": 12}
    # Already erased: the next pass leaves it alone.
    assert privacy_service.erase_expired(session, organization_id=organization.id,
                                         months=12, now=NOW) == []


def test_the_worker_pass_applies_retention(fresh_database):
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        old, _ = invite_candidate(session, position=position, actor=hr)
        fresh, _ = invite_candidate(session, position=position, actor=hr)
        _aged(session, old, 800)
        _aged(session, fresh, 1)
        old_id, fresh_id = old.id, fresh.id

    report = run_once(get_engine(), now=NOW)

    assert report.erased == [old_id]
    with session_scope(read_only=True) as session:
        assert session.get(Candidate, old_id).erased_at is not None
        assert session.get(Candidate, fresh_id).erased_at is None
    assert run_once(get_engine(), now=NOW).erased == []


def test_admins_read_and_set_the_retention_period(client, session):
    admin = create_user(session, role="admin")
    hr = create_user(session, role="hr", organization=session.get(Organization,
                                                                  admin.organization_id))
    outsider = create_user(session, role="admin")
    headers = auth_headers(client, admin)

    current = client.get("/api/v1/organization", headers=headers)
    assert current.status_code == 200 and current.json()["retention_months"] == 24

    changed = client.patch("/api/v1/organization", headers=headers, json={"retention_months": 6})
    assert changed.status_code == 200 and changed.json()["retention_months"] == 6
    assert session.get(Organization, admin.organization_id).retention_months == 6
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "organization.retention")
    ).one()
    assert entry.details == {"from": 24, "to": 6}

    for body in ({"retention_months": 0}, {"retention_months": 121}, {"retention_months": "x"},
                 {}, {"retention_months": 6, "name": "Other"}):
        response = client.patch("/api/v1/organization", headers=headers, json=body)
        assert response.status_code == 422, body
    assert client.get("/api/v1/organization").status_code == 401
    assert client.patch("/api/v1/organization", json={"retention_months": 3}).status_code == 401
    hr_headers = auth_headers(client, hr)
    assert client.get("/api/v1/organization", headers=hr_headers).status_code == 403
    assert client.patch("/api/v1/organization", headers=hr_headers,
                        json={"retention_months": 3}).status_code == 403
    # Another organization's admin only ever sees and changes their own organization.
    theirs = client.get("/api/v1/organization", headers=auth_headers(client, outsider))
    assert theirs.json()["id"] == outsider.organization_id
    assert theirs.json()["retention_months"] == 24
