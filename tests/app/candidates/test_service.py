"""The candidates domain: the invited/expired rule and who may see a candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.candidates import service as candidate_service
from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.core.errors import NotFound
from tests.factories import invite_candidate


def _invitation(session, candidate: Candidate) -> Invitation:
    return session.exec(select(Invitation).where(Invitation.candidate_id == candidate.id)).one()


def _sql_status(session, candidate: Candidate, now) -> str:
    statement = select(candidate_service.status_expression(now)).where(
        Candidate.id == candidate.id
    )
    return session.exec(statement).one()


def test_an_invited_candidate_expires_with_the_last_open_link(session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    invitation = _invitation(session, candidate)
    now = utcnow()
    assert candidate_service.effective_status(session, candidate=candidate, now=now) == "invited"
    later = invitation.expires_at + timedelta(seconds=1)
    # One rule, two spellings: the report's (one candidate) and the pipeline's (SQL).
    for when, expected in ((now, "invited"), (later, "expired")):
        assert candidate_service.effective_status(session, candidate=candidate, now=when) == (
            expected
        )
        assert _sql_status(session, candidate, when) == expected
    assert candidate_service.is_expired(invitation, later)
    assert not candidate_service.is_expired(invitation, now)


def test_the_invitation_email_names_the_candidate_and_the_link(session, team):
    from app.outbox.models import OutboxMessage

    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    invitation = _invitation(session, candidate)
    email = session.exec(select(OutboxMessage).where(
        OutboxMessage.organization_id == candidate.organization_id)).one()
    assert email.payload["to"] == candidate.email
    assert email.payload["text"].startswith(f"Dear {candidate.full_name},\n\n")
    assert email.payload["text"].endswith("Please do not share it.\n")
    assert email.payload["reference"] == {"candidate_id": candidate.id,
                                          "invitation_id": invitation.id}


def test_a_withdrawn_link_is_not_open(session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    invitation = _invitation(session, candidate)
    invitation.revoked_at = utcnow()
    session.add(invitation)
    session.flush()
    assert candidate_service.effective_status(session, candidate=candidate) == "expired"
    assert _sql_status(session, candidate, utcnow()) == "expired"


def test_other_statuses_are_kept_as_stored(session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    candidate.status = "completed"
    later = utcnow() + timedelta(days=365)
    assert candidate_service.effective_status(session, candidate=candidate, now=later) == (
        "completed"
    )


@pytest.mark.parametrize(
    "who,visible",
    [("admin", True), ("hr", True), ("manager", True), ("other_manager", False),
     ("outsider", False)],
)
def test_who_sees_a_candidate(session, team, who, visible):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    user = team.users()[who]
    if visible:
        found = candidate_service.get_visible(session, candidate_id=candidate.id, user=user)
        assert found.id == candidate.id
    else:
        with pytest.raises(NotFound):
            candidate_service.get_visible(session, candidate_id=candidate.id, user=user)
