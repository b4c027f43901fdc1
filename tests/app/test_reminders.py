"""Reminder e-mails: 48 h unstarted, 24 h before expiry, once each, never after start/revoke."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.bank import service as bank_service
from app.candidates import reminders
from app.candidates import service as candidate_service
from app.candidates.models import Invitation
from app.core.clock import utcnow
from app.core.db import get_engine, session_scope
from app.core.migrations import upgrade
from app.outbox.models import OutboxMessage
from app.worker.maintenance import run_once
from tests.factories import SCREENING, create_position, create_user, invite_candidate


def _reminders(session, candidate_id: int) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            if m.payload["reference"].get("candidate_id") == candidate_id
            and m.payload["reference"].get("reminder")]


def _setup(session, **position):
    bank_service.publish(session)
    hr = create_user(session, role="hr")
    return hr, create_position(session, actor=hr, questionnaires=["english"], **position)


def test_unstarted_then_expiry_reminder_each_once_in_the_candidates_language(session):
    hr, position = _setup(session, invitation_expiry_days=7)
    candidate, _token = invite_candidate(session, position=position, actor=hr,
                                         language="it", full_name="Gino Lento")
    invited = utcnow()
    assert reminders.due(session, now=invited + timedelta(hours=47)) == []
    at_48h = invited + timedelta(hours=48, minutes=1)
    invitation_id = candidate_service.latest_invitation(session, candidate_id=candidate.id).id
    assert reminders.due(session, now=at_48h) == [(invitation_id, "unstarted")]
    assert reminders.send(session, invitation_id=invitation_id, kind="unstarted", now=at_48h)
    # Once only, even if asked again.
    assert not reminders.send(session, invitation_id=invitation_id, kind="unstarted", now=at_48h)
    assert reminders.due(session, now=at_48h + timedelta(hours=1)) == []
    last_day = invited + timedelta(days=6, hours=1)
    assert reminders.due(session, now=last_day) == [(invitation_id, "expiry")]
    assert reminders.send(session, invitation_id=invitation_id, kind="expiry", now=last_day)
    assert reminders.due(session, now=last_day + timedelta(hours=2)) == []
    sent = _reminders(session, candidate.id)
    assert [m.payload["reference"]["reminder"] for m in sent] == ["unstarted", "expiry"]
    assert sent[0].payload["subject"].startswith("Promemoria: la tua valutazione")
    assert sent[1].payload["subject"].startswith("Ultimo giorno")
    assert "Gino Lento" in sent[0].payload["text"]
    assert sent[0].payload["to"] == candidate.email
    assert sent[0].payload["text"].endswith("ignorare questo messaggio.\n")
    assert sent[0].payload["reference"] == {"candidate_id": candidate.id,
                                            "invitation_id": invitation_id,
                                            "reminder": "unstarted"}
    invitation = session.get(Invitation, invitation_id)
    assert [r["kind"] for r in reminders.sent(invitation)] == ["unstarted", "expiry"]
    # After expiry, nothing more.
    assert reminders.due(session, now=invited + timedelta(days=8)) == []


def test_no_reminder_after_start_revoke_or_with_reminders_off(session):
    hr, position = _setup(session)
    _started, token = invite_candidate(session, position=position, actor=hr)
    revoked, _ = invite_candidate(session, position=position, actor=hr)
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(session, ctx=ctx, ip=None, user_agent=None,
                             data=StartRequest(consent=True, screening=SCREENING))
    candidate_service.revoke(session, candidate=revoked)
    quiet = create_position(session, actor=hr, questionnaires=["english"],
                                     reminders=False)
    invite_candidate(session, position=quiet, actor=hr)
    later = utcnow() + timedelta(days=3)
    assert reminders.due(session, now=later) == []
    for invitation in session.exec(select(Invitation)).all():
        assert not reminders.send(session, invitation_id=invitation.id, kind="unstarted",
                                  now=later)


def test_a_short_link_gets_only_the_expiry_reminder_and_not_at_once(session):
    hr, position = _setup(session, invitation_expiry_days=2)
    invite_candidate(session, position=position, actor=hr)
    invited = utcnow()
    assert reminders.due(session, now=invited + timedelta(hours=1)) == []
    due = reminders.due(session, now=invited + timedelta(hours=25))
    assert [kind for _id, kind in due] == ["expiry"]


def test_the_worker_queues_due_reminders(fresh_database):
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        candidate, _ = invite_candidate(session, position=position, actor=hr)
        candidate_id = candidate.id
    report = run_once(get_engine(), now=utcnow() + timedelta(hours=49))
    assert [kind for _id, kind in report.reminded] == ["unstarted"]
    assert run_once(get_engine(), now=utcnow() + timedelta(hours=50)).reminded == []
    with session_scope(read_only=True) as session:
        assert len(_reminders(session, candidate_id)) == 1


def test_the_candidate_page_shows_when_reminders_were_sent(client, session):
    from tests.factories import login_browser

    hr, position = _setup(session)
    candidate, _ = invite_candidate(session, position=position, actor=hr)
    invitation = candidate_service.latest_invitation(session, candidate_id=candidate.id)
    assert reminders.send(session, invitation_id=invitation.id, kind="unstarted",
                          now=utcnow() + timedelta(hours=49))
    login_browser(client, hr)
    page = client.get(f"/candidates/{candidate.id}")
    assert 'id="reminders-sent"' in page.text
    assert "the assessment had not been started" in page.text


def test_the_position_form_switches_reminders_off(client, session):
    import re

    from app.positions.models import Position
    from tests.factories import login_browser

    hr, position = _setup(session)
    login_browser(client, hr)
    form_page = client.get(f"/positions/{position.id}/edit")
    assert 'id="reminders" name="reminders" value="on" checked' in form_page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_page.text).group(1)
    answer = client.post(f"/positions/{position.id}/edit", data={
        "csrf_token": csrf, "title": position.title, "questionnaires": ["english"],
        "language_hurdle": "B2", "invitation_expiry_days": "14", "ranking_mode": "fit",
    }, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:2000]
    session.expire_all()
    assert session.get(Position, position.id).reminders is False
