"""GDPR on the JSON API (admins only): a candidate's data export and erasure, and the
organization's retention period."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.audit import service as audit
from app.auth.dependencies import AdminUser, client_ip
from app.auth.models import User
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute, WriteSessionDep
from app.core.i18n import gettext_for
from app.organizations import service as organization_service
from app.organizations.models import Organization
from app.privacy import service as privacy_service
from app.privacy.service import RETENTION_MAX_MONTHS, RETENTION_MIN_MONTHS

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["privacy"])


class OrganizationPublic(BaseModel):
    """The caller's organization as its admins see it."""

    id: int
    name: str
    slug: str
    default_language: str
    retention_months: int
    is_demo: bool


class OrganizationUpdate(BaseModel):
    """What an admin may change here: the retention period."""

    model_config = ConfigDict(extra="forbid")

    retention_months: int = Field(
        ge=RETENTION_MIN_MONTHS,
        le=RETENTION_MAX_MONTHS,
        description="months after a candidate's last activity before the candidate is erased",
    )


def _candidate(session: Session, candidate_id: int, admin: User) -> Candidate:
    return candidate_service.get(
        session, candidate_id=candidate_id, organization_id=admin.organization_id
    )


def _exported(session: Session, request: Request, admin: User, candidate: Candidate,
              fmt: str) -> dict[str, Any]:
    """The export, with an audit entry (who took a copy of whose data, and when)."""
    data = privacy_service.export(session, candidate=candidate)
    audit.record(session, actor=admin, action="candidate.export", object_type="candidate",
                 object_id=candidate.id, details={"format": fmt}, ip=client_ip(request))
    session.commit()
    return data


@router.get("/candidates/{candidate_id}/export")
def export_candidate(
    candidate_id: int, request: Request, session: WriteSessionDep, admin: AdminUser
) -> dict[str, Any]:
    """Everything held about the candidate (GDPR Art. 15 and 20), as JSON; audited."""
    candidate = _candidate(session, candidate_id, admin)
    exported: dict[str, Any] = jsonable_encoder(
        _exported(session, request, admin, candidate, "json")
    )
    return exported


@router.get(
    "/candidates/{candidate_id}/export.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def export_candidate_pdf(
    candidate_id: int, request: Request, session: WriteSessionDep, admin: AdminUser
) -> Response:
    """The same export as a PDF document for the candidate; audited."""
    candidate = _candidate(session, candidate_id, admin)
    data = _exported(session, request, admin, candidate, "pdf")
    language = getattr(request.state, "language", admin.language)
    pdf = privacy_service.export_pdf(data, translate=gettext_for(language), language=language)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="candidate-{candidate.id}-data.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("/candidates/{candidate_id}", status_code=status.HTTP_204_NO_CONTENT)
def erase_candidate(
    candidate_id: int, request: Request, session: SessionDep, admin: AdminUser
) -> Response:
    """Erase (anonymise) the candidate; anonymous scores stay for norms. Repeating it is a
    204 that changes nothing."""
    candidate = _candidate(session, candidate_id, admin)
    privacy_service.erase(session, candidate=candidate, actor=admin, ip=client_ip(request))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/organization", response_model=OrganizationPublic)
def get_organization(session: SessionDep, admin: AdminUser) -> Organization:
    """The caller's organization, with its retention period."""
    return organization_service.get_own(session, admin.organization_id)


@router.patch("/organization", response_model=OrganizationPublic)
def update_organization(
    request: Request, session: SessionDep, admin: AdminUser, data: OrganizationUpdate
) -> Organization:
    """Set the retention period (1–120 months); the worker erases candidates past it."""
    organization = organization_service.get_own(session, admin.organization_id)
    before = organization.retention_months
    privacy_service.set_retention(session, organization=organization,
                                  months=data.retention_months)
    if before != data.retention_months:
        audit.record(session, actor=admin, action="organization.retention",
                     object_type="organization", object_id=organization.id,
                     details={"from": before, "to": data.retention_months},
                     ip=client_ip(request))
    session.commit()
    return organization
