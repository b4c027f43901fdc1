"""A section's intro page (what it is, how long, what is allowed) and its "Begin" button."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.pages.common import (
    CALCULATOR_TYPES,
    Token,
    _attempt,
    _candidate_page,
    _clock,
    _posted,
    _redirect,
    _times_up,
    _token,
)
from app.auth.dependencies import PostedForm
from app.core.db import SessionRoute, WriteSessionDep
from app.core.i18n import gettext_for
from app.core.templating import render
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _render_intro(
    request: Request, session: Session, ctx: assessment_service.Context, lang: str,
    state: dict[str, Any],
) -> HTMLResponse:
    """A section's intro: what it is, how many questions, how long, what is allowed; its
    clock starts on "Begin" (or by itself when the break is over)."""
    current = state["current_section"]
    index = next(i for i, s in enumerate(state["sections"]) if s["key"] == current["key"])
    types = {item.get("type") for item in current["items"]}
    _ = gettext_for(lang)
    attempt = _attempt(ctx)
    battery = Battery.load(session, attempt.questionnaire_versions)
    measured = dict.fromkeys(str(item.competency) for item in
                             battery.section_items(current["key"], attempt.forms))
    return render(
        request,
        "assessments/intro.html",
        {
            "token": _token(request),
            "company": state["organization"],
            "section": current,
            "section_number": index + 1,
            "sections_total": len(state["sections"]),
            "questions": len(current["items"]),
            "minutes_text": _clock(current["time_limit_s"]),
            "extra_time_pct": ctx.candidate.extra_time_pct,
            "calculator": bool(types & set(CALCULATOR_TYPES)),
            "practice": bool(current.get("practice")),
            "starts_in_s": current["starts_in_s"],
            "starts_in_text": _clock(current["starts_in_s"]),
            "times_up": _times_up(state, current["key"]),
            "measures": [_(competency_label(key)) for key in measured],
        },
        language=lang,
    )


@router.post("/{token}/section/{section_key}/begin", response_class=HTMLResponse)
@_candidate_page
def begin_section(
    request: Request,
    session: WriteSessionDep,
    token: Token,
    section_key: Annotated[str, Path(max_length=80)],
    form: PostedForm,
) -> Response:
    """Start the section's clock now, then show its questions (POST → redirect → GET)."""
    ctx = _posted(request, session, token, form)
    if isinstance(ctx, Response):
        return ctx
    if _attempt(ctx).status == "in_progress":
        assessment_service.begin_section(session, ctx=ctx, section_key=section_key)
        session.commit()
    return _redirect(f"/a/{token}/section")
