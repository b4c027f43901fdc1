"""Where a position's candidates are: each step, each section's drop-off and time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.dependencies import PageUser
from app.bank import service as bank_service
from app.core.db import SessionDep, SessionRoute, pk
from app.core.templating import render
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import funnel
from app.reports.pages.common import _lang, _tz
from app.reports.wording import Numbers

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


@router.get("/positions/{position_id:int}/funnel", response_class=HTMLResponse)
def position_funnel(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """Where the position's candidates are: each step, each section's drop-off and time."""
    position = position_service.get(session, position_id=position_id, user=user)
    lang = _lang(request)
    rows = funnel.sections(session, position_id=pk(position))
    titles = _section_titles(session, position, lang)
    for row in rows:
        row["title"] = titles.get(row["key"], row["key"])
    return render(request, "reports/funnel.html", {
        "position": position,
        "stages": funnel.stages(session, position_id=pk(position)),
        "sections": rows,
        "fmt": Numbers(lang, _tz(request)),
    })


def _section_titles(session: Session, position: Position, lang: str) -> dict[str, str]:
    """Section key → its title in ``lang``, over the position's questionnaires."""
    titles = {}
    for key in position.questionnaires:
        version = (position.questionnaire_versions or {}).get(key)
        for section in bank_service.get(session, key=key, version=version).sections:
            titles[section.key] = section.title.pick(lang)
    return titles
