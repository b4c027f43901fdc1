"""The landing page: who is asking, how long it takes, the privacy notice, consent and the
screening form; its post starts the assessment.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.assessments import service as assessment_service
from app.assessments.pages.common import (
    Token,
    _candidate_page,
    _language,
    _posted,
    _redirect,
    _token,
)
from app.assessments.pages.screening import (
    ERROR_ORDER,
    LANGUAGE_ROWS,
    START_COOKIE,
    START_COOKIE_AGE,
    _checked_start,
    _signed,
    _unsigned,
)
from app.auth import service as auth_service
from app.auth.dependencies import PostedForm, client_ip
from app.auth.permissions import Action, can
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, WriteSessionDep, pk
from app.core.i18n import gettext_for
from app.core.templating import render
from app.organizations import service as organization_service
from questionnaires.privacy import PrivacyNotice, load_privacy_notice, render_privacy_notice
from questionnaires.rjp import JobPreview
from questionnaires.screening import LanguageListField, ScreeningForm, load_screening_form

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


SCREENING_LANGUAGES = ("en", "it", "de", "fr", "es")


@lru_cache
def _screening_form() -> ScreeningForm:
    return load_screening_form()


@lru_cache
def _privacy_notice() -> PrivacyNotice:
    return load_privacy_notice()


@lru_cache
def _job_preview() -> JobPreview:
    return JobPreview.load()


def _contact_email(session: Session, organization_id: int, lang: str) -> str:
    """Who to write to about the data: the organization's first admin, else a neutral phrase."""
    admins = [
        user
        for user in auth_service.list_users(session, organization_id=organization_id)
        if can(user, Action.administer) and user.is_active
    ]
    if admins:
        return min(admins, key=lambda user: pk(user)).email
    return gettext_for(lang)("the company that invited you")


def _screening_view(lang: str) -> dict[str, Any]:
    """The screening form's labels, help texts and choices in ``lang``."""
    form = _screening_form()
    languages = form.field("languages")
    if not isinstance(languages, LanguageListField):
        raise ValueError("the screening form's languages field is not a language list")
    view: dict[str, Any] = {"title": form.title.pick(lang), "intro": form.intro.pick(lang)}
    for field in form.fields:
        entry: dict[str, Any] = {
            "key": field.key,
            "label": field.label.pick(lang),
            "help": field.help.pick(lang),
            "required": field.required,
        }
        if field.type == "choice":
            entry["choices"] = [(c.value, c.label.pick(lang)) for c in field.choices]
            entry["choice_help"] = [(c.label.pick(lang), c.help.pick(lang))
                                    for c in field.choices if c.help]
        elif field.type in ("number", "integer"):
            entry["unit"] = field.unit.pick(lang) if field.unit else ""
            entry["integer"] = field.type == "integer"
        view[field.key] = entry
    names = {choice.value: choice.label.pick(lang) for choice in languages.language.choices}
    view["languages"]["codes"] = [(code, names.get(code, code)) for code in SCREENING_LANGUAGES]
    view["languages"]["language_label"] = languages.language.label.pick(lang)
    view["languages"]["cefr_label"] = languages.cefr_self.label.pick(lang)
    view["languages"]["cefr_help"] = (
        languages.cefr_self.help.pick(lang) if languages.cefr_self.help else ""
    )
    view["languages"]["levels"] = [
        (c.value, c.label.pick(lang)) for c in languages.cefr_self.choices
    ]
    view["languages"]["rows"] = list(range(1, LANGUAGE_ROWS + 1))
    return view


def _render_landing(
    request: Request,
    session: Session,
    ctx: assessment_service.Context,
    lang: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    state = assessment_service.state(session, ctx=ctx, language=lang)
    organization = organization_service.get(session, ctx.candidate.organization_id)
    company = organization.name if organization else state["organization"]
    notice = render_privacy_notice(
        _privacy_notice(),
        lang,
        organization=company,
        retention_months=organization.retention_months if organization else 24,
        contact_email=_contact_email(session, ctx.candidate.organization_id, lang),
    )
    screening = _screening_view(lang)
    sections = [
        {**section, "minutes": math.ceil(section["time_limit_s"] / 60)}
        for section in state["sections"]
    ]
    labels = {
        key: entry["label"]
        for key, entry in screening.items()
        if isinstance(entry, dict) and "label" in entry
    }
    _ = gettext_for(lang)
    labels.update(
        {f"lang_{row}": _("Language %(number)d", number=row) for row in range(1, LANGUAGE_ROWS + 1)}
    )
    labels["consent"] = _("Consent")
    ordered = {key: (errors or {})[key] for key in ERROR_ORDER if key in (errors or {})}
    return render(
        request,
        "assessments/landing.html",
        {
            "token": _token(request),
            "company": company,
            "position": state["position"],
            "candidate_name": ctx.candidate.full_name,
            # The sum of the minutes listed per section, so the two never disagree.
            "minutes": sum(section["minutes"] for section in sections),
            "sections": sections,
            "extra_time_pct": ctx.candidate.extra_time_pct,
            "notice": notice,
            "preview": _job_preview().render(lang),
            "screening": screening,
            "values": values or {},
            "errors": ordered,
            "labels": labels,
        },
        status_code=status_code,
        language=lang,
    )


@router.get("/{token}", response_class=HTMLResponse)
@_candidate_page
def landing(request: Request, session: SessionDep, token: Token) -> Response:
    """Who is asking, how long it takes, the privacy notice, consent and the screening form."""
    ctx = assessment_service.resolve(session, token=token)
    if ctx.attempt is not None:
        done = ctx.attempt.status == "completed"
        return _redirect(f"/a/{token}/done" if done else f"/a/{token}/section")
    lang = _language(request, ctx)
    values = (_unsigned(token, request.cookies.get(START_COOKIE))
              if request.query_params.get("check") else None)
    if values is not None:
        _data, errors = _checked_start(FormData(list(values.items())), lang)
        if errors:
            return _render_landing(request, session, ctx, lang, values=values, errors=errors,
                                   status_code=422)
    return _render_landing(request, session, ctx, lang)


@router.get("/{token}/start")
def start_page(token: Token, request: Request) -> Response:
    """The start form lives on the landing page (a language link can land here)."""
    lang = request.query_params.get("lang")
    return _redirect(f"/a/{token}" + (f"?lang={lang}" if lang in ("it", "en") else ""))


@router.post("/{token}/start", response_class=HTMLResponse)
@_candidate_page
def start(request: Request, session: WriteSessionDep, token: Token, form: PostedForm) -> Response:
    """Consent and screening: start the first section, or show the form again with errors."""
    ctx = _posted(request, session, token, form, started=False)
    if isinstance(ctx, Response):
        return ctx
    lang = _language(request, ctx)
    data, errors = _checked_start(form, lang)
    if errors or data is None:
        # POST → redirect → GET: the form with its mistakes is shown by a GET (reload and
        # Back never ask to resend). What was typed waits in a short-lived signed cookie,
        # scoped to this link, not in the address (it holds screening answers).
        values = {key: str(value) for key, value in form.items() if key != "csrf_token"}
        response = _redirect(f"/a/{token}?check=1")
        response.set_cookie(START_COOKIE, _signed(token, values), max_age=START_COOKIE_AGE,
                            httponly=True, samesite="lax", path=f"/a/{token}",
                            secure=get_settings().secure_cookies)
        return response
    assessment_service.start(
        session,
        ctx=ctx,
        data=data,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    session.commit()
    response = _redirect(f"/a/{token}/section")
    response.delete_cookie(START_COOKIE, path=f"/a/{token}")
    return response
