"""The staff dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func
from sqlmodel import col, select

from app.auth.dependencies import PageUser
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute, pk
from app.core.templating import render
from app.core.tenancy import owned_by
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.reports import funnel
from app.reports.wording import Numbers
from app.scores.models import Score

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    """The organization at a glance: open positions, candidates, completed assessments."""
    organization = organization_service.get(session, user.organization_id)
    org_id = user.organization_id
    # Managers see only the positions they are assigned to, as everywhere else: the counts
    # too, or they would tell how many candidates other positions have.
    visible = position_service.list_visible(session, user=user)
    ids = [pk(p) for p in visible]
    counts = {
        "positions": sum(1 for position in visible if position.status == "open"),
        "candidates": session.exec(
            select(func.count()).select_from(Candidate).where(
                owned_by(Candidate, org_id), col(Candidate.position_id).in_(ids))
        ).one() if ids else 0,
        "completed": session.exec(
            select(func.count()).select_from(Score).where(
                owned_by(Score, org_id), col(Score.position_id).in_(ids))
        ).one() if ids else 0,
    }
    attention = {
        "awaiting": funnel.awaiting_decision(session, position_ids=ids),
        "expiring": funnel.expiring(session, position_ids=ids),
        "since": funnel.completed_since(session, position_ids=ids,
                                        since=user.dashboard_seen_at),
    }
    previous_visit = funnel.mark_seen(session, user=session.merge(user))
    session.commit()
    positions = visible[:20]
    demo_position = None
    if organization is not None and organization.is_demo:
        demo_position = next(
            (p for p in positions if p.status == "open"), positions[0] if positions else None
        )
    return render(
        request,
        "organizations/dashboard.html",
        {
            "organization": organization,
            "counts": counts,
            "positions": positions,
            "demo_position": demo_position,
            "attention": attention,
            "previous_visit": previous_visit,
            "fmt": Numbers(getattr(request.state, "language", "en"),
                           getattr(request.state, "time_zone", None)),
        },
    )
