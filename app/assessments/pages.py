"""The candidate's pages: landing and consent, screening, one section at a time, submit, end.

Everything works without JavaScript: the landing page is a form, each section is one form
whose answers the server saves, and the timer is printed by the server. With JavaScript
(``static/assessment.js``) every answer is also saved the moment it is given through the
candidate JSON API, unsaved answers are kept on the device and re-sent, and the timer counts
down. Domain errors become a page in the candidate's language, never JSON.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hmac
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select
from starlette.datastructures import FormData

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.schemas import StartRequest
from app.auth import service as auth_service
from app.auth.dependencies import CSRF_COOKIE, LANGUAGE_COOKIE, PostedForm, client_ip
from app.auth.permissions import Action, can
from app.auth.security import csrf_matches
from app.candidates import service as candidate_service
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, WriteSessionDep
from app.core.errors import Conflict, Gone, Invalid, NotFound
from app.core.i18n import gettext_for, pick_language
from app.core.numbers import read_number, show_number
from app.core.templating import render
from app.explanations import service as explanation_service
from app.fairness import selfid as selfid_service
from app.ops.ratelimit import guard_candidate_token
from app.organizations import service as organization_service
from app.positions.models import Position
from app.reports import feedback
from app.scores import service as score_service
from app.scores.models import Score
from questionnaires.privacy import PrivacyNotice, load_privacy_notice, render_privacy_notice
from questionnaires.rjp import JobPreview
from questionnaires.schema import Item, SjtItem, is_answered
from questionnaires.screening import ScreeningForm, load_screening_form
from scoring.competencies import label as competency_label

# Unknown tokens are counted per client address (429 past the limit); valid ones pass.
router = APIRouter(
    route_class=SessionRoute,
    prefix="/a", include_in_schema=False, dependencies=[Depends(guard_candidate_token)]
)

Token = Annotated[str, Path(max_length=200)]
SCREENING_LANGUAGES = ("en", "it", "de", "fr", "es")
LANGUAGE_ROWS = 3
NUMBER_FIELDS = (
    "years_sales",
    "years_key_accounts",
    "client_base_size",
    "salary_expectation_monthly",
)
ERROR_ORDER = (
    "form",
    "consent",
    "education",
    "languages",
    "lang_1",
    "lang_2",
    "lang_3",
    *NUMBER_FIELDS,
    "variable_pay",
)




@lru_cache
def _screening_form() -> ScreeningForm:
    return load_screening_form()


@lru_cache
def _privacy_notice() -> PrivacyNotice:
    return load_privacy_notice()


@lru_cache
def _job_preview() -> JobPreview:
    return JobPreview.load()


# --- language, errors, small helpers ------------------------------------------------------


def _language(request: Request, ctx: assessment_service.Context | None) -> str:
    """?lang=, then the language the candidate chose before (cookie), then the invitation's."""
    attempt_language = ctx.attempt.language if ctx and ctx.attempt else None
    invited_language = ctx.candidate.language if ctx else None
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        attempt_language,
        invited_language,
        getattr(request.state, "language", None),
    )


def _problem(
    request: Request,
    session: Session,
    token: str,
    exc: Exception,
    ctx: assessment_service.Context | None = None,
) -> HTMLResponse:
    """A friendly page for 404/409/410/422 in the candidate's language, saying what to do."""
    status = getattr(exc, "status_code", 400)
    found = (
        (ctx.invitation, ctx.candidate) if ctx
        else candidate_service.find_by_token(session, token=token)
    )
    invitation, candidate = found if found else (None, None)
    lang = pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        candidate.language if candidate else None,
        getattr(request.state, "language", None),
    )
    organization = (
        organization_service.get(session, candidate.organization_id) if candidate else None
    )
    if candidate is None:
        kind = "not_found"
    elif status == 410:
        kind = "withdrawn" if invitation.revoked_at or candidate.erased_at else "expired"
    elif status == 422:
        kind = "invalid"
    else:  # 404 of a part of a valid link, 409: the step is no longer possible
        kind = "conflict"
    return render(
        request,
        "assessments/problem.html",
        {
            "kind": kind,
            "token": token if kind in ("conflict", "invalid") else None,
            "company": organization.name if organization else None,
        },
        status_code=status,
        language=lang,
    )


async def unknown_link_page(request: Request, _exc: Exception) -> Response:
    """The page for a link that does not exist (refused by the token guard before any
    handler), in the browser's language; it needs no database."""
    response = render(request, "assessments/problem.html",
                      {"kind": "not_found", "token": None, "company": None}, status_code=404,
                      language=_language(request, None))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _candidate_page(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Turn the domain errors a candidate can meet into a friendly page (not JSON)."""

    @functools.wraps(handler)
    def wrapper(**kwargs: Any) -> Response:
        try:
            response = handler(**kwargs)
        except (NotFound, Gone, Conflict, Invalid) as exc:
            response = _problem(kwargs["request"], kwargs["session"], kwargs["token"], exc)
        # Personal pages behind a secret link, with a live timer: never cached, never indexed.
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _csrf_ok(request: Request, form: FormData) -> bool:
    submitted = form.get("csrf_token")
    return csrf_matches(
        get_settings().secret_key,
        request.cookies.get(CSRF_COOKIE),
        submitted if isinstance(submitted, str) else None,
    )


def _refuse_csrf(
    request: Request, session: Session, token: str, ctx: assessment_service.Context
) -> HTMLResponse:
    return _problem(request, session, token, Invalid("csrf"), ctx)


def _token(request: Request) -> str:
    """The token of the current candidate page (from the path)."""
    return str(request.path_params["token"])


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _show_number(value: Any, lang: str, *, group_from: float = 1000) -> str:
    """A number as the candidate's language writes it (3.400,5 in Italian, 3,400.5 in English)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return show_number(value, lang, group_from=group_from)


def _clock(seconds: int) -> str:
    """12:00, or 1:05:00 past an hour."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- landing and start -------------------------------------------------------------------


def _contact_email(session: Session, organization_id: int, lang: str) -> str:
    """Who to write to about the data: the organization's first admin, else a neutral phrase."""
    admins = [
        user
        for user in auth_service.list_users(session, organization_id=organization_id)
        if can(user, Action.administer) and user.is_active
    ]
    if admins:
        return min(admins, key=lambda user: user.id).email
    return gettext_for(lang)("the company that invited you")


def _screening_view(lang: str) -> dict[str, Any]:
    """The screening form's labels, help texts and choices in ``lang``."""
    form = _screening_form()
    languages = form.field("languages")
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
    total_s = sum(section["time_limit_s"] for section in state["sections"])
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
            "minutes": math.ceil(total_s / 60),
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


def _start_errors(
    exc: ValidationError, rows: list[int], _: Callable[..., str], lang: str
) -> dict[str, str]:
    """The validation errors of the start form, by form field, in the candidate's words."""
    example = "2,5" if lang == "it" else "2.5"
    messages = {
        "education": _("Choose your highest level of education."),
        "years_sales": _(
            "Enter a number of years from 0 to 60, for example %(example)s.", example=example
        ),
        "years_key_accounts": _(
            "Enter a number of years from 0 to 60, for example %(example)s.", example=example
        ),
        "client_base_size": _("Enter a whole number from 0 to 100000."),
        "salary_expectation_monthly": _(
            "Enter an amount in euros from 0 to 100000, or leave it empty."
        ),
        "languages": _("Each language can be listed only once."),
        "variable_pay": _("Choose one of the options."),
    }
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        if loc and loc[0] == "screening" and len(loc) >= 3 and loc[1] == "languages":
            row = rows[int(loc[2])] if isinstance(loc[2], int) and loc[2] < len(rows) else 1
            errors.setdefault(
                f"lang_{row}", _("Choose the language and your level, or leave both empty.")
            )
        elif loc and loc[0] == "screening" and len(loc) >= 2 and loc[1] in messages:
            errors.setdefault(str(loc[1]), messages[str(loc[1])])
        elif loc and loc[0] == "screening":
            errors.setdefault("languages", messages["languages"])
        else:
            errors.setdefault(
                "form", _("Some answers could not be read. Check the form and send it again.")
            )
    return errors


def _start_request(form: FormData, lang: str) -> tuple[dict[str, Any], list[int], dict[str, str]]:
    """The StartRequest body from the form, the row of each language entry, row errors."""
    _ = gettext_for(lang)
    screening: dict[str, Any] = {"education": form.get("education") or None, "languages": []}
    rows, errors = [], {}
    for row in range(1, LANGUAGE_ROWS + 1):
        code, level = form.get(f"lang_{row}") or "", form.get(f"cefr_{row}") or ""
        if not code and not level:
            continue
        if not code or not level:
            errors[f"lang_{row}"] = _("Choose the language and your level, or leave both empty.")
            continue
        screening["languages"].append({"language": code, "cefr_self": level})
        rows.append(row)
    for key in NUMBER_FIELDS:
        screening[key] = str(form.get(key) or "").strip()
    if form.get("variable_pay"):
        screening["variable_pay"] = str(form.get("variable_pay"))
    body = {"consent": form.get("consent") == "yes", "language": lang, "screening": screening}
    return body, rows, errors


@router.post("/{token}/start", response_class=HTMLResponse)
@_candidate_page
def start(request: Request, session: WriteSessionDep, token: Token, form: PostedForm) -> Response:
    """Consent and screening: start the first section, or show the form again with errors."""
    ctx = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, ctx)
    if ctx.attempt is not None:
        return _redirect(f"/a/{token}/section")
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


START_COOKIE = "kam_start_form"
START_COOKIE_AGE = 15 * 60


def _checked_start(form: Any, lang: str) -> tuple[StartRequest | None, dict[str, str]]:
    """The start request from the landing form, or the errors to show next to its fields."""
    _ = gettext_for(lang)
    body, rows, errors = _start_request(form, lang)
    data = None
    try:
        data = StartRequest.model_validate(body)
    except ValidationError as exc:
        errors = {**_start_errors(exc, rows, _, lang), **errors}
    if not body["consent"]:
        errors["consent"] = _(
            "Tick the box to give your consent: the assessment can only start after you do."
        )
    return data, errors


def _signature(token: str, payload: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"start:{token}:{payload}".encode(), "sha256").hexdigest()


def _signed(token: str, values: dict[str, str]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
    return f"{payload}.{_signature(token, payload)}"


def _unsigned(token: str, cookie: str | None) -> dict[str, str] | None:
    """The values in the cookie, if this server signed them for this link."""
    payload, _dot, signature = (cookie or "").partition(".")
    if not payload or not hmac.compare_digest(_signature(token, payload), signature):
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else None


# --- sections ----------------------------------------------------------------------------


def _target_languages(session: Session, ctx: assessment_service.Context) -> dict[str, str]:
    """Section key -> the language its items are written in, for language questionnaires."""
    battery = Battery.load(session, ctx.attempt.questionnaire_versions)
    return {
        section_key: battery.questionnaires[questionnaire_key].target_language
        for section_key, (questionnaire_key, _section) in battery.sections.items()
        if battery.questionnaires[questionnaire_key].target_language
    }


def _item_views(
    items: list[dict[str, Any]],
    lang: str,
    *,
    item_lang: str | None,
    errors: dict[str, str],
    raw: dict[str, str],
    readings: dict[str, list[tuple[str, str]]] | None = None,
) -> list[dict[str, Any]]:
    """What the section template needs per item (still no key, score or tolerance)."""
    views = []
    for number, item in enumerate(items, start=1):
        answer = item.get("answer")
        if item["id"] in raw:
            value = raw[item["id"]]
        elif item["type"] == "numeric":
            value = _show_number(answer, lang)
        elif isinstance(answer, dict):
            value = ""
        else:
            value = "" if answer is None else str(answer)
        view = {
            **item,
            "number": number,
            "value": value,
            "error": errors.get(item["id"]),
            "lang": item_lang if item_lang and item_lang != lang else None,
            "readings": (readings or {}).get(item["id"]),
            "understood": _show_number(answer, lang)
            if item["type"] == "numeric" and item["id"] not in raw else None,
        }
        if item.get("practice"):
            view["correct_text"] = _correct_text(item, lang)
        if item["type"] == "likert":
            scale = item["scale"]
            labels = list(scale["labels"])
            view["points"] = [
                (point, labels[point - scale["min"]] if point - scale["min"] < len(labels) else "")
                for point in range(scale["min"], scale["max"] + 1)
            ]
        if "stimulus" in item and "rows" in item["stimulus"]:
            stimulus = item["stimulus"]
            rows = [[_cell(cell, lang) for cell in row] for row in stimulus["rows"]]
            view["stimulus"] = {
                **stimulus,
                "rows": rows,
                "columns": [
                    {"text": str(column), "numeric": all(row[i]["numeric"] for row in rows)}
                    for i, column in enumerate(stimulus["columns"])
                ],
            }
        views.append(view)
    return views


def _cell(cell: Any, lang: str) -> dict[str, Any]:
    numeric = isinstance(cell, int | float) and not isinstance(cell, bool)
    text = _show_number(cell, lang, group_from=10_000) if numeric else str(cell)
    return {"text": text, "numeric": numeric}


def _correct_text(item: dict[str, Any], lang: str) -> str | None:
    """The answer of a practice item, as the feedback shows it (practice is never scored)."""
    correct = item.get("correct")
    if item["type"] == "numeric" and isinstance(correct, int | float):
        return _show_number(correct, lang)
    if item["type"] == "single_choice":
        return next((o["text"] for o in item.get("options", []) if o["id"] == correct), None)
    return None


def _render_section(
    request: Request,
    session: Session,
    ctx: assessment_service.Context,
    lang: str,
    state: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    raw: dict[str, str] | None = None,
    readings: dict[str, list[tuple[str, str]]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current = state["current_section"]
    token = _token(request)
    index = next(i for i, s in enumerate(state["sections"]) if s["key"] == current["key"])
    here = state["sections"][index]
    item_lang = _target_languages(session, ctx).get(current["key"])
    remaining = current["remaining_s"]
    return render(
        request,
        "assessments/section.html",
        {
            "token": token,
            "company": state["organization"],
            "section": current,
            "section_number": index + 1,
            "sections_total": len(state["sections"]),
            "items": _item_views(
                current["items"], lang, item_lang=item_lang, errors=errors or {}, raw=raw or {},
                readings=readings,
            ),
            "practice": _item_views(
                current.get("practice", []), lang, item_lang=item_lang, errors={}, raw={}
            ),
            "number_example": "3.400 / 12,5" if lang == "it" else "3,400 / 12.5",
            "errors": errors or {},
            "remaining_s": remaining,
            "remaining_text": _clock(remaining),
            "deadline": _iso(current["deadline_at"]),
            "progress": state["progress"],
            "answered_elsewhere": state["progress"]["answered"] - here["answered"],
            "saved": request.query_params.get("saved"),
            "half": request.query_params.get("half"),
            "closed": request.query_params.get("closed"),
            "decimal_example": "12,5" if lang == "it" else "12.5",
            "calculator": any(item.get("type") in CALCULATOR_TYPES for item in current["items"]),
        },
        status_code=status_code,
        language=lang,
    )


def _current_state(session: Session, ctx: assessment_service.Context, lang: str) -> dict:
    """Catch the attempt up with the clock (finalizing it when overdue) and read its state."""
    if assessment_service.finalize_if_overdue(session, ctx=ctx):
        score_service.score_submitted(session, attempt=ctx.attempt)
        session.commit()
    state = assessment_service.state(session, ctx=ctx, language=lang)
    session.commit()
    return state


@router.get("/{token}/section", response_class=HTMLResponse)
@_candidate_page
def section_page(request: Request, session: WriteSessionDep, token: Token) -> Response:
    """The current section, or the submit page when every section is over."""
    ctx = assessment_service.resolve(session, token=token)
    if ctx.attempt is None:
        return _redirect(f"/a/{token}")
    lang = _language(request, ctx)
    state = _current_state(session, ctx, lang)
    if state["status"] == "completed":
        return _redirect(f"/a/{token}/done")
    if state["current_section"] is None:
        return render(
            request,
            "assessments/submit.html",
            {
                "token": token,
                "sections": state["sections"],
                "progress": state["progress"],
                "closed": request.query_params.get("closed"),
                "times_up": _times_up(state, None),
            },
            language=lang,
        )
    if state["current_section"]["phase"] == "intro":
        return _render_intro(request, session, ctx, lang, state)
    check = request.query_params.get("check")
    if check and check == state["current_section"]["key"]:
        # Back from a form with mistakes: show them again from the address (nothing saved).
        battery = Battery.load(session, ctx.attempt.questionnaire_versions)
        checked = _check_items(request, session, ctx, battery, check, request.query_params,
                               lang, save=False)
        if checked.errors:
            return _render_section(request, session, ctx, lang, state, errors=checked.errors,
                                   raw=checked.raw, readings=checked.readings,
                                   status_code=422)
    return _render_section(request, session, ctx, lang, state)


def _times_up(state: dict[str, Any], key: str | None) -> dict[str, Any] | None:
    """The section just before ``key`` (the last one when None) if the clock ended it."""
    keys = [s["key"] for s in state["sections"]]
    index = keys.index(key) if key in keys else len(keys)
    previous = state["sections"][index - 1] if index > 0 else None
    return previous if previous and previous.get("ended_by_time") else None


#: Items a calculator helps with: the intro says it is on the page.
CALCULATOR_TYPES = ("numeric",)


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
    battery = Battery.load(session, ctx.attempt.questionnaire_versions)
    measured = dict.fromkeys(str(item.competency) for item in
                             battery.section_items(current["key"], ctx.attempt.forms))
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
    ctx = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, ctx)
    if ctx.attempt is None:
        return _redirect(f"/a/{token}")
    if ctx.attempt.status == "in_progress":
        assessment_service.begin_section(session, ctx=ctx, section_key=section_key)
        session.commit()
    return _redirect(f"/a/{token}/section")


@router.get("/{token}/section/{section_key}")
def section_form_page(token: Token, section_key: str) -> Response:
    """The section form posts here; a plain visit goes to the current section."""
    return _redirect(f"/a/{token}/section")


def _form_value(item: Item, form: FormData, lang: str) -> tuple[Any, str, list[float]]:
    """The API value of an item's form answer, the text typed, and the readings of an
    ambiguous number. Value ``None`` with text: unusable (an error); no text: not answered."""
    if isinstance(item, SjtItem) and item.best_worst:
        best, worst = (str(form.get(f"item-{item.id}-{side}") or "").strip() or None
                       for side in ("best", "worst"))
        if best is None and worst is None:
            return None, "", []
        return {"best": best, "worst": worst}, "best/worst", []
    given = form.get(f"item-{item.id}")
    text = given.strip() if isinstance(given, str) else ""
    if not text:
        return None, "", []
    if item.type == "likert":
        return (int(text) if re.fullmatch(r"[+-]?\d{1,3}", text) else None), text, []
    if item.type == "numeric":
        chosen = form.get(f"item-{item.id}-reading")
        reading = read_number(text, lang)
        if reading.ambiguous:
            picked = next((v for v in reading.alternatives if str(v) == chosen), None)
            return picked, text, [] if picked is not None else list(reading.alternatives)
        return reading.value, text, []
    return text, text, []


def _item_error(
    _: Callable[..., str], item: Item, lang: str, scale: dict[str, Any] | None,
    value: Any = None, ambiguous: bool = False,
) -> str:
    if item.type == "likert":
        low, high = (scale["min"], scale["max"]) if scale else (1, 5)
        return _("Choose one point of the scale, from %(low)d to %(high)d.", low=low, high=high)
    if item.type == "numeric":
        if ambiguous:
            return _("This number can be read in two ways: choose the one you mean.")
        return _(
            "Enter a number, for example %(example)s.",
            example="3.400 / 12,5" if lang == "it" else "3,400 / 12.5",
        )
    if isinstance(item, SjtItem) and item.best_worst:
        if isinstance(value, dict) and value.get("best") and value.get("best") == value.get(
            "worst"
        ):
            return _("The most and the least effective action must be two different actions.")
        return _("Choose the most effective and the least effective action.")
    return _("Choose one of the options.")


@router.post("/{token}/section/{section_key}", response_class=HTMLResponse)
@_candidate_page
def save_section(
    request: Request,
    session: WriteSessionDep,
    token: Token,
    section_key: Annotated[str, Path(max_length=80)],
    form: PostedForm,
) -> Response:
    """The no-JavaScript path: save every answer given, then stay or finish the section."""
    ctx = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, ctx)
    if ctx.attempt is None:
        return _redirect(f"/a/{token}")
    lang = _language(request, ctx)
    _ = gettext_for(lang)
    state = _current_state(session, ctx, lang)
    if state["status"] == "completed":
        return _redirect(f"/a/{token}/done")
    battery = Battery.load(session, ctx.attempt.questionnaire_versions)
    if section_key not in battery.sections:
        raise NotFound(f"Section {section_key} is not part of this assessment.")
    checked = _check_items(request, session, ctx, battery, section_key, form, lang, save=True)
    session.commit()
    if checked.closed:
        return _redirect(f"/a/{token}/section?closed=1")
    if checked.errors:
        # POST → redirect → GET: the page with the mistakes is a GET (reload and Back never
        # ask to send the form again); the answers with a mistake travel in the address.
        return _redirect(f"/a/{token}/section?" + urlencode(
            [("check", section_key), *checked.typed]))
    if form.get("action") == "complete":
        assessment_service.complete_section(session, ctx=ctx, section_key=section_key)
        session.commit()
        return _redirect(f"/a/{token}/section")
    return _redirect(f"/a/{token}/section?saved={checked.saved}"
                     + ("&half=1" if checked.incomplete else ""))


@dataclasses.dataclass
class _Checked:
    """What a section form's answers came to: errors to show, and what was saved."""

    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    raw: dict[str, str] = dataclasses.field(default_factory=dict)
    readings: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict)
    typed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # with a mistake
    saved: int = 0
    incomplete: int = 0
    closed: bool = False


def _check_items(
    request: Request, session: Session, ctx: assessment_service.Context, battery: Battery,
    section_key: str, form: Any, lang: str, *, save: bool,
) -> _Checked:
    """Read each answer of the section's form; save the good ones when ``save``."""
    _ = gettext_for(lang)
    section = battery.sections[section_key][1]
    scale = {"min": section.scale.min, "max": section.scale.max} if section.scale else None
    out = _Checked()
    for item in battery.section_items(section_key, ctx.attempt.forms):
        value, text, alternatives = _form_value(item, form, lang)
        if not text:
            continue
        try:
            if value is None:
                raise Invalid(item.id)
            if not save:
                assessment_service.check_value(item, section, value)
            else:
                assessment_service.save_answer(
                    session, ctx=ctx, item_id=item.id, value=value, elapsed_ms=None,
                    ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                )
                out.saved += 1
                out.incomplete += not is_answered(item, value)
        except Invalid:
            out.errors[item.id] = _item_error(_, item, lang, scale, value, bool(alternatives))
            if item.type == "numeric":
                out.raw[item.id] = text[:100]
            if alternatives:
                out.readings[item.id] = [(str(v), _show_number(v, lang)) for v in alternatives]
            out.typed += [(name, str(form.get(name))[:100]) for name in
                          (f"item-{item.id}", f"item-{item.id}-best", f"item-{item.id}-worst")
                          if form.get(name)]
        except Conflict:
            out.closed = True
    return out


@router.post("/{token}/submit", response_class=HTMLResponse)
@_candidate_page
def submit(request: Request, session: WriteSessionDep, token: Token, form: PostedForm) -> Response:
    """Hand in the attempt (a repeat or a second tab changes nothing) and say thank you."""
    ctx = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, ctx)
    if ctx.attempt is None:
        return _redirect(f"/a/{token}")
    if assessment_service.submit(session, ctx=ctx):
        score_service.score_submitted(session, attempt=ctx.attempt)
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
                session, candidate_id=ctx.candidate.id) is not None,
        },
        language=lang,
    )


def _feedback(session: Session, ctx: assessment_service.Context, lang: str) -> Any:
    """The developmental feedback, when the position shows it (words only, no scores)."""
    position = session.get(Position, ctx.candidate.position_id)
    if position is None or not position.feedback_page:
        return None
    score = session.exec(select(Score).where(Score.attempt_id == ctx.attempt.id)).first()
    return feedback.feedback(gettext_for(lang), score.scales if score else None)


# --- voluntary self-identification (issue 17) ---------------------------------------------


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
    row = selfid_service.get(session, candidate_id=ctx.candidate.id)
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
    resolved = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, resolved)
    ctx = _completed_context(session, token)
    if ctx is None:
        return _redirect(f"/a/{token}/section")
    action = form.get("action")
    if action == "withdraw":
        selfid_service.forget(session, candidate_id=ctx.candidate.id)
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
                        candidate_id=ctx.candidate.id, questions=questions, answers=answers)
    session.commit()
    return _redirect(f"/a/{token}/done?about_you=saved")
