"""Voluntary self-identification after submit, with its own consent (issue 17)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.pages.common import (
    Token,
    _candidate_page,
    _language,
    _posted,
    _redirect,
)
from app.auth.dependencies import PostedForm
from app.core.db import SessionDep, SessionRoute, WriteSessionDep, pk
from app.core.i18n import gettext_for
from app.core.templating import render
from app.fairness import selfid as selfid_service
from app.organizations import service as organization_service

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _completed_context(session: Session, token: str) -> assessment_service.Context | None:
    """The candidate's context once the attempt is handed in (before: None)."""
    ctx = assessment_service.resolve(session, token=token)
    if ctx.attempt is None or ctx.attempt.status != "completed":
        return None
    return ctx


def _about_you_view(lang: str, questions: list[str]) -> list[dict[str, Any]]:
    _ = gettext_for(lang)
    texts = {
        "gender": (_("Gender"), {"female": _("Woman"), "male": _("Man"),
                                 "another": _("Another gender")}),
        "age_band": (_("Age"), {"under_40": _("Under 40"), "40_plus": _("40 or over")}),
        "first_language": (_("First language"), {"italian": _("Italian"),
                                                 "other": _("Another language")}),
        "disability": (_("Do you have a disability?"), {"yes": _("Yes"), "no": _("No")}),
    }
    return [
        {"key": key, "label": texts[key][0],
         "choices": [*texts[key][1].items(), (selfid_service.PREFER_NOT, _("Prefer not to say"))]}
        for key in questions
    ]


def _render_about_you(
    request: Request, session: Session, ctx: assessment_service.Context, token: str,
    *, error: str | None = None, status_code: int = 200,
) -> Response:
    lang = _language(request, ctx)
    organization = organization_service.get(session, ctx.candidate.organization_id)
    questions = selfid_service.asked(organization.settings if organization else None)
    if not questions:
        return _redirect(f"/a/{token}/done")
    row = selfid_service.get(session, candidate_id=pk(ctx.candidate))
    return render(
        request,
        "assessments/about_you.html",
        {
            "token": token,
            "company": organization.name if organization else "",
            "questions": _about_you_view(lang, questions),
            "values": {key: getattr(row, key) for key in questions} if row else {},
            "answered": row is not None,
            "error": error,
        },
        status_code=status_code,
        language=lang,
    )


@router.get("/{token}/about-you", response_class=HTMLResponse)
@_candidate_page
def about_you_page(request: Request, session: SessionDep, token: Token) -> Response:
    """Optional questions about the candidate, after submit, with their own consent."""
    ctx = _completed_context(session, token)
    if ctx is None:
        return _redirect(f"/a/{token}/section")
    return _render_about_you(request, session, ctx, token)


@router.post("/{token}/about-you", response_class=HTMLResponse)
@_candidate_page
def about_you(request: Request, session: WriteSessionDep, token: Token,
              form: PostedForm) -> Response:
    """Save, skip or withdraw the voluntary answers; nothing here is required."""
    posted = _posted(request, session, token, form, started=None)
    if isinstance(posted, Response):
        return posted
    ctx = _completed_context(session, token)
    if ctx is None:
        return _redirect(f"/a/{token}/section")
    action = form.get("action")
    if action == "withdraw":
        selfid_service.forget(session, candidate_id=pk(ctx.candidate))
        session.commit()
        return _redirect(f"/a/{token}/done?about_you=withdrawn")
    if action != "save":
        return _redirect(f"/a/{token}/done?about_you=skipped")
    if form.get("consent") != "yes":
        _ = gettext_for(_language(request, ctx))
        return _render_about_you(
            request, session, ctx, token, status_code=422,
            error=_("Tick the box to agree before your answers are saved, or choose"
                    " “Skip” to leave without answering."),
        )
    organization = organization_service.get(session, ctx.candidate.organization_id)
    questions = selfid_service.asked(organization.settings if organization else None)
    answers = {key: str(form.get(key) or "") or None for key in questions}
    selfid_service.save(session, organization_id=ctx.candidate.organization_id,
                        candidate_id=pk(ctx.candidate), questions=questions, answers=answers)
    session.commit()
    return _redirect(f"/a/{token}/done?about_you=saved")
