"""The audit log page for admins: filters, paging and the CSV link."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.audit import service as audit_service
from app.auth.dependencies import AdminPageUser
from app.db import SessionDep, SessionRoute
from app.templating import render

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

PAGE_SIZE = 50



def _since(value: str | None) -> tuple[datetime | None, str | None]:
    """The ``since`` field (a date, YYYY-MM-DD) as the start of that day in UTC, or an error."""
    if not value:
        return None, None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, "Enter the date as YYYY-MM-DD."
    return datetime(day.year, day.month, day.day, tzinfo=UTC), None


def _query(**params: Any) -> str:
    kept = {key: value for key, value in params.items() if value not in (None, "", 0)}
    return f"?{urlencode(kept)}" if kept else ""


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    admin: AdminPageUser,
    action: Annotated[str | None, Query(max_length=60)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Who did what, newest first; filter by action and date, export the same as CSV."""
    since_at, since_error = _since(since)
    rows, total = audit_service.search(
        session, organization_id=admin.organization_id, action=action or None, since=since_at,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    filters = {"action": action or "", "since": since if since_at else ""}
    entries = []
    for entry, actor in rows:
        view = audit_service.public(entry, actor)
        view["details_text"] = (
            json.dumps(view["details"], ensure_ascii=False, sort_keys=True)
            if view["details"] else ""
        )
        entries.append(view)
    return render(
        request,
        "audit/list.html",
        {
            "entries": entries,
            "total": total,
            "page": page,
            "pages": pages,
            "filters": filters,
            "since_error": since_error,
            "actions": audit_service.actions(session, organization_id=admin.organization_id),
            "previous_url": "/admin/audit" + _query(**filters, page=page - 1 if page > 2 else None)
            if page > 1 else None,
            "next_url": "/admin/audit" + _query(**filters, page=page + 1)
            if page < pages else None,
            "csv_url": "/api/v1/audit.csv" + _query(**filters),
            "chain": audit_service.verify(session, organization_id=admin.organization_id),
        },
    )
