"""Explanations and contests on the JSON API: staff (explanation, contests, outcomes) and the
candidate (their explanation and a contest, through their assessment link)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from app.assessments import service as assessment_service
from app.audit import service as audit
from app.auth.dependencies import HrUser, StaffUser, client_ip
from app.core.db import SessionDep, SessionRoute, WriteSessionDep
from app.explanations import service as explanation_service
from app.ops.ratelimit import CandidateApiRoute, guard_candidate_token
from app.reports import service as report_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["explanations"])
candidate_router = APIRouter(
    route_class=CandidateApiRoute, prefix="/api/v1/assessments",
    tags=["assessment (candidate)"], dependencies=[Depends(guard_candidate_token)],
)
Token = Annotated[str, Path(min_length=20, max_length=100)]


class ContestRequest(BaseModel):
    """A candidate's request to review the decision."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class OutcomeRequest(BaseModel):
    """The reviewer's outcome."""

    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(pattern="^(upheld|changed)$")
    note: str = Field(min_length=1, max_length=4000)


@router.get("/candidates/{candidate_id}/explanation")
def staff_explanation(candidate_id: int, request: Request, session: WriteSessionDep,
                      user: StaffUser) -> dict[str, Any]:
    """The explanation of the candidate's latest decision, as the candidate would get it."""
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    result = explanation_service.explain(session, candidate=candidate)
    if result["available"]:
        audit.record(session, actor=user, action="explanation.view", object_type="candidate",
                     object_id=candidate.id, ip=client_ip(request),
                     details={"decision_id": result["decision"]["id"], "by": "staff"})
        session.commit()
    encoded: dict[str, Any] = jsonable_encoder(result)
    return encoded


@router.get("/contests")
def list_contests(session: SessionDep, user: HrUser) -> list[dict[str, Any]]:
    """The organization's requests to review a decision, open first."""
    encoded: list[dict[str, Any]] = jsonable_encoder([explanation_service.public(c) for c in
                             explanation_service.list_contests(
                                 session, organization_id=user.organization_id)])
    return encoded


@router.post("/contests/{contest_id}/outcome")
def record_outcome(contest_id: int, request: Request, session: SessionDep, user: HrUser,
                   data: OutcomeRequest) -> dict[str, Any]:
    """Record the outcome (the assigned reviewer only; never the person who decided)."""
    contest = explanation_service.get_contest(session, contest_id=contest_id,
                                              organization_id=user.organization_id)
    explanation_service.close_contest(session, contest=contest, actor=user,
                                      outcome=data.outcome, note=data.note,
                                      ip=client_ip(request))
    session.commit()
    encoded: dict[str, Any] = jsonable_encoder(explanation_service.public(contest))
    return encoded


@candidate_router.get("/{token}/explanation")
def candidate_explanation(token: Token, request: Request,
                          session: WriteSessionDep) -> dict[str, Any]:
    """The candidate's own explanation of the decision on their application
    (``available`` false before one)."""
    ctx = assessment_service.resolve(session, token=token)
    result = explanation_service.explain(session, candidate=ctx.candidate)
    if result["available"]:
        audit.record(session, actor=None, action="explanation.view", object_type="candidate",
                     object_id=ctx.candidate.id, organization_id=ctx.candidate.organization_id,
                     ip=client_ip(request),
                     details={"decision_id": result["decision"]["id"], "by": "candidate"})
        session.commit()
    encoded: dict[str, Any] = jsonable_encoder(result)
    return encoded


@candidate_router.post("/{token}/contest", status_code=201)
def candidate_contest(token: Token, request: Request, session: SessionDep,
                      data: ContestRequest) -> dict[str, Any]:
    """Ask for a review of the decision by a person other than the one who decided."""
    ctx = assessment_service.resolve(session, token=token)
    contest = explanation_service.open_contest(session, candidate=ctx.candidate,
                                               reason=data.reason, ip=client_ip(request))
    session.commit()
    return {"id": contest.id, "status": contest.status, "due_at": contest.due_at}

