"""The impact report (JSON and CSV, admin and hr) and the organization's fairness and
accountability settings (admins) on the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.audit import service as audit_service
from app.auth.dependencies import AdminUser, HrUser, client_ip
from app.auth.models import User
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import N_, Conflict, NotFound, field_problem
from app.documents.exports import pipeline_csv
from app.fairness import selfid as selfid_service
from app.fairness import service as fairness_service
from app.fairness import whatif as whatif_service
from app.ops.ratelimit import CandidateApiRoute, guard_candidate_token
from app.organizations import service as organization_service
from app.positions.dependencies import valid_position
from app.positions.schemas import PositionUpdate
from scoring.fairness import MIN_CELL

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["fairness"])
candidate_router = APIRouter(
    route_class=CandidateApiRoute, prefix="/api/v1/assessments",
    tags=["assessment (candidate)"], dependencies=[Depends(guard_candidate_token)],
)
Token = Annotated[str, Path(min_length=20, max_length=100)]

PositionFilter = Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                             description="only this position (default: all)")]
SinceFilter = Annotated[date | None, Query(description="candidates invited on or after this day")]
UntilFilter = Annotated[date | None, Query(description="candidates invited on or before this day")]
MinCell = Annotated[int, Query(ge=1, le=1000, description="groups smaller than this are "
                                                          "counted but not shown")]
Intersect = Annotated[str | None, Query(max_length=120, description="two or more attributes "
                                        "joined with commas, e.g. gender,age_band")]
Step = Annotated[str, Query(pattern="^(knockouts|requirements|band_ab|advanced|hired)$",
                            description="the step whose selection rate is reported")]

REPORT_COLUMNS = tuple((key, key) for key in (
    "attribute", "step", "group", "n", "selected", "rate", "impact_ratio", "four_fifths_flag",
    "is_reference", "fisher_p", "z", "z_p"))
LL144_COLUMNS = tuple((key, key) for key in (
    "attribute", "group", "n", "selected", "selection_rate", "selection_impact_ratio",
    "selection_four_fifths_flag", "scored_above_median", "scoring_rate", "scoring_impact_ratio",
    "scoring_four_fifths_flag"))


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
    return start, end


def _intersection(value: str | None) -> list[str] | None:
    if not value:
        return None
    keys = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [key for key in keys if key not in fairness_service.ATTRIBUTES]
    if unknown or len(keys) < 2:
        if unknown:
            raise field_problem("intersect", N_("unknown attribute %(key)r"),
                                params={"key": unknown[0]}, loc=["query", "intersect"])
        raise field_problem("intersect", N_("name at least two attributes"),
                            loc=["query", "intersect"])
    return keys


def build_report(
    session: Session, user: User, *, position_id: int | None, since: date | None,
    until: date | None, min_cell: int, intersect: str | None,
) -> dict[str, Any]:
    """The impact report for the caller's organization (one position, if named)."""
    if position_id is not None:
        valid_position(position_id, session, user)
    organization = organization_service.get(session, user.organization_id)
    asked = selfid_service.asked(organization.settings if organization else None)
    start, end = _bounds(since, until)
    people = fairness_service.population(
        session, organization_id=user.organization_id, position_id=position_id,
        since=start, until=end)
    intersection = _intersection(intersect) or (asked[:2] if len(asked) >= 2 else None)
    report = fairness_service.impact_report(
        people, attributes=[*asked, fairness_service.TEST_LANGUAGE],
        intersection=intersection, min_cell=min_cell)
    return {**report, "position_id": position_id, "since": since, "until": until,
            "asked": asked}


@router.get("/fairness/impact")
def impact(
    session: SessionDep, user: HrUser, position_id: PositionFilter = None,
    since: SinceFilter = None, until: UntilFilter = None, min_cell: MinCell = MIN_CELL,
    intersect: Intersect = None,
) -> dict[str, Any]:
    """Selection rates, impact ratios, four-fifths flags, Fisher and z tests per group and
    step, with unknown and small groups counted but not shown."""
    return build_report(session, user, position_id=position_id, since=since, until=until,
                        min_cell=min_cell, intersect=intersect)


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@router.get("/fairness/impact.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def impact_csv(
    session: SessionDep, user: HrUser, position_id: PositionFilter = None,
    since: SinceFilter = None, until: UntilFilter = None, min_cell: MinCell = MIN_CELL,
    intersect: Intersect = None,
) -> Response:
    """The impact report, one row per shown group and step."""
    report = build_report(session, user, position_id=position_id, since=since, until=until,
                          min_cell=min_cell, intersect=intersect)
    return _csv(pipeline_csv(fairness_service.report_rows(report), REPORT_COLUMNS, bom=True),
                "impact-report.csv")


@router.get("/fairness/ll144.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def ll144_csv(
    session: SessionDep, user: HrUser, position_id: PositionFilter = None,
    since: SinceFilter = None, until: UntilFilter = None, min_cell: MinCell = MIN_CELL,
    intersect: Intersect = None, step: Step = fairness_service.LL144_STEP,
) -> Response:
    """Local Law 144 style: per category, selection rate and scoring rate (share above the
    median fit score), each with its impact ratio."""
    report = build_report(session, user, position_id=position_id, since=since, until=until,
                          min_cell=min_cell, intersect=intersect)
    return _csv(pipeline_csv(fairness_service.ll144_rows(report, step=step), LL144_COLUMNS,
                             bom=True), "bias-audit-ll144.csv")


# --- settings -----------------------------------------------------------------------------


class AccountabilitySettings(BaseModel):
    """The organization's fairness and accountability settings."""

    self_identification: list[str]
    audit_retention_months: int
    hide_rankings: bool
    oversight_contact: str


class AccountabilityUpdate(BaseModel):
    """What an admin may change (at least one field)."""

    model_config = ConfigDict(extra="forbid")

    self_identification: list[str] | None = Field(
        default=None, max_length=4,
        description="voluntary questions asked after submit: gender, age_band, "
                    "first_language, disability")
    audit_retention_months: int | None = Field(
        default=None, ge=1, le=audit_service.AUDIT_RETENTION_MAX_MONTHS,
        description="months audit entries are kept in full (decision-related ones at least 6)")
    hide_rankings: bool | None = Field(
        default=None, description="lists alphabetical, scores only on the candidate's report")
    oversight_contact: str | None = Field(
        default=None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
        description="who candidates and staff ask about decisions (name or e-mail)")

    @model_validator(mode="after")
    def _something(self) -> AccountabilityUpdate:
        if not self.model_fields_set:
            raise ValueError("change at least one setting")
        return self


def settings_of(settings: dict[str, Any] | None) -> dict[str, Any]:
    """The settings with their defaults."""
    settings = settings or {}
    return {
        "self_identification": selfid_service.asked(settings),
        "audit_retention_months": audit_service.retention_months(settings),
        "hide_rankings": bool(settings.get("hide_rankings", False)),
        "oversight_contact": str(settings.get("oversight_contact") or ""),
    }


def apply_settings(
    session: Session, admin: User, changes: dict[str, Any], *, ip: str | None
) -> dict[str, Any]:
    """Store changed settings and audit each change (from, to); the caller commits."""
    organization = organization_service.get(session, admin.organization_id)
    assert organization is not None  # a user always belongs to an organization
    before = settings_of(organization.settings)
    if "self_identification" in changes:
        changes["self_identification"] = selfid_service.check_questions(
            changes["self_identification"] or [])
    merged = {**(organization.settings or {}), **changes}
    after = settings_of(merged)
    changed = {key: {"from": before[key], "to": after[key]}
               for key in after if before[key] != after[key]}
    if changed:
        organization.settings = merged
        session.add(organization)
        audit_service.record(session, actor=admin, action="oversight.settings",
                             object_type="organization", object_id=organization.id,
                             details=changed, ip=ip)
    return after


@router.get("/fairness/settings", response_model=AccountabilitySettings)
def read_settings(session: SessionDep, admin: AdminUser) -> dict[str, Any]:
    """The organization's fairness and accountability settings."""
    organization = organization_service.get(session, admin.organization_id)
    return settings_of(organization.settings if organization else None)


@router.patch("/fairness/settings", response_model=AccountabilitySettings)
def update_settings(
    request: Request, session: SessionDep, admin: AdminUser, data: AccountabilityUpdate
) -> dict[str, Any]:
    """Change the settings; each change is in the audit log."""
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items()
               if value is not None}
    result = apply_settings(session, admin, changes, ip=client_ip(request))
    session.commit()
    return result


@router.post("/positions/{position_id}/what-if")
def what_if(position_id: int, session: SessionDep, user: HrUser,
            data: PositionUpdate) -> dict[str, Any]:
    """The impact report and the expected value now and under proposed weights, minimums,
    knock-outs or language hurdle; nothing is saved."""
    position = valid_position(position_id, session, user)
    result = whatif_service.compare(session, position=position, proposed=data)
    session.rollback()
    encoded: dict[str, Any] = jsonable_encoder(result)
    return encoded


class SelfIdentificationRequest(BaseModel):
    """The voluntary answers (each optional; "prefer_not" is an answer too)."""

    model_config = ConfigDict(extra="forbid")
    consent: bool = Field(description="agreement to keep these answers, apart from results")
    gender: str | None = Field(default=None, max_length=16)
    age_band: str | None = Field(default=None, max_length=16)
    first_language: str | None = Field(default=None, max_length=16)
    disability: str | None = Field(default=None, max_length=16)


def _selfid_context(session: Session, token: str) -> tuple[Any, list[str]]:
    ctx = assessment_service.resolve(session, token=token)
    if ctx.attempt is None or ctx.attempt.status != "completed":
        raise Conflict(N_("The optional questions come after you hand in your answers."))
    organization = organization_service.get(session, ctx.candidate.organization_id)
    return ctx, selfid_service.asked(organization.settings if organization else None)


@candidate_router.get("/{token}/self-identification")
def get_self_identification(token: Token, session: SessionDep) -> dict[str, Any]:
    """The questions the organization asks after submit, and the candidate's own answers
    (``available`` false before submit, or when nothing is asked)."""

    ctx = assessment_service.resolve(session, token=token)
    organization = organization_service.get(session, ctx.candidate.organization_id)
    asked = selfid_service.asked(organization.settings if organization else None)
    completed = ctx.attempt is not None and ctx.attempt.status == "completed"
    encoded: dict[str, Any] = jsonable_encoder({
        "available": completed and bool(asked),
        "questions": {key: [*selfid_service.QUESTIONS[key], selfid_service.PREFER_NOT]
                      for key in asked},
        "answers": selfid_service.exported(session, candidate_id=pk(ctx.candidate)),
    })
    return encoded


@candidate_router.put("/{token}/self-identification")
def put_self_identification(token: Token, session: SessionDep,
                            data: SelfIdentificationRequest) -> dict[str, Any]:
    """Save the voluntary answers (never required; a 422 without consent)."""
    ctx, asked = _selfid_context(session, token)
    if not asked:
        raise NotFound(N_("This organization asks no optional questions."))
    if not data.consent:
        raise field_problem("consent",
                            N_("agree to keep the answers, or leave without answering"))
    selfid_service.save(session, organization_id=ctx.candidate.organization_id,
                        candidate_id=ctx.candidate.id, questions=asked,
                        answers=data.model_dump(exclude={"consent"}))
    session.commit()
    encoded: dict[str, Any] = jsonable_encoder({"answers": selfid_service.exported(
        session, candidate_id=ctx.candidate.id)})
    return encoded


@candidate_router.delete("/{token}/self-identification", status_code=204)
def delete_self_identification(token: Token, session: SessionDep) -> Response:
    """Withdraw the voluntary answers."""

    ctx, _asked = _selfid_context(session, token)
    selfid_service.forget(session, candidate_id=ctx.candidate.id)
    session.commit()
    return Response(status_code=204)
