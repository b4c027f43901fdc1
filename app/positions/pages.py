"""Positions for HR: list, create, edit. The position page itself (pipeline and invitation
form) is in app/reports/pages.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from app.audit import service as audit
from app.auth.dependencies import CsrfChecked, FormFirst, PageUser, PostedForm, client_ip
from app.auth.models import Role, User
from app.auth.permissions import Action, can
from app.bank import service as bank_service
from app.candidates.models import Candidate
from app.core import fields
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, Forbidden, Invalid
from app.core.i18n import gettext_for
from app.core.numbers import show_number
from app.core.templating import render
from app.core.tenancy import owned_by, readable
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.schemas import PositionCreate, PositionUpdate
from app.scores import service as score_service
from questionnaires.screening import ChoiceField, load_screening_form
from questionnaires.timing import questionnaire_seconds
from scoring.competencies import CEFR_LEVELS, COMPETENCIES
from scoring.vocabulary import EDUCATION_LEVELS

router = APIRouter(route_class=SessionRoute, include_in_schema=False)



def _require_hr(user: User) -> None:
    if not can(user, Action.manage_hiring):
        raise Forbidden()


def _fit_weight(value: Any) -> Any:
    """The mix's fit weight as typed (0 is a weight, not a blank), 0.5 when left blank."""
    number = _number(value)
    return 0.5 if number is None else number


def _number(value: Any) -> float | str | None:
    """The number typed (None: left blank); text that is no number comes back as typed, for
    validation to name the field."""
    text = str(value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _position_data(form: FormData) -> dict[str, Any]:
    """The posted position form as the API's JSON shape (blank fields left out)."""
    weights = {c.key: _number(form.get(f"weight_{c.key}")) for c in COMPETENCIES}
    minimums = {c.key: _number(form.get(f"minimum_{c.key}")) for c in COMPETENCIES}
    knockouts: dict[str, Any] = {}
    if form.get("min_education"):
        knockouts["min_education"] = form.get("min_education")
    if form.get("min_english"):
        knockouts["min_languages"] = {"en": form.get("min_english")}
    if form.get("min_variable_pay"):
        knockouts["min_variable_pay"] = form.get("min_variable_pay")
    for name in ("min_years_sales", "min_years_key_accounts"):
        if (value := _number(form.get(name))) is not None:
            knockouts[name] = value
    data: dict[str, Any] = {
        "title": str(form.get("title") or "").strip(),
        "territory": str(form.get("territory") or "").strip() or None,
        "questionnaires": form.getlist("questionnaires"),
        "weights": {k: v for k, v in weights.items() if v not in (None, 0.0)},
        "minimums": {k: v for k, v in minimums.items() if v is not None},
        "language_hurdle": (
            {"language": form.get("hurdle_language") or "en", "level": form.get("language_hurdle")}
            if form.get("language_hurdle") else None
        ),
        "knockouts": knockouts,
        "ranking": {"mode": form.get("ranking_mode") or "fit",
                    "fit_weight": _fit_weight(form.get("ranking_fit_weight"))},
        "invitation_expiry_days": _number(form.get("invitation_expiry_days")) or 14,
        "reminders": form.get("reminders") == "on",
        "feedback_page": form.get("feedback_page") == "on",
        # As sent: validation names a value that is no id (or one past every id's range).
        "manager_ids": [str(v) for v in form.getlist("manager_ids") if str(v).strip()],
    }
    return data


def _errors(exc: Exception, _: Callable[..., str] | None = None) -> dict[str, str]:
    """Field → message (in the page's language where known), for showing each error next
    to its field."""
    if isinstance(exc, ValidationError):
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            message = (fields.translated(error, _) if _ is not None
                       else str(error["msg"]).removeprefix("Value error, "))
            errors.setdefault(field, message)
        return errors
    if isinstance(exc, DomainError):
        return exc.field_errors(_ or gettext_for("en"))
    return {"form": str(exc)}


def _weight_errors(errors: dict[str, str], data: dict[str, Any], _: Callable[..., str],
                   request: Request, session: Session) -> dict[str, str]:
    """The weights' error as a sentence with the actual total, not the validator's text;
    weights adding up to 1 on a competency no chosen questionnaire measures say which."""
    if "weights" not in errors:
        return errors
    weights = data.get("weights") or {}
    numbers = [v for v in weights.values() if isinstance(v, int | float)]
    if len(numbers) != len(weights):
        errors["weights"] = _("Each weight must be a number, such as 0.25 or 0,25.")
        return errors
    lang = getattr(request.state, "language", "en")
    if numbers and math.isclose(sum(numbers), 1.0, abs_tol=1e-6):  # refused for another reason
        measured = bank_service.competencies_measured(
            session, keys=list(data.get("questionnaires") or []))
        labels = {c.key: _(c.label) for c in COMPETENCIES}
        unmeasured = [labels.get(k, k) for k, w in weights.items() if w and k not in measured]
        if unmeasured:
            errors["weights"] = _(
                "None of the chosen questionnaires measures %(list)s: tick a questionnaire "
                "that measures it, or set its weight to 0 and share it among the others.",
                list=", ".join(unmeasured))
        return errors
    errors["weights"] = _(
        "The weights must add up to 1 (100 %%): now they add up to %(total)s (%(percent)s %%).",
        total=show_number(round(sum(numbers), 4), lang),
        percent=show_number(round(100 * sum(numbers), 1), lang))
    return errors


def _page_language(request: Request) -> str:
    return str(getattr(request.state, "language", "en"))


def _page_gettext(request: Request) -> Callable[..., str]:
    return gettext_for(_page_language(request))


def _form_context(session: Session, user: User, values: dict[str, Any], errors: dict[str, str],
                  position: Position | None, lang: str) -> dict[str, Any]:
    """What the form shows, numbers written the page's way (10,5 min and 0,25 in Italian)."""
    managers = session.exec(
        readable(User, user.organization_id).where(
            User.role == Role.manager.value).order_by(User.full_name)
    ).all()
    rows = bank_service.latest_rows(session)
    seconds = {row.key: questionnaire_seconds(bank_service.parsed(row)) for row in rows}
    questionnaires = [
        (row.key, bank_service.parsed(row).title, seconds[row.key],
         _minutes(seconds[row.key], lang))
        for row in rows
    ]
    chosen = sum(seconds.get(key, 0) for key in values.get("questionnaires") or [])
    screening = load_screening_form()
    variable_pay = screening.field("variable_pay") if any(
        f.key == "variable_pay" for f in screening.fields) else None
    return {
        "values": values, "errors": errors, "position": position,
        "competencies": COMPETENCIES, "questionnaires": questionnaires,
        "chosen_minutes": _minutes(chosen, lang),
        "variable_pay_choices": [(c.value, c.label.pick(lang)) for c in variable_pay.choices]
        if isinstance(variable_pay, ChoiceField) else [],
        "managers": managers, "cefr_levels": CEFR_LEVELS, "education_levels": EDUCATION_LEVELS,
        "as_typed": lambda value: _as_typed(value, lang),
    }


def _as_typed(value: Any, lang: str) -> str:
    """A number in a field, the page's way (0,25 in Italian); what was typed stays as typed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return show_number(value, lang)
    return "" if value is None else str(value)


def _minutes(seconds: int, lang: str) -> str:
    """Minutes to the half, the page's way (9.5 or 9,5)."""
    return show_number(round(seconds / 30) / 2, lang)


def _values_of(session: Session, position: Position) -> dict[str, Any]:
    return {
        "title": position.title, "territory": position.territory or "",
        "questionnaires": position.questionnaires, "weights": position.weights,
        "minimums": position.minimums, "language_hurdle": position.language_hurdle,
        "knockouts": position.knockouts, "ranking": position.ranking or {"mode": "fit"},
        "invitation_expiry_days": position.invitation_expiry_days,
        "reminders": position.reminders,
        "feedback_page": position.feedback_page,
        "manager_ids": position_service.manager_ids(session, position=position),
    }


@router.get("/positions", response_class=HTMLResponse)
def positions(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every position the user may see."""
    rows = position_service.list_visible(session, user=user)
    counts = dict(session.exec(
        select(Candidate.position_id, func.count()).where(
            owned_by(Candidate, user.organization_id)).group_by(col(Candidate.position_id))
    ).all())
    completed = dict(session.exec(
        select(Candidate.position_id, func.count()).where(
            owned_by(Candidate, user.organization_id),
            Candidate.status == "completed").group_by(col(Candidate.position_id))
    ).all())
    return render(request, "positions/list.html", {"positions": rows, "counts": counts,
                                                   "completed": completed,
                                                   "can_edit": can(user, Action.manage_hiring)})


@router.get("/positions/new", response_class=HTMLResponse)
def new_position(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The form for a new position, with the documented defaults filled in."""
    _require_hr(user)
    values = {"questionnaires": bank_service.default_battery(session, language="en"),
              "weights": {c.key: c.default_weight for c in COMPETENCIES},
              "language_hurdle": {"language": "en", "level": "B2"}, "invitation_expiry_days": 14,
              "reminders": True, "ranking": {"mode": "fit", "fit_weight": 0.5}}
    return render(request, "positions/form.html", _form_context(session, user, values, {}, None,
                                                               _page_language(request)))


@router.post("/positions/new", dependencies=FormFirst)
def create_position(
    request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """Create the position, or show the form again with each error next to its field."""
    _require_hr(user)
    data = _position_data(form)
    try:
        position = position_service.create(
            session, data=PositionCreate.model_validate(data), actor=user
        )
    except (ValidationError, DomainError) as exc:
        session.rollback()
        context = _form_context(session, user, data,
                                _weight_errors(_errors(exc, _page_gettext(request)), data,
                                               _page_gettext(request), request, session), None,
                                _page_language(request))
        return render(request, "positions/form.html", context, status_code=422)
    audit.record(session, actor=user, action="position.create", object_type="position",
                 object_id=position.id, details={"title": position.title}, ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/positions/{position.id}", status_code=303)


@router.get("/positions/{position_id}/edit", response_class=HTMLResponse)
def edit_position(position_id: int, request: Request, session: SessionDep,
                  user: PageUser) -> Response:
    """The form for changing a position."""
    _require_hr(user)
    position = position_service.get(session, position_id=position_id, user=user)
    context = _form_context(session, user, _values_of(session, position), {}, position,
                            _page_language(request))
    return render(request, "positions/form.html", context)


@router.post("/positions/{position_id}/edit", dependencies=FormFirst)
def update_position(position_id: int, request: Request, session: SessionDep,
                    user: PageUser, form: PostedForm) -> Response:
    """Save the changes (weights re-rank from stored scores; nobody retakes anything)."""
    _require_hr(user)
    position = position_service.get(session, position_id=position_id, user=user)
    before = position_service.rule_snapshot(position)
    data = _position_data(form)
    data["status"] = form.get("status") or position.status
    if not data["weights"]:
        data["weights"] = None
    try:
        changes = position_service.update(
            session, position=position, data=PositionUpdate.model_validate(data)
        )
    except (ValidationError, DomainError) as exc:
        session.rollback()
        context = _form_context(session, user, data,
                                _weight_errors(_errors(exc, _page_gettext(request)), data,
                                               _page_gettext(request), request, session),
                                position, _page_language(request))
        return render(request, "positions/form.html", context, status_code=422)
    if position_service.changes_scores(changes):
        score_service.rescore_position(session, position=position)
    audit.record(session, actor=user, action="position.update", object_type="position",
                 object_id=position.id, details={"fields": sorted(changes),
                          **position_service.rule_changes(before, position)},
                 ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/positions/{position.id}", status_code=303)


#: The statuses a position can be moved to from its pages, and the audit action of each.
STATUSES = ("draft", "open", "closed")


@router.post("/positions/{position_id}/status", dependencies=[CsrfChecked])
def set_status(
    position_id: int, request: Request, session: SessionDep, user: PageUser,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Open, close or reopen a position, or put it back to draft (no invitations then)."""
    _require_hr(user)
    position = position_service.get(session, position_id=position_id, user=user)
    _ = _page_gettext(request)
    if status not in STATUSES:
        raise Invalid(_("status: choose draft, open or closed."))
    if position.status != status:
        before = position.status
        position_service.update(session, position=position,
                                data=PositionUpdate(status=status))
        audit.record(session, actor=user, action="position.status", object_type="position",
                     object_id=position.id, details={"from": before, "to": status},
                     ip=client_ip(request))
        session.commit()
    return RedirectResponse(f"/positions/{position.id}", status_code=303)
