"""The audit log on the JSON API and as CSV (admins of the organization only)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.audit import service as audit_service
from app.auth.dependencies import AdminUser
from app.core.db import SessionDep, SessionRoute
from app.core.fields import MAX_OFFSET
from app.documents.exports import pipeline_csv

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["audit"])

ActionFilter = Annotated[
    str | None, Query(max_length=60, description="only this action, e.g. candidate.erase")
]
SinceFilter = Annotated[
    datetime | None,
    Query(description="only entries at or after this time (ISO 8601; no zone means UTC)"),
]

CSV_COLUMNS = (
    ("id", "id"),
    ("created_at", "created_at"),
    ("actor_user_id", "actor_user_id"),
    ("actor", "actor"),
    ("actor_email", "actor_email"),
    ("action", "action"),
    ("object_type", "object_type"),
    ("object_id", "object_id"),
    ("details", "details"),
    ("ip", "ip"),
)


class AuditEntryPublic(BaseModel):
    """One staff (or system) action."""

    id: int
    created_at: datetime
    action: str
    object_type: str
    object_id: str | None
    actor_user_id: int | None
    actor: str
    actor_email: str | None
    details: dict[str, Any]
    ip: str | None


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntryPublic]
    total: int
    limit: int
    offset: int


@router.get("/audit", response_model=AuditPage)
def list_audit(
    session: SessionDep,
    admin: AdminUser,
    action: ActionFilter = None,
    since: SinceFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    """The organization's audit log, newest first, filtered and paged."""
    rows, total = audit_service.search(
        session, organization_id=admin.organization_id, action=action, since=since,
        limit=limit, offset=offset,
    )
    return {
        "items": [audit_service.public(entry, actor) for entry, actor in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/audit/verify")
def verify_audit(session: SessionDep, admin: AdminUser) -> dict[str, Any]:
    """Check the organization's hash chain: intact, or the first entry changed, inserted or
    deleted (the same check as ``kam audit verify``)."""
    return audit_service.verify(session, organization_id=admin.organization_id).to_dict()


@router.get("/audit.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_audit(
    session: SessionDep, admin: AdminUser, action: ActionFilter = None, since: SinceFilter = None
) -> Response:
    """Every matching entry as CSV (UTF-8 with BOM for Excel; formulas neutralised)."""
    rows, _total = audit_service.search(
        session, organization_id=admin.organization_id, action=action, since=since, limit=None
    )
    records = []
    for entry, actor in rows:
        record = audit_service.public(entry, actor)
        record["details"] = json.dumps(record["details"], ensure_ascii=False, sort_keys=True)
        records.append(record)
    return Response(
        pipeline_csv(records, CSV_COLUMNS, bom=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"',
                 "Cache-Control": "no-store"},
    )
