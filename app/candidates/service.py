"""Candidates and their invitations: invite, resend, revoke, find by token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, literal
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.security import token_hash
from app.candidates import links
from app.candidates.models import Candidate, Invitation
from app.candidates.schemas import CandidateCreate, CandidatePublic
from app.core import tenancy
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import N_, Conflict, Gone, NotFound, Word
from app.core.i18n import gettext_for
from app.organizations import service as organization_service
from app.organizations.models import Organization
from app.outbox import service as outbox
from app.positions import service as position_service
from app.positions.models import Position


def invitation_url(base_url: str, token: str) -> str:
    """The link a candidate opens."""
    return f"{base_url.rstrip('/')}/a/{token}"


def get(session: Session, *, candidate_id: int, organization_id: int) -> Candidate:
    """A candidate of the organization, or 404."""
    candidate = tenancy.get(session, Candidate, candidate_id, organization_id)
    if candidate is None:
        raise NotFound(N_("No such candidate."))
    return candidate


def get_visible(session: Session, *, candidate_id: int, user: User) -> Candidate:
    """A candidate ``user`` may see: of the organization, in a position the user may see (a
    manager: an assigned one); anything else is a 404. Every handler that names a candidate
    in its path starts here."""
    candidate = get(session, candidate_id=candidate_id, organization_id=user.organization_id)
    position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate


def invite(
    session: Session,
    *,
    position: Position,
    data: CandidateCreate,
    actor: User,
    base_url: str,
    send_email: bool = True,
) -> tuple[Candidate, Invitation, str]:
    """Add a candidate to a position, create the invitation and queue its e-mail
    (``send_email=False`` only for simulated demo candidates, who have no inbox)."""
    if position.status != "open":
        raise Conflict(N_("This position is %(status)s; open it before inviting candidates."),
                       params={"status": Word(position.status)})
    candidate = Candidate(
        organization_id=position.organization_id,
        position_id=pk(position),
        full_name=data.full_name.strip(),
        email=str(data.email).lower(),
        language=data.language,
        extra_time_pct=data.extra_time_pct,
        created_by_id=actor.id,
    )
    session.add(candidate)
    session.flush()
    invitation, token = _new_invitation(session, candidate=candidate, position=position)
    if send_email:
        _queue_invitation_email(session, candidate=candidate, position=position,
                                invitation=invitation, url=invitation_url(base_url, token))
    return candidate, invitation, token


def _new_invitation(
    session: Session, *, candidate: Candidate, position: Position
) -> tuple[Invitation, str]:
    nonce, token = links.new()
    invitation = Invitation(
        candidate_id=pk(candidate),
        token_hash=token_hash(token),
        link_nonce=nonce,
        expires_at=utcnow() + timedelta(days=position.invitation_expiry_days),
    )
    session.add(invitation)
    session.flush()
    return invitation, token


#: The statuses in which a fresh link helps: the assessment has not been started.
RENEWABLE = ("invited", "expired")


def can_renew(candidate: Candidate) -> bool:
    """Whether a fresh link (copied or e-mailed) would help this candidate."""
    return candidate.erased_at is None and candidate.status in RENEWABLE


def renew_link(
    session: Session, *, candidate: Candidate, position: Position
) -> tuple[Invitation, str]:
    """Replace the unused link with a fresh one (the old one stops working); no e-mail."""
    if not can_renew(candidate):
        raise Conflict(N_("The candidate's assessment is %(status)s; a new link would not help."),
                       params={"status": Word(candidate.status)})
    now = utcnow()
    for old in _open_invitations(session, candidate_id=pk(candidate)):
        old.revoked_at = now
        session.add(old)
    invitation, token = _new_invitation(session, candidate=candidate, position=position)
    candidate.status = "invited"
    session.add(candidate)
    return invitation, token


def resend(
    session: Session, *, candidate: Candidate, position: Position, base_url: str
) -> tuple[Invitation, str]:
    """Replace an unused invitation with a fresh link and e-mail it again."""
    invitation, token = renew_link(session, candidate=candidate, position=position)
    _queue_invitation_email(session, candidate=candidate, position=position,
                            invitation=invitation, url=invitation_url(base_url, token))
    return invitation, token


def same_email(session: Session, *, position_id: int, email: str) -> list[Candidate]:
    """The candidates of the position already invited with this e-mail (erased ones aside)."""
    return list(
        session.exec(
            select(Candidate)
            .where(
                Candidate.position_id == position_id,
                Candidate.email == email.strip().lower(),
                col(Candidate.erased_at).is_(None),
            )
            .order_by(col(Candidate.id))
        )
    )


def latest_invitation(session: Session, *, candidate_id: int) -> Invitation | None:
    """The candidate's most recent link (the one that counts)."""
    return session.exec(
        select(Invitation)
        .where(Invitation.candidate_id == candidate_id)
        .order_by(col(Invitation.id).desc())
    ).first()


def invitation_count(session: Session, *, candidate_id: int) -> int:
    """How many links the candidate has been given (the first one and every renewal)."""
    return len(session.exec(select(Invitation.id).where(Invitation.candidate_id == candidate_id))
               .all())


def revoke(session: Session, *, candidate: Candidate) -> None:
    """Make the candidate's links unusable (an attempt in progress stops accepting answers)."""
    if candidate.status == "completed":
        raise Conflict(N_("The assessment is already completed; there is nothing to revoke."))
    now = utcnow()
    for invitation in session.exec(
        select(Invitation).where(Invitation.candidate_id == candidate.id,
                                 col(Invitation.revoked_at).is_(None))
    ):
        invitation.revoked_at = now
        session.add(invitation)
    candidate.status = "revoked"
    session.add(candidate)
    session.flush()


def _open_invitations(session: Session, *, candidate_id: int) -> list[Invitation]:
    return list(
        session.exec(
            select(Invitation).where(
                Invitation.candidate_id == candidate_id,
                col(Invitation.revoked_at).is_(None),
                col(Invitation.used_at).is_(None),
            )
        )
    )


def find_by_token(session: Session, *, token: str) -> tuple[Invitation, Candidate] | None:
    """The invitation and candidate behind a link, whatever their state (None if unknown)."""
    row = session.exec(
        select(Invitation, Candidate)
        .join(Candidate, col(Candidate.id) == Invitation.candidate_id)
        .where(Invitation.token_hash == token_hash(token))
    ).first()
    return (row[0], row[1]) if row else None


def by_token(session: Session, *, token: str) -> tuple[Invitation, Candidate]:
    """The invitation and candidate behind a link: 404 unknown, 410 revoked."""
    row = find_by_token(session, token=token)
    if row is None:
        raise NotFound(N_("This assessment link is not valid. Check that you copied all of it."))
    invitation, candidate = row
    if invitation.revoked_at is not None or candidate.erased_at is not None:
        raise Gone(N_("This assessment link has been withdrawn. Ask the company for a new one."))
    return invitation, candidate


# --- the invited/expired rule, in one place -----------------------------------------------
# An invitation is open while it is neither withdrawn nor past its expiry. A candidate stored
# as "invited" without an open invitation shows as "expired"; an unused link past its expiry
# can no longer be started. The pages, the API, the pipeline (in SQL) and the link all read
# these functions.


def open_invitation(candidate_id: Any, now: datetime) -> Any:
    """SQL: the candidate (an id, or the column ``Candidate.id`` in a bigger query) has an
    open invitation at ``now``."""
    return exists().where(
        Invitation.candidate_id == candidate_id,
        col(Invitation.revoked_at).is_(None),
        col(Invitation.expires_at) > now,
    )


def status_expression(now: datetime) -> Any:
    """SQL: a candidate's status at ``now``, ``expired`` for "invited" without an open
    invitation (one expression for a page of candidates)."""
    return case(
        (
            and_(col(Candidate.status) == "invited", ~open_invitation(Candidate.id, now)),
            literal("expired"),
        ),
        else_=Candidate.status,
    )


def effective_status(session: Session, *, candidate: Candidate, now: datetime | None = None) -> str:
    """The candidate's status, ``expired`` for an invitation nobody can use any more."""
    if candidate.status != "invited":
        return candidate.status
    usable = session.scalar(sql_select(open_invitation(candidate.id, now or utcnow())))
    return "invited" if usable else "expired"


def is_expired(invitation: Invitation, now: datetime | None = None) -> bool:
    """An unused invitation past its expiry can no longer be started."""
    return invitation.used_at is None and (now or utcnow()) >= invitation.expires_at


def public(candidate: Candidate) -> CandidatePublic:
    """The API view of a candidate."""
    return CandidatePublic.model_validate(candidate, from_attributes=True)


def _queue_invitation_email(
    session: Session, *, candidate: Candidate, position: Position, invitation: Invitation,
    url: str,
) -> None:
    organization = organization_service.get(session, candidate.organization_id)
    _ = gettext_for(candidate.language)
    company = organization.name if organization else ""
    subject = _("%(company)s invites you to an online assessment", company=company)
    lines = [
        _("Dear %(name)s,", name=candidate.full_name),
        "",
        _("%(company)s invites you to take an online assessment for the position "
          "\"%(position)s\".", company=company, position=position.title),
        _("It takes about %(minutes)d minutes, in timed sections; you can use a computer or a "
          "phone.", minutes=_battery_minutes(session, position, candidate.extra_time_pct)),
        "",
        *link_lines(_, url=url, organization=organization, invitation=invitation),
    ]
    email_candidate(session, candidate=candidate, subject=subject, lines=lines,
                    invitation_id=invitation.id)


def link_lines(
    _: Callable[..., str], *, url: str, organization: Organization | None, invitation: Invitation
) -> list[str]:
    """The e-mail lines that give the personal link, its expiry and the warning not to share
    it (the invitation and the reminders that repeat it)."""
    return [
        _("Open your personal link:"),
        url,
        "",
        _("The link is valid until %(date)s and can be used for one attempt.",
          date=organization_service.local_time(organization, invitation.expires_at)),
        _("Please do not share it."),
    ]


def email_candidate(session: Session, *, candidate: Candidate, subject: str, lines: list[str],
                    **reference: Any) -> None:
    """Queue an e-mail to the candidate, ``lines`` one a line. Its reference names the
    candidate (and whatever ``reference`` adds), so erasing the candidate finds it."""
    outbox.enqueue_email(
        session,
        organization_id=candidate.organization_id,
        to=candidate.email,
        subject=subject,
        text="\n".join(lines) + "\n",
        reference={"candidate_id": candidate.id, **reference},
    )


def _battery_minutes(session: Session, position: Position, extra_time_pct: int) -> int:
    from app.bank import service as bank_service

    seconds = sum(
        section.time_limit_s
        for key in position.questionnaires
        for section in bank_service.get(session, key=key).sections
    )
    return round(seconds * (1 + extra_time_pct / 100) / 60)
