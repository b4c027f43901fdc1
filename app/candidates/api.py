"""Inviting candidates, resending and revoking their links, on the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from app.audit import service as audit
from app.auth.dependencies import HrUser, client_ip
from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.candidates.schemas import CandidateCreate, CandidatePublic, InvitedCandidate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, pk
from app.ops.ratelimit import enforce_invitations
from app.positions import service as position_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["candidates"])


def _invited(
    candidate: Candidate, invitation: Invitation, token: str, *,
    already_invited: list[int] | None = None,
) -> InvitedCandidate:
    """The answer to an invitation or a resend: the link, shown once, and its expiry (and,
    for a new invitation, the earlier candidates with the same e-mail)."""
    return InvitedCandidate(
        **candidate_service.public(candidate).model_dump(),
        invitation_url=candidate_service.invitation_url(get_settings().base_url, token),
        expires_at=invitation.expires_at,
        email_queued=True,
        already_invited=already_invited or [],
    )


@router.post(
    "/positions/{position_id}/candidates",
    response_model=InvitedCandidate,
    status_code=status.HTTP_201_CREATED,
)
def invite_candidate(
    position_id: int, request: Request, session: SessionDep, user: HrUser, data: CandidateCreate
) -> InvitedCandidate:
    """Invite an applicant: the link is returned once and e-mailed through the outbox."""
    position = position_service.get(session, position_id=position_id, user=user)
    enforce_invitations(session, user_id=pk(user))
    earlier = [pk(c) for c in candidate_service.same_email(session, position_id=pk(position),
                                                           email=str(data.email))]
    candidate, invitation, token = candidate_service.invite(
        session, position=position, data=data, actor=user, base_url=get_settings().base_url
    )
    audit.record(session, actor=user, action="candidate.invite", object_type="candidate",
                 object_id=candidate.id, details={"position_id": position.id},
                 ip=client_ip(request))
    session.commit()
    return _invited(candidate, invitation, token, already_invited=earlier)


@router.post("/candidates/{candidate_id}/resend", response_model=InvitedCandidate)
def resend_invitation(
    candidate_id: int, request: Request, session: SessionDep, user: HrUser
) -> InvitedCandidate:
    """Replace the candidate's unused link with a new one and e-mail it again."""
    candidate = candidate_service.get_visible(session, candidate_id=candidate_id, user=user)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    enforce_invitations(session, user_id=pk(user))
    invitation, token = candidate_service.resend(
        session, candidate=candidate, position=position, base_url=get_settings().base_url
    )
    audit.record(session, actor=user, action="candidate.resend", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request))
    session.commit()
    return _invited(candidate, invitation, token)


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
