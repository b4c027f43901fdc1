"""Recording decisions about candidates on the JSON API (admin, hr, assigned managers)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.auth.dependencies import StaffUser, client_ip
from app.auth.models import User
from app.candidates import decisions as decision_service
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute, pk
from app.interviews import overall as overall_service
from app.positions.models import Position
from app.scores import service as score_service
from app.scores.schemas import DecisionPublic

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["decisions"])


class DecisionCreate(BaseModel):
    """A decision a person records about a candidate."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["advance", "reject", "hire", "hold"]
    note: str = Field(
        default="",
        max_length=4000,
        description="why; required to advance or hire a candidate who missed a requirement",
    )


def _candidate(session: SessionDep, candidate_id: int, user: User) -> Candidate:
    """The candidate, if in the caller's organization and a position the caller may see."""
    return candidate_service.get_visible(session, candidate_id=candidate_id, user=user)


def _basis(session: SessionDep, candidate: Candidate) -> dict[str, Any] | None:
    """The stored score and, when there is one, what the interview said."""
    position = session.get(Position, candidate.position_id)
    basis = score_service.decision_basis(session, candidate_id=pk(candidate))
    if position is None:  # pragma: no cover - a candidate always has a position
        return basis
    return overall_service.with_interview(session, basis=basis, position=position,
                                          candidate_id=pk(candidate))


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
    """Record a person's decision (advance, reject, hire, hold) with a note; audited. It
    stores the score it was based on; advancing or hiring past a missed requirement needs a
    note saying why (else a 422 naming ``note``)."""
    candidate = _candidate(session, candidate_id, user)
    decision = decision_service.record(
        session, candidate=candidate, decision=data.decision, note=data.note, actor=user,
        ip=client_ip(request), basis=_basis(session, candidate),
    )
    result = decision_service.public(decision, user)
    session.commit()
    return result


@router.get("/candidates/{candidate_id}/decisions", response_model=list[DecisionPublic])
def list_decisions(candidate_id: int, session: SessionDep, user: StaffUser) -> list[dict[str, Any]]:
    """Every decision recorded on the candidate, newest first."""
    candidate = _candidate(session, candidate_id, user)
    return decision_service.history(session, candidate=candidate)
