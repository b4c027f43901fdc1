"""The impact report page (admin, hr) and the fairness and accountability settings (admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.auth.dependencies import AdminPageUser, FormFirst, HrPageUser, PostedForm, client_ip
from app.auth.models import User
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, Invalid, NotFound
from app.core.i18n import gettext_for
from app.core.templating import render
from app.documents.exports import pdf_from_html
from app.fairness import api as fairness_api
from app.fairness import documents as document_service
from app.fairness import selfid as selfid_service
from app.fairness import service as fairness_service
from app.fairness import whatif as whatif_service
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.pages import _errors, _position_data
from app.positions.schemas import PositionUpdate
from app.reports.wording import Numbers, knockout_rule, knockout_value, ranking_mode
from scoring.competencies import COMPETENCIES
from scoring.fairness import MIN_CELL

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def step_labels(lang: str) -> dict[str, str]:
    """The steps in plain words."""
    _ = gettext_for(lang)
    return {
        "knockouts": _("Met the knock-out rules"),
        "requirements": _("Met every requirement"),
        "band_ab": _("Band A or B"),
        "advanced": _("Advanced by a person"),
        "hired": _("Hired"),
    }


def attribute_labels(lang: str) -> dict[str, str]:
    """The attributes and their groups in plain words."""
    _ = gettext_for(lang)
    return {
        "gender": _("Gender"), "age_band": _("Age"), "first_language": _("First language"),
        "disability": _("Disability"), "test_language": _("Language of the questionnaires"),
        "female": _("Woman"), "male": _("Man"), "another": _("Another gender"),
        "under_40": _("Under 40"), "40_plus": _("40 or over"), "italian": _("Italian"),
        "other": _("Another language"), "yes": _("Yes"), "no": _("No"),
        "it": _("Italian"), "en": _("English"),
    }


@router.get("/fairness", response_class=HTMLResponse)
def impact_page(
    request: Request,
    session: SessionDep,
    user: HrPageUser,
    position_id: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    min_cell: Annotated[int, Query(ge=1, le=1000)] = MIN_CELL,
    intersect: Annotated[str | None, Query(max_length=120)] = None,
) -> Response:
    """Does each step select every group at a similar rate? Counts, ratios and tests."""
    lang = getattr(request.state, "language", user.language)
    positions = position_service.list_visible(session, user=user)
    chosen = int(position_id) if position_id and position_id.isdigit() else None
    if chosen is not None and chosen not in {p.id for p in positions}:
        chosen = None
    organization = organization_service.get(session, user.organization_id)
    asked = selfid_service.asked(organization.settings if organization else None)
    pairs = [f"{a},{b}" for i, a in enumerate([*asked, fairness_service.TEST_LANGUAGE])
             for b in [*asked, fairness_service.TEST_LANGUAGE][i + 1:]]
    pair = intersect if intersect in pairs else None
    report = fairness_api.build_report(
        session, user, position_id=chosen, since=_day(since), until=_day(until),
        min_cell=min_cell, intersect=pair)
    query = urlencode({k: v for k, v in {"position_id": chosen, "since": since,
                                         "until": until, "min_cell": min_cell,
                                         "intersect": pair}.items() if v})
    return render(request, "fairness/impact.html", {
        "report": report, "positions": positions, "chosen": chosen,
        "pairs": pairs, "pair": pair,
        "since": since or "", "until": until or "", "min_cell": min_cell,
        "steps": step_labels(lang), "labels": attribute_labels(lang),
        "fmt": Numbers(lang),
        "csv_url": "/api/v1/fairness/impact.csv" + (f"?{query}" if query else ""),
        "ll144_url": "/api/v1/fairness/ll144.csv" + (f"?{query}" if query else ""),
    })


@router.get("/admin/fairness-settings", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, admin: AdminPageUser) -> Response:
    """The organization's fairness and accountability settings."""
    organization = organization_service.get(session, admin.organization_id)
    lang = getattr(request.state, "language", admin.language)
    return render(request, "fairness/settings.html", {
        "settings": fairness_api.settings_of(organization.settings if organization else None),
        "questions": list(selfid_service.QUESTIONS), "labels": attribute_labels(lang),
        "saved": request.query_params.get("saved") == "1", "errors": {},
    })


@router.post("/admin/fairness-settings", response_class=HTMLResponse, dependencies=FormFirst)
def save_settings(request: Request, session: SessionDep, admin: AdminPageUser,
                  form: PostedForm) -> Response:
    """Save the settings from the form; each change is audited."""
    _ = gettext_for(getattr(request.state, "language", admin.language))
    errors: dict[str, str] = {}
    months_text = str(form.get("audit_retention_months") or "").strip()
    months = int(months_text) if months_text.isdigit() else None
    if months is None or not 1 <= months <= 120:
        errors["audit_retention_months"] = _("Enter a whole number of months from 1 to 120.")
    contact = str(form.get("oversight_contact") or "").strip()
    if len(contact) > 200 or any(ord(c) < 32 for c in contact):
        errors["oversight_contact"] = _("Use one line of at most 200 characters.")
    questions = [str(v) for v in form.getlist("self_identification")]
    if errors:
        organization = organization_service.get(session, admin.organization_id)
        return render(request, "fairness/settings.html", {
            "settings": {**fairness_api.settings_of(organization.settings if organization
                                                    else None),
                         "self_identification": questions, "oversight_contact": contact},
            "questions": list(selfid_service.QUESTIONS),
            "labels": attribute_labels(getattr(request.state, "language", admin.language)),
            "saved": False, "errors": errors,
        }, status_code=422, draft_keys=("settings", "errors"))
    try:
        fairness_api.apply_settings(session, admin, {
            "self_identification": questions, "audit_retention_months": months,
            "hide_rankings": form.get("hide_rankings") == "yes",
            "oversight_contact": contact}, ip=client_ip(request))
    except Invalid:
        return RedirectResponse("/admin/fairness-settings", status_code=303)
    session.commit()
    return RedirectResponse("/admin/fairness-settings?saved=1", status_code=303)




DOCUMENTS = {"instructions": "fairness/instructions.html", "dpia": "fairness/dpia.html"}


def _document(request: Request, session: Session, user: User, kind: str, *,
              pdf: bool) -> HTMLResponse:
    if kind not in DOCUMENTS:
        raise NotFound("No such document.")
    lang = getattr(request.state, "language", user.language)
    labels = attribute_labels(lang)
    return render(request, DOCUMENTS[kind], {
        "f": document_service.facts(session, organization_id=user.organization_id),
        "steps": step_labels(lang), "labels": labels, "pdf": pdf,
        "fmt": Numbers(lang),
        "kind": kind,
        "labels_of": lambda keys: [labels.get(k, k) for k in keys],
        "knockouts_in_words": lambda rules: knockouts_in_words(rules, lang),
        "ranking_name": lambda mode: ranking_mode(gettext_for(lang), mode),
    })


def knockouts_in_words(rules: dict[str, Any], lang: str) -> list[str]:
    """A position's knock-out rules as people read them: "Titolo di studio ≥ laurea
    triennale", "Lingua inglese (QCER autovalutato) ≥ B2", never the stored JSON."""
    _ = gettext_for(lang)
    numbers = Numbers(lang)
    words = []
    for rule, value in rules.items():
        if rule == "min_languages" and isinstance(value, dict):
            words += [f"{knockout_rule(_, f'min_languages.{code}')} ≥ {level}"
                      for code, level in value.items()]
        else:
            words.append(f"{knockout_rule(_, rule)} ≥ {knockout_value(_, value, numbers)}")
    return words


@router.get("/admin/documents/{kind}.pdf")
def document_pdf(kind: str, request: Request, session: SessionDep,
                 user: HrPageUser) -> Response:
    """The same document as PDF."""
    page = _document(request, session, user, kind, pdf=True)
    data = pdf_from_html(bytes(page.body).decode("utf-8"), base_url=str(request.base_url))
    lang = getattr(request.state, "language", user.language)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{kind}-{lang}.pdf"'})


@router.get("/admin/documents/{kind}", response_class=HTMLResponse)
def document_page(kind: str, request: Request, session: SessionDep,
                  user: HrPageUser) -> Response:
    """Instructions for use (AI Act Art. 13) or the DPIA draft (GDPR Art. 35), from live data."""
    return _document(request, session, user, kind, pdf=False)


@router.post("/positions/{position_id}/what-if", response_class=HTMLResponse,
             dependencies=FormFirst)
def what_if_page(position_id: int, request: Request, session: SessionDep, user: HrPageUser,
                 form: PostedForm) -> Response:
    """The edit form's proposed rules, previewed: impact and value now and after; not saved."""
    position = position_service.get(session, position_id=position_id, user=user)
    lang = getattr(request.state, "language", user.language)
    data = _position_data(form)
    proposed = {key: data.get(key) for key in whatif_service.RULES}
    if not proposed["weights"]:
        proposed["weights"] = None
    try:
        result = whatif_service.compare(session, position=position,
                                        proposed=PositionUpdate.model_validate(proposed))
        errors: dict[str, str] = {}
    except (ValidationError, DomainError) as exc:
        result, errors = None, _errors(exc, gettext_for(lang))
    session.rollback()
    return render(request, "fairness/whatif.html", {
        "position": position_service.get(session, position_id=position_id, user=user),
        "result": result, "errors": errors, "steps": step_labels(lang), "fmt": Numbers(lang),
        "competencies": {c.key: gettext_for(lang)(c.label) for c in COMPETENCIES},
        "labels": attribute_labels(lang),
    }, status_code=200 if result else 422)
