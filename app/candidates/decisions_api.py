"""Recording decisions about candidates on the JSON API (admin, hr, assigned managers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.auth.dependencies import StaffUser, client_ip
from app.auth.models import User
from app.candidates import decisions as decision_service
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.db import SessionDep, SessionRoute
from app.positions import service as position_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["decisions"])


class DecisionCreate(BaseModel):
    """A decision a person records about a candidate."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["advance", "reject", "hire", "hold"]
    note: str = Field(default="", max_length=4000)


class DecisionPublic(BaseModel):
    """A recorded decision: what, by whom, when."""

    id: int
    candidate_id: int
    decision: str
    note: str
    user_id: int | None
    user_name: str | None
    created_at: datetime


def _candidate(session: SessionDep, candidate_id: int, user: User) -> Candidate:
    """The candidate, if in the caller's organization and a position the caller may see."""
    candidate = candidate_service.get(
        session, candidate_id=candidate_id, organization_id=user.organization_id
    )
    position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate


@router.post(
    "/candidates/{candidate_id}/decision",
    response_model=DecisionPublic,
    status_code=status.HTTP_201_CREATED,
)
def record_decision(
    candidate_id: int,
    request: Request,
    session: SessionDep,
    user: StaffUser,
    data: DecisionCreate,
) -> dict[str, Any]:
    """Record a person's decision (advance, reject, hire, hold) with a note; audited."""
    candidate = _candidate(session, candidate_id, user)
    decision = decision_service.record(
        session, candidate=candidate, decision=data.decision, note=data.note, actor=user,
        ip=client_ip(request),
    )
    result = decision_service.public(decision, user)
    session.commit()
    return result


@router.get("/candidates/{candidate_id}/decisions", response_model=list[DecisionPublic])
def list_decisions(candidate_id: int, session: SessionDep, user: StaffUser) -> list[dict[str, Any]]:
    """Every decision recorded on the candidate, newest first."""
    candidate = _candidate(session, candidate_id, user)
    return decision_service.history(session, candidate=candidate)
