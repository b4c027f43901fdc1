"""The current section's page: its questions, the saved answers, the mistakes and the timer;
the submit page (with the time's-up notice) once every section is over.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.pages.answers import _check_items
from app.assessments.pages.common import (
    CALCULATOR_TYPES,
    Token,
    _attempt,
    _candidate_page,
    _clock,
    _current_state,
    _iso,
    _language,
    _redirect,
    _show_number,
    _times_up,
    _token,
)
from app.assessments.pages.intro import _render_intro
from app.core.db import SessionRoute, WriteSessionDep
from app.core.templating import render

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _target_languages(session: Session, ctx: assessment_service.Context) -> dict[str, str]:
    """Section key -> the language its items are written in, for language questionnaires."""
    battery = Battery.load(session, _attempt(ctx).questionnaire_versions)
    languages = {
        section_key: battery.questionnaires[questionnaire_key].target_language
        for section_key, (questionnaire_key, _section) in battery.sections.items()
    }
    return {key: language for key, language in languages.items() if language}


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


@router.get("/{token}/section/{section_key}")
def section_form_page(token: Token, section_key: str) -> Response:
    """The section form posts here; a plain visit goes to the current section."""
    return _redirect(f"/a/{token}/section")
