"""Inviting candidates, resending and revoking their links, on the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session

from app.audit import service as audit
from app.auth.dependencies import HrUser, client_ip
from app.auth.models import User
from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.candidates.schemas import CandidateInvite, CandidatePublic, InvitedCandidate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import Conflict
from app.ops.ratelimit import enforce_invitations
from app.positions import service as position_service
from app.positions.models import Position

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["candidates"])


def _invited(
    candidate: Candidate, invitation: Invitation, token: str, *,
    already_invited: list[int] | None = None, resent: bool = False,
) -> InvitedCandidate:
    """The answer to an invitation or a resend: the link, shown once, and its expiry (and,
    for a new invitation, the earlier candidates with the same e-mail)."""
    return InvitedCandidate(
        **candidate_service.public(candidate).model_dump(),
        invitation_url=candidate_service.invitation_url(get_settings().base_url, token),
        expires_at=invitation.expires_at,
        email_queued=True,
        already_invited=already_invited or [],
        resent=resent,
    )


def _ids(candidates: list[Candidate]) -> str:
    return ", ".join(str(c.id) for c in candidates)


def _to_resend(earlier: list[Candidate]) -> Candidate:
    """The most recent earlier candidate a fresh link helps (not started); 409 if none."""
    for candidate in reversed(earlier):
        if candidate_service.can_renew(candidate):
            return candidate
    if all(c.status == "completed" for c in earlier):
        raise Conflict(
            f"Every earlier candidate with this e-mail has completed the assessment "
            f"(candidate {_ids(earlier)}); nothing was sent. Use on_duplicate=invite to invite "
            f"the person again as a new candidate."
        )
    states = ", ".join(f"{c.id} ({c.status})" for c in earlier)
    raise Conflict(
        f"No earlier candidate with this e-mail can get a fresh link (candidate {states}); "
        f"nothing was sent. Use on_duplicate=invite to invite the person again as a new "
        f"candidate."
    )


def _resend(
    request: Request, session: Session, user: User, *, candidate: Candidate,
    position: Position, already_invited: list[int] | None = None,
) -> InvitedCandidate:
    """Give ``candidate`` a fresh link by e-mail (the old one stops working), audited."""
    invitation, token = candidate_service.resend(
        session, candidate=candidate, position=position, base_url=get_settings().base_url
    )
    audit.record(session, actor=user, action="candidate.resend", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    return _invited(candidate, invitation, token, already_invited=already_invited,
                    resent=True)


@router.post(
    "/positions/{position_id}/candidates",
    response_model=InvitedCandidate,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": InvitedCandidate,
              "description": "on_duplicate=resend: no candidate created; the earlier one got a "
              "fresh link (`resent: true`)"},
        409: {"description": "the position is not open; or on_duplicate=refuse and the e-mail "
              "was invited already; or on_duplicate=resend and no earlier candidate can get a "
              "fresh link (the detail names the candidate ids)"},
    },
)
def invite_candidate(
    position_id: int, request: Request, response: Response, session: SessionDep, user: HrUser,
    data: CandidateInvite,
) -> InvitedCandidate:
    """Invite an applicant: the link is returned once and e-mailed through the outbox.

    When the position already has a candidate with this e-mail, ``on_duplicate`` decides:
    ``invite`` (default) a second candidate, ``refuse`` a 409, ``resend`` a fresh link for
    the earlier candidate (200, ``resent: true``)."""
    position = position_service.get(session, position_id=position_id, user=user)
    enforce_invitations(session, user_id=pk(user))
    earlier = candidate_service.same_email(session, position_id=pk(position),
                                           email=str(data.email))
    if earlier and data.on_duplicate == "refuse":
        raise Conflict(
            f"This e-mail was already invited to this position (candidate {_ids(earlier)}); "
            f"nothing was created or sent. Use on_duplicate=resend to send the earlier "
            f"candidate a fresh link."
        )
    if earlier and data.on_duplicate == "resend":
        target = _to_resend(earlier)
        response.status_code = status.HTTP_200_OK
        return _resend(request, session, user, candidate=target, position=position,
                       already_invited=[pk(c) for c in earlier if c is not target])
    candidate, invitation, token = candidate_service.invite(
        session, position=position, data=data, actor=user, base_url=get_settings().base_url
    )
    audit.record(session, actor=user, action="candidate.invite", object_type="candidate",
                 object_id=candidate.id, details={"position_id": position.id},
                 ip=client_ip(request))
    session.commit()
    return _invited(candidate, invitation, token, already_invited=[pk(c) for c in earlier])


@router.post("/candidates/{candidate_id}/resend", response_model=InvitedCandidate)
def resend_invitation(
    candidate_id: int, request: Request, session: SessionDep, user: HrUser
) -> InvitedCandidate:
    """Replace the candidate's unused link with a new one and e-mail it again."""
    candidate = candidate_service.get_visible(session, candidate_id=candidate_id, user=user)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    enforce_invitations(session, user_id=pk(user))
    return _resend(request, session, user, candidate=candidate, position=position)


@router.post("/candidates/{candidate_id}/revoke", response_model=CandidatePublic)
def revoke_invitation(
    candidate_id: int, request: Request, session: SessionDep, user: HrUser
) -> CandidatePublic:
    """Withdraw the candidate's link; an attempt in progress stops accepting answers."""
    candidate = candidate_service.get_visible(session, candidate_id=candidate_id, user=user)
    candidate_service.revoke(session, candidate=candidate)
    audit.record(session, actor=user, action="candidate.revoke", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    return candidate_service.public(candidate)
