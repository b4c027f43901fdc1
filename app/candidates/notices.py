"""E-mails about a completed assessment, queued in the completing transaction: a
confirmation to the candidate that the answers arrived (never a score), and a notice to each
staff member who asked for one (``User.notify_completions``) and may see the candidate."""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from app.auth.models import Role, User
from app.candidates.models import Candidate
from app.core.i18n import gettext_for
from app.core.tenancy import owned_by
from app.organizations import service as organization_service
from app.outbox import service as outbox
from app.positions.models import Position, PositionManager


def _recipients(session: Session, *, position: Position) -> list[User]:
    """Active staff of the organization who asked to be told and may see this position."""
    managers = select(PositionManager.user_id).where(PositionManager.position_id == position.id)
    return list(session.exec(
        select(User).where(
            owned_by(User, position.organization_id),
            col(User.is_active).is_(True),
            col(User.notify_completions).is_(True),
            or_(col(User.role).in_((Role.admin.value, Role.hr.value)),
                col(User.id).in_(managers)),
        ).order_by(col(User.id))
    ))


def completed(
    session: Session, *, candidate: Candidate, position: Position, base_url: str
) -> int:
    """Queue the confirmation and the staff notices; returns how many e-mails were queued.
    Simulated demo candidates and erased ones have no inbox."""
    if candidate.is_demo or candidate.erased_at is not None:
        return 0
    organization = organization_service.get(session, candidate.organization_id)
    company = organization.name if organization else ""
    _ = gettext_for(candidate.language)
    outbox.enqueue_email(
        session,
        organization_id=candidate.organization_id,
        to=candidate.email,
        subject=_("Your answers have arrived – %(company)s", company=company),
        text="\n".join([
            _("Dear %(name)s,", name=candidate.full_name),
            "",
            _("thank you: your answers to the assessment for the position \"%(position)s\" "
              "have arrived and are stored safely.", position=position.title),
            _("%(company)s will get in touch with you about the next steps.", company=company),
            "",
        ]) + "\n",
        reference={"candidate_id": candidate.id, "notice": "confirmation"},
    )
    queued = 1
    link = f"{base_url.rstrip('/')}/candidates/{candidate.id}"
    for user in _recipients(session, position=position):
        _staff_notice(session, user=user, candidate=candidate, position=position, link=link)
        queued += 1
    return queued


def _staff_notice(
    session: Session, *, user: User, candidate: Candidate, position: Position, link: str
) -> None:
    _ = gettext_for(user.language)
    outbox.enqueue_email(
        session,
        organization_id=candidate.organization_id,
        to=user.email,
        subject=_("%(name)s has completed the assessment", name=candidate.full_name),
        text="\n".join([
            _("%(name)s has completed the assessment for %(position)s.",
              name=candidate.full_name, position=position.title),
            _("Read the report:"),
            link,
            "",
            _("You get this e-mail because you asked for it; switch it off on your "
              "account page."),
        ]) + "\n",
        reference={"candidate_id": candidate.id, "notice": "completed", "user_id": user.id},
    )
