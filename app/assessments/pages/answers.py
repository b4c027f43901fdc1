"""Saving a section's form (the no-JavaScript path): each answer read, checked, saved, and
the mistakes sent back to the section's page.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.pages.common import (
    Token,
    _attempt,
    _candidate_page,
    _current_state,
    _language,
    _posted,
    _redirect,
    _show_number,
)
from app.auth.dependencies import PostedForm, client_ip
from app.core.db import SessionRoute, WriteSessionDep
from app.core.errors import N_, Conflict, Invalid, NotFound
from app.core.i18n import gettext_for
from app.core.numbers import read_number
from questionnaires.schema import Item, SjtItem, is_answered

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


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
    ctx = _posted(request, session, token, form)
    if isinstance(ctx, Response):
        return ctx
    lang = _language(request, ctx)
    _ = gettext_for(lang)
    state = _current_state(session, ctx, lang)
    if state["status"] == "completed":
        return _redirect(f"/a/{token}/done")
    battery = Battery.load(session, _attempt(ctx).questionnaire_versions)
    if section_key not in battery.sections:
        raise NotFound(N_("Section %(section)s is not part of this assessment."),
                       params={"section": section_key})
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
    for item in battery.section_items(section_key, _attempt(ctx).forms):
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
