"""Handing in the attempt and the end page (thank you, what happens next, never a score)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, select

from app.assessments import service as assessment_service
from app.assessments.pages.common import (
    Token,
    _attempt,
    _candidate_page,
    _current_state,
    _language,
    _posted,
    _redirect,
)
from app.auth.dependencies import PostedForm
from app.core.db import SessionRoute, WriteSessionDep, pk
from app.core.i18n import gettext_for
from app.core.templating import render
from app.explanations import service as explanation_service
from app.fairness import selfid as selfid_service
from app.organizations import service as organization_service
from app.positions.models import Position
from app.reports import feedback
from app.scores import service as score_service
from app.scores.models import Score

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


@router.post("/{token}/submit", response_class=HTMLResponse)
@_candidate_page
def submit(request: Request, session: WriteSessionDep, token: Token, form: PostedForm) -> Response:
    """Hand in the attempt (a repeat or a second tab changes nothing) and say thank you."""
    ctx = _posted(request, session, token, form)
    if isinstance(ctx, Response):
        return ctx
    if assessment_service.submit(session, ctx=ctx):
        score_service.score_submitted(session, attempt=_attempt(ctx))
    session.commit()
    return _redirect(f"/a/{token}/done")


@router.get("/{token}/submit")
def submit_page(token: Token) -> Response:
    """Submitting is a form on the section page once every section is over."""
    return _redirect(f"/a/{token}/section")


@router.get("/{token}/done", response_class=HTMLResponse)
@_candidate_page
def done(request: Request, session: WriteSessionDep, token: Token) -> Response:
    """The end page: thank you and what happens next (never a score)."""
    ctx = assessment_service.resolve(session, token=token)
    if ctx.attempt is None:
        return _redirect(f"/a/{token}")
    lang = _language(request, ctx)
    if ctx.attempt.status != "completed":
        state = _current_state(session, ctx, lang)
        if state["status"] != "completed":
            return _redirect(f"/a/{token}/section")
    organization = organization_service.get(session, ctx.candidate.organization_id)
    return render(
        request,
        "assessments/done.html",
        {
            "company": organization.name if organization else "",
            "candidate_name": ctx.candidate.full_name,
            "feedback": _feedback(session, ctx, lang),
            "token": token,
            "asks_about_you": bool(selfid_service.asked(organization.settings))
            if organization else False,
            "answered_about_you": request.query_params.get("about_you"),
            "has_decision": explanation_service.latest_decision(
                session, candidate_id=pk(ctx.candidate)) is not None,
        },
        language=lang,
    )


def _feedback(session: Session, ctx: assessment_service.Context, lang: str) -> Any:
    """The developmental feedback, when the position shows it (words only, no scores)."""
    position = session.get(Position, ctx.candidate.position_id)
    if position is None or not position.feedback_page:
        return None
    score = session.exec(select(Score).where(Score.attempt_id == pk(_attempt(ctx)))).first()
    return feedback.feedback(gettext_for(lang), score.scales if score else None)
