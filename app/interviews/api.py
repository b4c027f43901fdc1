"""Interviews, overall scores, outcomes and the validity dashboard on the JSON API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.auth.dependencies import AdminUser, HrUser, StaffUser, client_ip
from app.auth.models import User
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import N_, Word
from app.core.fields import RowId
from app.interviews import kit as kit_service
from app.interviews import outcomes as outcome_service
from app.interviews import overall as overall_service
from app.interviews import reliability as reliability_service
from app.interviews import service as interview_service
from app.interviews import validity as validity_service
from app.interviews.models import Outcome
from app.positions import service as position_service
from app.positions.dependencies import VisiblePosition
from app.positions.models import Position
from app.reports import pipeline
from app.reports import service as report_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["interviews"])


class Assign(BaseModel):
    """Staff members to put on the candidate's interview panel."""

    model_config = ConfigDict(extra="forbid")
    interviewer_ids: list[RowId] = Field(min_length=1, max_length=10)


class Rating(BaseModel):
    """An interviewer's rating: every rated competency 1–5, with an evidence note each."""

    model_config = ConfigDict(extra="forbid")
    ratings: dict[str, Any] = Field(description="{competency: 1..5} for every rated competency")
    notes: dict[str, Any] | None = Field(default=None, description="{competency: evidence}")


class Revision(Rating):
    """A change to a submitted rating, with why."""

    reason: str = Field(max_length=1000)


class Weights(BaseModel):
    """How the overall score weighs the standardized test and interview composites."""

    model_config = ConfigDict(extra="forbid")
    test: float = Field(ge=0, le=1)
    interview: float = Field(ge=0, le=1)


class OutcomeIn(BaseModel):
    """What became of a hire after 6 or 12 months."""

    model_config = ConfigDict(extra="forbid")
    months: Literal[6, 12]
    performance: int | None = Field(default=None, ge=1, le=5,
                                    description="the manager's rating, 1–5")
    performance_by_competency: dict[str, int] | None = None
    quota_attainment_pct: float | None = Field(default=None, ge=0, le=1000)
    still_employed: bool = True
    left_on: date | None = None
    months_to_quota: int | None = Field(default=None, ge=1, le=60)


class ApplyWeights(BaseModel):
    """Apply the weights the outcomes suggest now, with a written reason (audited)."""

    model_config = ConfigDict(extra="forbid")
    outcome: validity_service.OutcomeMeasure = "performance_6"
    reason: str = Field(min_length=1, max_length=2000)


def _candidate(session: SessionDep, candidate_id: int, user: User) -> tuple[Candidate, Position]:
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate, position


@router.get("/candidates/{candidate_id}/interview")
def interview(candidate_id: int, session: SessionDep, user: StaffUser) -> dict[str, Any]:
    """The panel and ratings as the caller may see them (an interviewer who has not submitted
    sees only their own), the interview score and, once all are in, the calibration."""
    candidate, position = _candidate(session, candidate_id, user)
    return interview_service.view(session, candidate=candidate, position=position, viewer=user)


@router.post("/candidates/{candidate_id}/interviewers")
def assign_interviewers(candidate_id: int, data: Assign, request: Request, session: SessionDep,
                        user: HrUser) -> dict[str, Any]:
    """Put staff members on the candidate's interview panel (admin, hr); audited."""
    candidate, position = _candidate(session, candidate_id, user)
    interview_service.assign(session, candidate=candidate, interviewer_ids=data.interviewer_ids,
                             actor=user, ip=client_ip(request))
    result = interview_service.view(session, candidate=candidate, position=position, viewer=user)
    session.commit()
    return result


@router.delete("/candidates/{candidate_id}/interviewers/{interviewer_id}")
def unassign_interviewer(candidate_id: int, interviewer_id: int, request: Request,
                         session: SessionDep, user: HrUser) -> dict[str, Any]:
    """Take an interviewer who has not rated yet off the panel (admin, hr); audited. 409 for
    one who has submitted."""
    candidate, position = _candidate(session, candidate_id, user)
    interview_service.unassign(session, candidate=candidate, interviewer_id=interviewer_id,
                               actor=user, ip=client_ip(request))
    result = interview_service.view(session, candidate=candidate, position=position, viewer=user)
    session.commit()
    return result


@router.post("/candidates/{candidate_id}/interview/rating", status_code=status.HTTP_201_CREATED)
def submit_rating(candidate_id: int, data: Rating, request: Request, session: SessionDep,
                  user: StaffUser) -> dict[str, Any]:
    """Submit the caller's rating (assigned interviewers only; once: then revise)."""
    candidate, position = _candidate(session, candidate_id, user)
    interview_service.submit(session, candidate=candidate, position=position, actor=user,
                             ratings=data.ratings, notes=data.notes, ip=client_ip(request))
    result = interview_service.view(session, candidate=candidate, position=position, viewer=user)
    session.commit()
    return result


@router.post("/candidates/{candidate_id}/interview/revision")
def revise_rating(candidate_id: int, data: Revision, request: Request, session: SessionDep,
                  user: StaffUser) -> dict[str, Any]:
    """Change the caller's submitted rating with a reason (audited with before and after)."""
    candidate, position = _candidate(session, candidate_id, user)
    interview_service.revise(session, candidate=candidate, position=position, actor=user,
                             ratings=data.ratings, notes=data.notes, reason=data.reason,
                             ip=client_ip(request))
    result = interview_service.view(session, candidate=candidate, position=position, viewer=user)
    session.commit()
    return result


@router.get("/candidates/{candidate_id}/interview-kit")
def interview_kit(candidate_id: int, session: SessionDep, user: StaffUser,
                  lang: Annotated[Literal["en", "it"], Query()] = "en") -> dict[str, Any]:
    """The candidate's structured interview kit, weakest competencies and flags first."""
    candidate, position = _candidate(session, candidate_id, user)
    report = report_service.report(session, candidate=candidate)
    return kit_service.build(position, report, lang=lang)


@router.get("/candidates/{candidate_id}/overall")
def overall(candidate_id: int, session: SessionDep, user: StaffUser) -> dict[str, Any]:
    """Test and interview composites side by side, the overall score, and the formula's
    inputs (weights, r12, the parts' validities and the combined validity)."""
    candidate, position = _candidate(session, candidate_id, user)
    overview = overall_service.position_overview(session, position=position)
    return {**overall_service.candidate_overall(overview, pk(candidate)),
            "position": overall_service.public_overview(overview)}


@router.get("/positions/{position_id}/overall-weights")
def get_overall_weights(position: VisiblePosition, session: SessionDep,
                        user: StaffUser) -> dict[str, Any]:
    """The position's weights of test and interview in the overall score."""
    return overall_service.weights(session, position=position)


@router.put("/positions/{position_id}/overall-weights")
def put_overall_weights(user: HrUser, position: VisiblePosition, data: Weights,
                        request: Request, session: SessionDep) -> dict[str, Any]:
    """Set the weights (summing to 1) of test and interview; audited."""
    result = overall_service.set_weights(session, position=position, test=data.test,
                                         interview=data.interview, actor=user,
                                         ip=client_ip(request))
    session.commit()
    return result


@router.get("/positions/{position_id}/interview-reliability")
def interview_reliability(position: VisiblePosition, session: SessionDep,
                          user: StaffUser) -> dict[str, Any]:
    """ICC(1) and ICC(1,k) of the position's interview ratings, with n and warnings."""
    return reliability_service.position_reliability(session, position=position)


@router.get("/positions/{position_id}/stages")
def stages(position: VisiblePosition, session: SessionDep, user: StaffUser) -> dict[str, int]:
    """How many candidates are at each stage: assessment, interview, decision, outcome."""
    return pipeline.stage_counts(session, position=position)


@router.get("/candidates/{candidate_id}/outcomes")
def list_outcomes(candidate_id: int, session: SessionDep, user: StaffUser) -> dict[str, Any]:
    """The hire's outcomes at 6 and 12 months and when each is due."""
    candidate, _position = _candidate(session, candidate_id, user)
    return outcome_service.of_candidate(session, candidate=candidate)


@router.post("/candidates/{candidate_id}/outcomes", status_code=status.HTTP_201_CREATED)
def record_outcome(candidate_id: int, data: OutcomeIn, request: Request, session: SessionDep,
                   user: HrUser) -> dict[str, Any]:
    """Record (or correct) a hire's outcome at 6 or 12 months (admin, hr); audited. 409 when
    the candidate's latest decision is not a hire."""
    candidate, position = _candidate(session, candidate_id, user)
    row: Outcome = outcome_service.record(session, candidate=candidate, position=position,
                                          data=data.model_dump(), actor=user,
                                          ip=client_ip(request))
    result = outcome_service.public(row)
    session.commit()
    return result


@router.get("/positions/{position_id}/validity")
def validity(user: AdminUser, position: VisiblePosition, session: SessionDep,
             correct: Annotated[bool, Query(description="Thorndike case II correction")] = False,
             ) -> dict[str, Any]:
    """Correlations of every predictor with every outcome of the position's hires (admin)."""
    return validity_service.dashboard(session, position=position, correct=correct)


@router.get("/validity")
def organization_validity(
    user: AdminUser, session: SessionDep,
    correct: Annotated[bool, Query(description="Thorndike case II correction")] = False,
) -> dict[str, Any]:
    """The same correlations over every position of the caller's organization (admin)."""
    return validity_service.organization_dashboard(
        session, organization_id=user.organization_id, correct=correct)


@router.get("/positions/{position_id}/suggested-weights")
def suggested(user: AdminUser, position: VisiblePosition, session: SessionDep,
              outcome: Annotated[validity_service.OutcomeMeasure,
                                 Query()] = "performance_6") -> dict[str, Any]:
    """Weights the outcomes suggest (shrunk toward the current ones), beside the current
    weights, and how the open candidates' ranks would move (admin)."""
    return validity_service.suggestion(session, position=position, outcome=outcome)


@router.post("/positions/{position_id}/suggested-weights/apply")
def apply_suggested(user: AdminUser, position: VisiblePosition, data: ApplyWeights,
                    request: Request, session: SessionDep) -> dict[str, Any]:
    """Make the suggested weights the position's weights, with a reason (admin; audited with
    the weights before and after). Nothing changes by itself."""
    found = validity_service.suggestion(session, position=position, outcome=data.outcome)
    if found["suggestion"] is None:
        raise interview_service.field_error(
            "outcome", N_("no suggestion to apply: %(problem)s"), problem=Word(found["problem"]))
    reason = data.reason.strip()
    if not reason:
        raise interview_service.field_error("reason", N_("write why you apply these weights"))
    validity_service.apply(session, position=position, found=found, reason=reason, actor=user,
                           ip=client_ip(request))
    result = position_service.public(session, position).model_dump(mode="json")
    session.commit()
    return result


class ApplyCosts(BaseModel):
    """Use the observed retention and ramp as the position's cost assumptions."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


@router.get("/positions/{position_id}/cost-learning")
def cost_learning(user: AdminUser, position: VisiblePosition,
                  session: SessionDep) -> dict[str, Any]:
    """Observed retention and ramp of the position's hires beside the cost assumptions, and
    the assumptions they suggest (admin)."""
    return outcome_service.cost_learning(session, position=position)


@router.post("/positions/{position_id}/cost-learning/apply")
def apply_cost_learning(user: AdminUser, position: VisiblePosition, data: ApplyCosts,
                        request: Request, session: SessionDep) -> dict[str, Any]:
    """Make the observed numbers the position's cost assumptions, with a reason (admin;
    audited with before and after)."""
    offer = outcome_service.cost_learning(session, position=position)["offer"]
    if not offer:
        raise interview_service.field_error(
            "reason", N_("there are no observed cost assumptions to apply yet"))
    reason = data.reason.strip()
    if not reason:
        raise interview_service.field_error("reason", N_("write why you apply these numbers"))
    outcome_service.apply_assumptions(session, position=position, offer=offer, reason=reason,
                                      actor=user, ip=client_ip(request))
    result = position_service.public(session, position).model_dump(mode="json")
    session.commit()
    return result
