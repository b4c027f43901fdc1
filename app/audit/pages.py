"""The audit log page for admins: filters, paging and the CSV link."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.audit import wording
from app.auth.dependencies import AdminPageUser
from app.auth.models import User
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute
from app.core.i18n import gettext_for
from app.core.templating import render
from app.core.tenancy import owned_by
from app.positions.models import Position
from app.reports.wording import Numbers

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


def _names(session: Session, *, organization_id: int, entries: list[dict[str, Any]]
          ) -> dict[str, dict[str, str]]:
    """``{"candidate": {id: name}, "position": {id: title}, "user": {id: name}}`` for the
    objects the entries name (only the organization's own)."""
    wanted: dict[str, set[int]] = {"candidate": set(), "position": set(), "user": set()}
    for entry in entries:
        kind, ident = entry["object_type"], entry["object_id"]
        if kind in wanted and ident and str(ident).isdigit():
            wanted[kind].add(int(ident))
        position_id = (entry["details"] or {}).get("position_id")
        if isinstance(position_id, int):
            wanted["position"].add(position_id)
    found: dict[str, dict[str, str]] = {"candidate": {}, "position": {}, "user": {}}
    for kind, model, label in (("candidate", Candidate, Candidate.full_name),
                               ("position", Position, Position.title),
                               ("user", User, User.full_name)):
        if wanted[kind]:
            rows = session.exec(select(model.id, label).where(
                col(model.id).in_(wanted[kind]), owned_by(model, organization_id)))
            found[kind] = {str(i): name for i, name in rows}
    return found



def view_without(view: dict[str, Any]) -> dict[str, Any]:
    """The entry as the API gives it (the page's own keys left out)."""
    return {k: v for k, v in view.items() if k not in ("details_text", "sentence", "json")}


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
    entries = [audit_service.public(entry, actor) for entry, actor in rows]
    _ = gettext_for(getattr(request.state, "language", "en"))
    known = _names(session, organization_id=admin.organization_id, entries=entries)
    decisions = {"advance": _("Advance"), "hold": _("Hold"), "reject": _("Reject"),
                 "hire": _("Hire")}
    for view in entries:
        view["details_text"] = (
            json.dumps(view["details"], ensure_ascii=False, sort_keys=True)
            if view["details"] else ""
        )
        view["sentence"] = wording.sentence(_, view, known, decisions)
        view["json"] = json.dumps(jsonable_encoder(view_without(view)), ensure_ascii=False,
                                  indent=2, sort_keys=True)
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
            "actions": [(name, wording.action_label(_, name)) for name in
                        audit_service.actions(session, organization_id=admin.organization_id)],
            "fmt": Numbers(getattr(request.state, "language", "en"),
                           getattr(request.state, "time_zone", None)),
            "previous_url": "/admin/audit" + _query(**filters, page=page - 1 if page > 2 else None)
            if page > 1 else None,
            "next_url": "/admin/audit" + _query(**filters, page=page + 1)
            if page < pages else None,
            "csv_url": "/api/v1/audit.csv" + _query(**filters),
            "chain": audit_service.verify(session, organization_id=admin.organization_id),
        },
    )
