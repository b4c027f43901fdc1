"""Norms and item analysis on the JSON API (admins of the organization only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.auth.dependencies import AdminUser, client_ip
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.fields import MAX_ID
from app.fairness import dif as dif_service
from app.fairness import selfid as selfid_service
from app.norms import service as norm_service
from app.organizations import service as organization_service
from app.scores import service as score_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["norms"])


@router.get("/norms")
def norm_status(session: SessionDep, user: AdminUser) -> dict[str, Any]:
    """Norm status per questionnaire version: n, none/provisional/operational, α per scale."""
    return {
        "min_n": get_settings().norm_min_n,
        "questionnaires": norm_service.status(session, organization_id=user.organization_id),
    }


@router.post("/norms/rebuild")
def rebuild_norms(
    request: Request, session: SessionDep, user: AdminUser, replace_imported: bool = False
) -> dict[str, Any]:
    """Rebuild the norm tables now and rescore the positions (imported ones kept unless asked)."""
    rows = norm_service.rebuild(
        session, organization_id=user.organization_id, replace_imported=replace_imported
    )
    score_service.rescore_after_norms(session, rows=rows)
    rebuilt = [norm_service.summary(row) for row in rows]
    norm_service.audit_rebuild(session, rows, actor=user, ip=client_ip(request))
    result = {
        "rebuilt": rebuilt,
        "questionnaires": norm_service.status(session, organization_id=user.organization_id),
    }
    session.commit()
    return result


def norm_file(session: Session, *, organization_id: int, key: str, version: int) -> JSONResponse:
    """The norm table in force for a version, as the JSON file the import takes (the API's
    download and the psychometrics page's)."""
    data = norm_service.export(session, organization_id=organization_id, key=key, version=version)
    filename = f"norms-{key}-v{version}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/norms/{key}/{version}/export")
def export_norms(key: str, version: int, session: SessionDep, user: AdminUser) -> JSONResponse:
    """The norm table in force for a questionnaire version, as a portable JSON file."""
    return norm_file(session, organization_id=user.organization_id, key=key, version=version)


@router.post("/norms/import", status_code=status.HTTP_201_CREATED)
def import_norms(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    table: Annotated[dict[str, Any], Body(description="a table exported by this service")],
) -> dict[str, Any]:
    """Use an uploaded norm table for its questionnaire version, then rescore the positions."""
    row = norm_service.import_table(session, organization_id=user.organization_id, data=table)
    score_service.rescore_after_norms(session, rows=[row])
    result = norm_service.summary(row)
    norm_service.audit_import(session, row, actor=user, ip=client_ip(request))
    session.commit()
    return result


@router.get("/questionnaires/{key}/item-analysis")
def item_analysis(
    key: str,
    session: SessionDep,
    user: AdminUser,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> dict[str, Any]:
    """Item difficulty, discrimination, option frequencies and review flags (admins), and
    Mantel–Haenszel DIF per item between language versions and self-identified groups."""
    result = norm_service.analyse_items(
        session, organization_id=user.organization_id, key=key, version=version
    )
    organization = organization_service.get(session, user.organization_id)
    result["dif"] = dif_service.analyse(
        session, organization_id=user.organization_id, key=key,
        version=result["questionnaire_version"],
        asked=selfid_service.asked(organization.settings if organization else None))
    return result
