"""A candidate's link from the staff pages: copy a fresh link, e-mail it again, revoke it,
erase the candidate. Each action is a POST from the candidate page or the pipeline, audited.

A fresh link is shown once, on the answer to its POST (only its hash is stored, so it cannot
be shown again later); the other actions redirect back (POST → redirect → GET) with a note
of what was done.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.audit import service as audit
from app.auth.dependencies import CsrfChecked, PageUser, client_ip
from app.auth.models import Role, User
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.config import get_settings
from app.db import SessionDep, SessionRoute
from app.errors import Conflict, Forbidden
from app.i18n import gettext_for
from app.positions import service as position_service
from app.positions.models import Position
from app.privacy import service as privacy_service
from app.ratelimit import enforce_invitations
from app.templating import render

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

HR_ROLES = (Role.admin.value, Role.hr.value)
#: What a page may show after an action (``?done=…``); anything else shows nothing.
DONE = ("resent", "revoked", "erased")
Back = Annotated[str, Form(max_length=20)]


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _hr_candidate(session: Session, user: User, candidate_id: int) -> tuple[Candidate, Position]:
    """The candidate and position behind the path, for HR of the same organization."""
    if user.role not in HR_ROLES:
        raise Forbidden()
    candidate = candidate_service.get(session, candidate_id=candidate_id,
                                      organization_id=user.organization_id)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate, position


def _renewable(request: Request, candidate: Candidate) -> None:
    _ = gettext_for(_lang(request))
    if candidate.erased_at is not None:
        raise Conflict(_("This candidate's data has been erased; there is no link to renew."))
    if not candidate_service.can_renew(candidate):
        raise Conflict(
            _("%(name)s has already started or finished the assessment (%(status)s): a new "
              "link would not help.", name=candidate.full_name, status=_(candidate.status))
        )


def back_url(candidate: Candidate, back: str, done: str | None = None) -> str:
    """Where an action returns to: the pipeline or the candidate page (never a given URL)."""
    query = f"?done={done}" if done else ""
    if back == "pipeline":
        query = f"{query}&candidate={candidate.id}" if done else ""
        return f"/positions/{candidate.position_id}{query}#pipeline-title"
    return f"/candidates/{candidate.id}{query}#invitation"


@router.post("/candidates/{candidate_id:int}/link", dependencies=[CsrfChecked],
             response_class=HTMLResponse)
def copy_link_again(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """A fresh link to copy (the old one stops working); no e-mail is sent."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    _renewable(request, candidate)
    enforce_invitations(session, user_id=user.id, language=_lang(request))
    invitation, token = candidate_service.renew_link(session, candidate=candidate,
                                                     position=position)
    audit.record(session, actor=user, action="candidate.new_link", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    response = render(request, "candidates/link.html", {
        "candidate": candidate,
        "position": position,
        "url": candidate_service.invitation_url(get_settings().base_url, token),
        "expires_at": invitation.expires_at,
        "back": back_url(candidate, back),
    })
    # The link is a credential: never kept by a cache, never shown again on Back.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/candidates/{candidate_id:int}/resend", dependencies=[CsrfChecked])
def resend_email(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """E-mail a fresh link again (the old one stops working)."""
    candidate, position = _hr_candidate(session, user, candidate_id)
    _renewable(request, candidate)
    enforce_invitations(session, user_id=user.id, language=_lang(request))
    candidate_service.resend(session, candidate=candidate, position=position,
                             base_url=get_settings().base_url)
    audit.record(session, actor=user, action="candidate.resend", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    return RedirectResponse(back_url(candidate, back, "resent"), status_code=303)


@router.post("/candidates/{candidate_id:int}/revoke", dependencies=[CsrfChecked])
def revoke_link(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """Withdraw the candidate's link; an attempt in progress stops accepting answers."""
    candidate, _position = _hr_candidate(session, user, candidate_id)
    _ = gettext_for(_lang(request))
    if candidate.status == "completed":
        raise Conflict(_("The assessment is already completed; there is nothing to revoke."))
    if candidate.status != "revoked":
        candidate_service.revoke(session, candidate=candidate)
        audit.record(session, actor=user, action="candidate.revoke", object_type="candidate",
                     object_id=candidate.id, ip=client_ip(request))
        session.commit()
    return RedirectResponse(back_url(candidate, back, "revoked"), status_code=303)


@router.post("/candidates/{candidate_id:int}/erase", dependencies=[CsrfChecked])
def erase(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser, back: Back = ""
) -> Response:
    """Erase (anonymise) the candidate, as the GDPR API does (admins only); repeatable."""
    if user.role != Role.admin.value:
        raise Forbidden()
    candidate, _position = _hr_candidate(session, user, candidate_id)
    privacy_service.erase(session, candidate=candidate, actor=user, ip=client_ip(request))
    session.commit()
    return RedirectResponse(back_url(candidate, back, "erased"), status_code=303)
