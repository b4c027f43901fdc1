"""Reminder e-mails to invited candidates, queued by the worker's maintenance pass.

Two reminders per link, each at most once, in the candidate's language, through the outbox:

* ``unstarted``: the link is :data:`UNSTARTED_AFTER` old and the assessment not started;
* ``expiry``: the link expires within :data:`EXPIRY_WITHIN` (and is at least that old, so a
  one-day link is not "reminded" the moment it is sent).

Never for a started, completed, revoked or erased candidate, nor for a position whose
reminders are off, nor for a closed position. A reminder repeats the link the invitation
e-mail carried, rebuilt from the invitation's nonce and the secret key
(app/candidates/links.py). A link made before nonces were stored, or under another secret
key, cannot be rebuilt: that reminder points to the invitation e-mail (its date and subject)
and says how to get a new link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from app.candidates import links
from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.i18n import gettext_for
from app.organizations import service as organization_service
from app.positions.models import Position

UNSTARTED_AFTER = timedelta(hours=48)
EXPIRY_WITHIN = timedelta(hours=24)
KINDS = ("unstarted", "expiry")
_COLUMN = {"unstarted": "reminded_unstarted_at", "expiry": "reminded_expiry_at"}


def _open_links() -> Any:
    """Links a reminder may concern: unused, unrevoked, of a candidate still invited, of an
    open position with reminders on."""
    return (
        # Ignored: SQLModel's select() is typed for at most four columns.
        select(Invitation.id, Invitation.created_at, Invitation.expires_at,  # type: ignore[call-overload]
               Invitation.reminded_unstarted_at, Invitation.reminded_expiry_at)
        .join(Candidate, Candidate.id == Invitation.candidate_id)
        .join(Position, Position.id == Candidate.position_id)
        .where(
            col(Invitation.revoked_at).is_(None),
            col(Invitation.used_at).is_(None),
            Candidate.status == "invited",
            col(Candidate.erased_at).is_(None),
            col(Candidate.is_demo).is_(False),
            col(Position.reminders).is_(True),
            Position.status == "open",
        )
    )


def due(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[
        tuple[int, str]]:
    """``[(invitation id, kind), ...]`` of the reminders to send now (a read)."""
    now = now or utcnow()
    statement = _open_links().where(
        Invitation.expires_at > now,
        or_(
            and_(col(Invitation.reminded_unstarted_at).is_(None),
                 col(Invitation.created_at) <= now - UNSTARTED_AFTER),
            and_(col(Invitation.reminded_expiry_at).is_(None),
                 col(Invitation.created_at) <= now - EXPIRY_WITHIN,
                 col(Invitation.expires_at) <= now + EXPIRY_WITHIN),
        ),
    ).order_by(Invitation.id).limit(limit)
    found = []
    for invitation_id, _created, expires_at, unstarted_at, expiry_at in session.exec(statement):
        # Close to expiry, the expiry reminder says all the unstarted one would: one e-mail.
        if expires_at <= now + EXPIRY_WITHIN:
            if expiry_at is None:
                found.append((invitation_id, "expiry"))
        elif unstarted_at is None:
            found.append((invitation_id, "unstarted"))
    return found


def send(session: Session, *, invitation_id: int, kind: str, now: datetime | None = None) -> bool:
    """Queue one reminder, once: False when it was sent already or is no longer due (the
    candidate started, the link was revoked). The caller commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    now = now or utcnow()
    row = session.exec(
        _open_links().where(Invitation.id == invitation_id, Invitation.expires_at > now)
    ).first()
    if row is None:
        return False
    column = getattr(Invitation, _COLUMN[kind])
    # Conditional, so two workers racing queue one e-mail.
    changed = session.exec(
        update(Invitation).where(col(Invitation.id) == invitation_id, col(column).is_(None))
        .values({_COLUMN[kind]: now})
    ).rowcount
    if changed != 1:
        return False
    invitation = session.get_one(Invitation, invitation_id)
    session.refresh(invitation)
    candidate = session.get_one(Candidate, invitation.candidate_id)
    position = session.get_one(Position, candidate.position_id)
    _queue(session, kind=kind, invitation=invitation, candidate=candidate, position=position)
    session.flush()
    return True


def _queue(
    session: Session, *, kind: str, invitation: Invitation, candidate: Candidate,
    position: Position,
) -> None:
    organization = organization_service.get(session, candidate.organization_id)
    company = organization.name if organization else ""
    _ = gettext_for(candidate.language)
    invitation_subject = _("%(company)s invites you to an online assessment", company=company)
    if kind == "unstarted":
        subject = _("Reminder: your assessment for %(position)s", position=position.title)
        opening = _("You have not started the online assessment for the position "
                    "\"%(position)s\" yet.", position=position.title)
    else:
        subject = _("Last day: your assessment for %(position)s", position=position.title)
        opening = _("Your link to the online assessment for the position \"%(position)s\" "
                    "expires on %(date)s.", position=position.title,
                    date=organization_service.local_time(organization,
                                                         invitation.expires_at))
    token = links.recover(invitation)
    if token is not None:
        url = candidate_service.invitation_url(get_settings().base_url, token)
        where = ["", *candidate_service.link_lines(_, url=url, organization=organization,
                                                    invitation=invitation)]
    else:
        where = [
            _("Your personal link is in our e-mail of %(date)s with the subject "
              "\"%(subject)s\".",
              date=invitation.created_at.strftime("%Y-%m-%d"), subject=invitation_subject),
            _("If you cannot find it, ask %(company)s for a new link.", company=company),
        ]
    lines = [
        _("Dear %(name)s,", name=candidate.full_name),
        "",
        opening,
        *where,
        "",
        _("If you have decided not to take part, you can ignore this message."),
    ]
    candidate_service.email_candidate(session, candidate=candidate, subject=subject, lines=lines,
                                      invitation_id=invitation.id, reminder=kind)


def sent(invitation: Invitation) -> list[dict[str, Any]]:
    """The reminders sent for a link, oldest first: ``[{"kind", "at"}, ...]``."""
    found = [
        {"kind": kind, "at": getattr(invitation, _COLUMN[kind])}
        for kind in KINDS
        if getattr(invitation, _COLUMN[kind]) is not None
    ]
    return sorted(found, key=lambda r: r["at"])
