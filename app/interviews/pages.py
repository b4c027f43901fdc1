"""Staff pages of the interview loop: a candidate's interview (panel, independent rating,
calibration, revision, overall picture), the printable interview kit, a hire's outcomes, and
the validity dashboard with the suggested weights (admins)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from app.auth.dependencies import (
    AdminPageUser,
    FormFirst,
    HrPageUser,
    PageUser,
    PostedForm,
    client_ip,
)
from app.auth.models import User
from app.auth.permissions import Action, can
from app.candidates.models import Candidate
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import Conflict, DomainError, Invalid
from app.core.i18n import gettext_for
from app.core.numbers import read_number
from app.core.templating import render
from app.core.tenancy import owned_by
from app.documents import exports
from app.interviews import kit as kit_service
from app.interviews import outcomes as outcome_service
from app.interviews import overall as overall_service
from app.interviews import reliability as reliability_service
from app.interviews import service as interview_service
from app.interviews import validity as validity_service
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import service as report_service
from app.reports.wording import Numbers
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)



def N_(message: str) -> str:
    """Mark a string for translation where it is used by value (a stage, a question kind)."""
    return message


#: Words the templates translate by value: the stages and the kinds of interview question.
WORDS = (N_("assessment"), N_("interview"), N_("decision"), N_("outcome"),
         N_("behavioural"), N_("situational"))


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _problem(_: Callable[..., str], exc: DomainError) -> str:
    """A translated sentence for a refused interview or outcome form."""
    detail = exc.detail
    field = detail[0].get("field", "") if isinstance(detail, list) and detail else ""
    messages = {
        "interviewer_ids": _("Choose at least one active staff member as interviewer."),
        "reason": _("Write why you make this change."),
        "months": _("Record an outcome at 6 or 12 months."),
        "performance": _("Give the manager's rating as a whole number from 1 to 5."),
        "quota_attainment_pct": _("Give the quota attainment as a percentage from 0 to 1000."),
        "left_on": _("Give the leaving date only, and always, when the person has left."),
        "months_to_quota": _("Give the months to full quota as a whole number from 1 to 60."),
        "outcome": _("There is no suggestion to apply yet: more outcomes are needed."),
        "interviewer_id": _("That person is not on the panel."),
    }
    if field.startswith("ratings."):
        return _("Rate every competency with a whole number from 1 to 5.")
    if field.startswith("notes."):
        return _("Keep each evidence note under 1000 characters.")
    if field.startswith("performance_by_competency."):
        return _("Rate each competency's performance from 1 to 5.")
    if field in messages:
        return messages[field]
    return exc.translated(_)


def _visible(session: SessionDep, candidate_id: int, user: User) -> tuple[Candidate, Position]:
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    position = position_service.get(session, position_id=candidate.position_id, user=user)
    return candidate, position


def _staff(session: SessionDep, organization_id: int) -> list[User]:
    return list(session.exec(select(User).where(
        owned_by(User, organization_id), col(User.is_active).is_(True)
    ).order_by(col(User.full_name))))


def _int_or_none(value: Any) -> int | Any:
    text = str(value or "").strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else text


def _interview_context(session: SessionDep, request: Request, user: User, candidate: Candidate,
                       position: Position) -> dict[str, Any]:
    view = interview_service.view(session, candidate=candidate, position=position, viewer=user)
    overview = overall_service.position_overview(session, position=position)
    return {
        "candidate": candidate,
        "position": position,
        "view": view,
        "labels": {k: competency_label(k) for k in view["competencies"]},
        "staff": _staff(session, candidate.organization_id),
        "can_assign": can(user, Action.manage_hiring),
        "can_record": can(user, Action.manage_hiring),
        "picture": overall_service.candidate_overall(overview, pk(candidate)),
        "overview": overall_service.public_overview(overview),
        "outcomes": outcome_service.of_candidate(session, candidate=candidate),
        "reliability": reliability_service.position_reliability(
            session, position=position)["overall"],
        "fmt": Numbers(_lang(request)),
        "error": None,
        "values": {},
    }


def _page(session: SessionDep, request: Request, user: User, candidate: Candidate,
          position: Position, *, error: str | None = None, values: dict[str, Any] | None = None,
          status_code: int = 200) -> Response:
    context = _interview_context(session, request, user, candidate, position)
    context.update(error=error, values=values or {})
    return render(request, "interviews/interview.html", context, status_code=status_code,
                  form_page=f"/candidates/{candidate.id}/interview",
                  draft_keys=("error", "values"))


def _refused(session: SessionDep, request: Request, user: User, candidate: Candidate,
             position: Position, exc: DomainError, *, values: dict[str, Any] | None = None
             ) -> Response:
    """The interview page again, its changes rolled back, saying why the form was refused."""
    session.rollback()
    return _page(session, request, user, candidate, position, values=values,
                 error=_problem(gettext_for(_lang(request)), exc), status_code=exc.status_code)


@router.get("/candidates/{candidate_id:int}/interview")
def interview_page(candidate_id: int, request: Request, session: SessionDep,
                   user: PageUser) -> Response:
    """A candidate's interview: panel, your rating, the others' once yours is in, the
    calibration, the overall picture and (for hires) the outcomes."""
    candidate, position = _visible(session, candidate_id, user)
    return _page(session, request, user, candidate, position)


@router.post("/candidates/{candidate_id:int}/interview/assign", dependencies=FormFirst)
def assign_page(candidate_id: int, request: Request, session: SessionDep, user: HrPageUser,
                form: PostedForm) -> Response:
    """Put staff members on the panel (admin, hr)."""
    candidate, position = _visible(session, candidate_id, user)
    ids = [_int_or_none(v) for v in form.getlist("interviewer_ids")]
    try:
        interview_service.assign(session, candidate=candidate,
                                 interviewer_ids=[i for i in ids if isinstance(i, int)],
                                 actor=user, ip=client_ip(request))
    except (Invalid, Conflict) as exc:
        return _refused(session, request, user, candidate, position, exc)
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}/interview", status_code=303)


@router.post("/candidates/{candidate_id:int}/interview/unassign", dependencies=FormFirst)
def unassign_page(candidate_id: int, request: Request, session: SessionDep, user: HrPageUser,
                  form: PostedForm) -> Response:
    """Take an interviewer who has not rated off the panel (admin, hr)."""
    candidate, position = _visible(session, candidate_id, user)
    interviewer = _int_or_none(form.get("interviewer_id"))
    try:
        interview_service.unassign(
            session, candidate=candidate,
            interviewer_id=interviewer if isinstance(interviewer, int) else 0,
            actor=user, ip=client_ip(request))
    except (Invalid, Conflict) as exc:
        return _refused(session, request, user, candidate, position, exc)
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}/interview", status_code=303)


def _rating_form(form: Any, keys: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    ratings = {k: _int_or_none(form.get(f"rating-{k}")) for k in keys}
    notes = {k: str(form.get(f"note-{k}") or "") for k in keys}
    return ratings, notes


@router.post("/candidates/{candidate_id:int}/interview/rate", dependencies=FormFirst)
def rate_page(candidate_id: int, request: Request, session: SessionDep, user: PageUser,
              form: PostedForm) -> Response:
    """Submit your rating, or revise it with a reason (``reason`` given)."""
    candidate, position = _visible(session, candidate_id, user)
    keys = interview_service.rated_competencies(position)
    ratings, notes = _rating_form(form, keys)
    revising = form.get("revise") == "1"
    try:
        if revising:
            interview_service.revise(session, candidate=candidate, position=position, actor=user,
                                     ratings=ratings, notes=notes,
                                     reason=str(form.get("reason") or ""), ip=client_ip(request))
        else:
            interview_service.submit(session, candidate=candidate, position=position, actor=user,
                                     ratings=ratings, notes=notes, ip=client_ip(request))
    except (Invalid, Conflict) as exc:
        values = {"ratings": ratings, "notes": notes, "reason": form.get("reason") or "",
                  "revising": revising}
        return _refused(session, request, user, candidate, position, exc, values=values)
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}/interview#ratings", status_code=303)


def _kit(session: SessionDep, request: Request, user: User, candidate_id: int,
         pdf: bool) -> tuple[Candidate, HTMLResponse]:
    candidate, position = _visible(session, candidate_id, user)
    report = report_service.report(session, candidate=candidate)
    lang = request.query_params.get("kit_lang") or _lang(request)
    lang = lang if lang in ("en", "it") else "en"
    kit = kit_service.build(position, report, lang=lang)
    context = {"candidate": candidate, "position": position, "kit": kit, "pdf": pdf,
               "fmt": Numbers(_lang(request))}
    return candidate, render(request, "interviews/kit.html", context)


@router.get("/candidates/{candidate_id:int}/interview-kit")
def kit_page(candidate_id: int, request: Request, session: SessionDep,
             user: PageUser) -> Response:
    """The candidate's interview kit, printable, with space for notes."""
    return _kit(session, request, user, candidate_id, pdf=False)[1]


@router.get("/candidates/{candidate_id:int}/interview-kit.pdf")
def kit_pdf(candidate_id: int, request: Request, session: SessionDep,
            user: PageUser) -> Response:
    """The interview kit as PDF (the same template)."""
    candidate, page = _kit(session, request, user, candidate_id, pdf=True)
    pdf = exports.pdf_from_html(bytes(page.body).decode("utf-8"), base_url=str(request.base_url))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="interview-kit-{candidate.id}.pdf"'})


def _number(value: Any, lang: str) -> float | str | None:
    """A typed percentage read like every number the pages accept (app.core.numbers); the text
    back when it is not one clear number."""
    text = str(value or "").strip()
    if not text:
        return None
    reading = read_number(text, lang)
    return text if reading.value is None or reading.ambiguous else float(reading.value)


@router.post("/candidates/{candidate_id:int}/outcomes", dependencies=FormFirst)
def outcome_page(candidate_id: int, request: Request, session: SessionDep, user: HrPageUser,
                 form: PostedForm) -> Response:
    """Record a hire's outcome at 6 or 12 months (admin, hr)."""
    candidate, position = _visible(session, candidate_id, user)
    _ = gettext_for(_lang(request))
    employed = form.get("still_employed", "yes") != "no"
    left = str(form.get("left_on") or "").strip()
    data: dict[str, Any] = {
        "months": _int_or_none(form.get("months")),
        "performance": _int_or_none(form.get("performance")),
        "quota_attainment_pct": _number(form.get("quota_attainment_pct"), _lang(request)),
        "still_employed": employed,
        "months_to_quota": _int_or_none(form.get("months_to_quota")),
        "performance_by_competency": {
            key: _int_or_none(form.get(f"perf-{key}"))
            for key in interview_service.rated_competencies(position)
            if _int_or_none(form.get(f"perf-{key}")) is not None
        },
    }
    try:
        data["left_on"] = date.fromisoformat(left) if left else None
    except ValueError:
        return _page(session, request, user, candidate, position, status_code=422,
                     error=_("Give the leaving date as a date (YYYY-MM-DD)."))
    for key in ("quota_attainment_pct",):
        if isinstance(data[key], str):
            return _page(session, request, user, candidate, position, status_code=422,
                         error=_("Give the quota attainment as a percentage from 0 to 1000."))
    try:
        outcome_service.record(session, candidate=candidate, position=position, data=data,
                               actor=user, ip=client_ip(request))
    except (Invalid, Conflict) as exc:
        return _refused(session, request, user, candidate, position, exc)
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}/interview#outcomes", status_code=303)


def _board_context(session: SessionDep, request: Request, user: User, board: dict[str, Any],
                   correct: bool, base_link: str) -> dict[str, Any]:
    """What both validity dashboards show of a board: its cells by predictor and outcome,
    the predictors' names, and the positions to switch to."""
    return {
        "board": board,
        "cells": {(c["predictor"], c["outcome"]): c for c in board["correlations"]},
        "labels": {k: competency_label(k) for k in board["predictors"]},
        "correct": correct,
        "base_link": base_link,
        "positions": position_service.list_visible(session, user=user),
        "fmt": Numbers(_lang(request)),
    }


def _validity_context(session: SessionDep, request: Request, user: User, position: Position,
                      correct: bool, outcome: str) -> dict[str, Any]:
    board = validity_service.dashboard(session, position=position, correct=correct)
    return {
        **_board_context(session, request, user, board, correct,
                         f"/positions/{position.id}/validity"),
        "position": position,
        "outcome": outcome,
        "suggestion": validity_service.suggestion(session, position=position, outcome=outcome),
        "reliability": reliability_service.position_reliability(session, position=position),
        "overview": overall_service.public_overview(
            overall_service.position_overview(session, position=position)),
        "learning": outcome_service.cost_learning(session, position=position),
        "error": None,
    }


def _validity_refused(session: SessionDep, request: Request, user: User, position: Position,
                      outcome: str, error: str) -> Response:
    """The validity dashboard again, saying why nothing was applied."""
    context = _validity_context(session, request, user, position, False, outcome)
    context["error"] = error
    return render(request, "interviews/validity.html", context, status_code=422,
                  form_page=f"/positions/{position.id}/validity?outcome={outcome}",
                  draft_keys=("error",))


@router.get("/positions/{position_id:int}/validity")
def validity_page(position_id: int, request: Request, session: SessionDep, user: AdminPageUser,
                  correct: Annotated[bool, Query()] = False,
                  outcome: Annotated[str, Query(max_length=40)] = "performance_6") -> Response:
    """The validity dashboard of a position (admins)."""
    position = position_service.get(session, position_id=position_id, user=user)
    if outcome not in validity_service.OUTCOMES:
        outcome = validity_service.DEFAULT_OUTCOME
    context = _validity_context(session, request, user, position, correct, outcome)
    return render(request, "interviews/validity.html", context)


@router.post("/positions/{position_id:int}/validity/apply", dependencies=FormFirst)
def apply_page(position_id: int, request: Request, session: SessionDep, user: AdminPageUser,
               form: PostedForm) -> Response:
    """Apply the suggested competency weights, or the observed cost assumptions, with a
    written reason (admins; audited)."""
    _ = gettext_for(_lang(request))
    position = position_service.get(session, position_id=position_id, user=user)
    outcome = str(form.get("outcome") or validity_service.DEFAULT_OUTCOME)
    if outcome not in validity_service.OUTCOMES:
        outcome = validity_service.DEFAULT_OUTCOME
    reason = str(form.get("reason") or "").strip()[:2000]
    what = form.get("what")
    if not reason:
        return _validity_refused(session, request, user, position, outcome, _(
            "Write why you apply these numbers: the reason is kept in the audit log."))
    if what == "costs":
        offered = outcome_service.cost_learning(session, position=position)["offer"]
        if not offered:
            return _validity_refused(session, request, user, position, outcome,
                                     _("There are no observed cost assumptions to apply yet."))
        outcome_service.apply_assumptions(session, position=position, offer=offered,
                                          reason=reason, actor=user, ip=client_ip(request))
        session.commit()
        return RedirectResponse(f"/positions/{position.id}/validity#costs", status_code=303)
    found = validity_service.suggestion(session, position=position, outcome=outcome)
    if found["suggestion"] is None:
        return _validity_refused(session, request, user, position, outcome, _(
            "There is no suggestion to apply yet: more outcomes are needed."))
    validity_service.apply(session, position=position, found=found, reason=reason, actor=user,
                           ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/positions/{position.id}/validity?outcome={outcome}#weights",
                            status_code=303)


@router.post("/positions/{position_id:int}/overall-weights", dependencies=FormFirst)
def overall_weights_page(position_id: int, request: Request, session: SessionDep,
                         user: HrPageUser, form: PostedForm) -> Response:
    """Set how much the interview counts in the overall score (admin, hr); audited."""
    _ = gettext_for(_lang(request))
    position = position_service.get(session, position_id=position_id, user=user)
    share = _int_or_none(form.get("interview_pct"))
    if not isinstance(share, int) or not 0 <= share <= 100:
        raise Invalid(_("interview_pct: give a whole percentage from 0 to 100."))
    overall_service.set_weights(session, position=position, test=(100 - share) / 100,
                                interview=share / 100, actor=user, ip=client_ip(request))
    session.commit()
    return RedirectResponse(f"/positions/{position.id}#overall-weights", status_code=303)


@router.get("/admin/validity")
def organization_validity_page(request: Request, session: SessionDep, user: AdminPageUser,
                               correct: Annotated[bool, Query()] = False) -> Response:
    """The validity dashboard over every position of the organization (admins)."""
    board = validity_service.organization_dashboard(
        session, organization_id=user.organization_id, correct=correct)
    context = {**_board_context(session, request, user, board, correct, "/admin/validity"),
               "outcome": None}
    return render(request, "interviews/validity_organization.html", context)
