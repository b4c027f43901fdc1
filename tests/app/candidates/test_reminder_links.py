"""Reminders repeat the invitation's link, rebuilt from its nonce and the secret key; links
that cannot be rebuilt (no nonce, another key) keep pointing to the invitation e-mail.

The e-mails go through a real SMTP server (aiosmtpd) and the links are opened in the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlmodel import Session, select

from app.candidates import links, reminders
from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.core.config import get_settings
from app.outbox.models import OutboxMessage
from app.positions.models import Position
from app.worker.delivery import Outgoing, SmtpSender
from tests.app.worker.conftest import SmtpServer
from tests.factories import create_position, create_user, invite_candidate

HTML = {"Accept": "text/html"}
LINK = re.compile(r"http://testserver/a/[A-Za-z0-9_-]+")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def _deliver(session: Session, smtp: SmtpServer, candidate_id: int) -> list[EmailMessage]:
    """Send the candidate's queued e-mails through the SMTP server; what it received."""
    sender = SmtpSender(smtp.url, "KAM Assess <no-reply@kam.example>")
    for message in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all():
        if message.payload["reference"].get("candidate_id") == candidate_id:
            sender.send(Outgoing(id=message.id, kind=message.kind,
                                 organization_id=message.organization_id,
                                 payload=dict(message.payload), attempts=0,
                                 created_at=message.created_at))
    return smtp.mailbox.messages


def _body(message: EmailMessage) -> str:
    return message.get_content() if not message.is_multipart() else \
        message.get_body(("plain",)).get_content()


def _invite(session: Session, **overrides) -> tuple[Candidate, Invitation]:
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"],
                               invitation_expiry_days=7)
    candidate, _token = invite_candidate(session, position=position, actor=hr, **overrides)
    return candidate, candidate_service.latest_invitation(session, candidate_id=candidate.id)


def _remind(session: Session, invitation: Invitation, kind: str = "unstarted") -> None:
    later = utcnow() + timedelta(hours=49 if kind == "unstarted" else 24 * 6 + 1)
    assert reminders.send(session, invitation_id=invitation.id, kind=kind, now=later)


def test_the_reminder_carries_the_invitation_link_and_it_opens_the_assessment(
    client, session, smtp
):
    candidate, invitation = _invite(session, full_name="Gino Lento", language="it")
    _remind(session, invitation)
    invitation_mail, reminder_mail = _deliver(session, smtp, candidate.id)
    [link] = LINK.findall(_body(invitation_mail))
    assert reminder_mail["Subject"].startswith("Promemoria")
    reminder = _body(reminder_mail)
    assert LINK.findall(reminder) == [link]
    assert "Apri il tuo link personale:" in reminder
    assert "chiedi" not in reminder.lower()  # no "ask for a new link": the link is there
    page = client.get(link.removeprefix("http://testserver"), headers=HTML)
    assert page.status_code == 200 and "Gino Lento" in page.text


def test_the_stored_nonce_and_the_secret_key_rebuild_the_token_but_the_nonce_alone_does_not(
    session,
):
    _candidate, invitation = _invite(session)
    token = links.recover(invitation)
    assert token is not None and len(token) == 43  # 256 bits, base64url
    assert candidate_service.find_by_token(session, token=token)[0].id == invitation.id
    assert links.derive(invitation.link_nonce, secret_key="another key") != token
    assert len(invitation.link_nonce) >= 22  # a 128-bit random nonce


def test_a_resent_invitations_reminder_carries_only_the_new_link(client, session, smtp):
    candidate, old = _invite(session)
    old_link = candidate_service.invitation_url("http://testserver", links.recover(old))
    position = session.get(Position, candidate.position_id)
    new, _token = candidate_service.resend(session, candidate=candidate, position=position,
                                           base_url="http://testserver")
    later = utcnow() + timedelta(hours=49)
    # The revoked link is no longer due, and asking for it anyway sends nothing.
    assert reminders.due(session, now=later) == [(new.id, "unstarted")]
    assert not reminders.send(session, invitation_id=old.id, kind="unstarted", now=later)
    _remind(session, new)
    *_invitations, reminder_mail = _deliver(session, smtp, candidate.id)
    reminder = _body(reminder_mail)
    [link] = LINK.findall(reminder)
    assert link != old_link and old_link not in reminder
    assert client.get(old_link.removeprefix("http://testserver"), headers=HTML).status_code == 410
    page = client.get(link.removeprefix("http://testserver"), headers=HTML)
    assert page.status_code == 200 and candidate.full_name in page.text


def test_a_revoked_invitation_gets_no_reminder(session, smtp):
    candidate, invitation = _invite(session)
    candidate_service.revoke(session, candidate=candidate)
    later = utcnow() + timedelta(hours=49)
    assert reminders.due(session, now=later) == []
    assert not reminders.send(session, invitation_id=invitation.id, kind="unstarted", now=later)
    assert len(_deliver(session, smtp, candidate.id)) == 1  # the invitation only


def test_an_invitation_without_nonce_gets_the_old_wording(session, smtp):
    candidate, invitation = _invite(session, language="en")
    invitation.link_nonce = None  # as made before links were derived
    session.add(invitation)
    session.flush()
    _remind(session, invitation, kind="expiry")
    _invitation_mail, reminder_mail = _deliver(session, smtp, candidate.id)
    reminder = _body(reminder_mail)
    assert LINK.findall(reminder) == []
    assert "Your personal link is in our e-mail of" in reminder
    assert "ask" in reminder and "for a new link" in reminder


def test_after_the_secret_key_changes_reminders_fall_back_to_the_old_wording(
    session, smtp, monkeypatch
):
    candidate, invitation = _invite(session)
    monkeypatch.setattr(get_settings(), "secret_key", "a different secret key, rotated " * 2)
    assert links.recover(invitation) is None
    _remind(session, invitation)
    _invitation_mail, reminder_mail = _deliver(session, smtp, candidate.id)
    reminder = _body(reminder_mail)
    assert LINK.findall(reminder) == []
    assert "Your personal link is in our e-mail of" in reminder
