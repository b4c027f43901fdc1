"""The candidate's explanation page and contest form (through their assessment link), and
the staff list of review requests with the outcome form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from app.assessments import pages as assessment_pages
from app.assessments import service as assessment_service
from app.audit import service as audit
from app.auth import service as auth_service
from app.auth.dependencies import FormFirst, HrPageUser, PostedForm, client_ip, require
from app.auth.models import User
from app.auth.permissions import Action
from app.candidates.models import Candidate
from app.core.clock import utcnow
from app.core.db import SessionDep, SessionRoute, WriteSessionDep, pk
from app.core.errors import Conflict, Invalid
from app.core.i18n import gettext_for
from app.core.templating import render
from app.core.tenancy import owned_by
from app.explanations import service as explanation_service
from app.ops.ratelimit import guard_candidate_token
from app.reports import service as report_service
from app.reports import wording
from app.reports.wording import Numbers
from scoring.competencies import label as competency_label

candidate_router = APIRouter(route_class=SessionRoute, prefix="/a", include_in_schema=False,
                             dependencies=[Depends(guard_candidate_token)])
router = APIRouter(route_class=SessionRoute, include_in_schema=False)
Token = Annotated[str, Path(max_length=200)]
StaffPageUser = Annotated[User, Depends(require(Action.work, page=True))]


def decision_words(lang: str) -> dict[str, str]:
    """The decisions in plain words."""
    _ = gettext_for(lang)
    return {"advance": _("Advance"), "reject": _("Reject"), "hire": _("Hire"),
            "hold": _("Hold")}


def _view(lang: str, explanation: dict[str, Any]) -> dict[str, Any]:
    _ = gettext_for(lang)
    labels = {c["competency"]: _(c["label"]) for c in explanation["competencies"]}
    numbers = Numbers(lang)
    requirements = [
        {**r, "text": wording.requirement_short(_, r, numbers),
         "name": wording.knockout_rule(_, r["rule"]) if r["kind"] == "knockout"
         else _(competency_label(r["competency"]))}
        for r in explanation.get("requirements", [])
    ]
    return {"x": explanation, "decisions": decision_words(lang), "labels": labels,
            "requirements": requirements, "role": _(explanation["decision"]["by_role"] or ""),
            "fmt": numbers}


@candidate_router.get("/{token}/explanation", response_class=HTMLResponse)
@assessment_pages._candidate_page
def explanation_page(request: Request, session: WriteSessionDep, token: Token) -> Response:
    """Why the decision was made, in the candidate's language, and how to contest it."""
    ctx = assessment_service.resolve(session, token=token)
    lang = assessment_pages._language(request, ctx)
    if explanation_service.latest_decision(session, candidate_id=pk(ctx.candidate)) is None:
        return RedirectResponse(f"/a/{token}/done", status_code=303)
    explanation = explanation_service.explain(session, candidate=ctx.candidate)
    audit.record(session, actor=None, action="explanation.view", object_type="candidate",
                 object_id=ctx.candidate.id, organization_id=ctx.candidate.organization_id,
                 ip=client_ip(request),
                 details={"decision_id": explanation["decision"]["id"], "by": "candidate"})
    contests = explanation_service.of_candidate(session, candidate_id=pk(ctx.candidate))
    session.commit()
    return render(request, "explanations/candidate.html", {
        **_view(lang, explanation), "token": token,
        "contest": next((c for c in contests
                         if c.decision_id == explanation["decision"]["id"]), None),
        "error": request.query_params.get("error"),
    }, language=lang)


@candidate_router.post("/{token}/contest", response_class=HTMLResponse)
@assessment_pages._candidate_page
def contest(request: Request, session: WriteSessionDep, token: Token,
            form: PostedForm) -> Response:
    """Ask for a review of the decision by another person."""
    ctx = assessment_service.resolve(session, token=token)
    if not assessment_pages._csrf_ok(request, form):
        return assessment_pages._refuse_csrf(request, session, token, ctx)
    try:
        explanation_service.open_contest(session, candidate=ctx.candidate,
                                         reason=str(form.get("reason") or ""),
                                         ip=client_ip(request))
    except Invalid:
        return RedirectResponse(f"/a/{token}/explanation?error=reason#contest",
                                status_code=303)
    session.commit()
    return RedirectResponse(f"/a/{token}/explanation#contest", status_code=303)


@router.get("/contests", response_class=HTMLResponse)
def contests_page(request: Request, session: SessionDep, user: HrPageUser) -> Response:
    """Requests to review a decision: who reviews, when it is due, the outcome."""
    return _contests(request, session, user, error=request.query_params.get("error"))


def _contests(request: Request, session: SessionDep, user: User, *, error: str | None = None,
              message: str | None = None, status_code: int = 200) -> Response:
    users = {u.id: u for u in auth_service.list_users(session,
                                                       organization_id=user.organization_id)}
    contests = explanation_service.list_contests(session, organization_id=user.organization_id)
    return render(request, "explanations/contests.html", {
        "contests": contests, "names": _candidate_names(session, contests, user),
        "users": users, "me": user, "error": error, "message": message,
        "now": utcnow(),
    }, status_code=status_code)


def _candidate_names(session: Any, contests: list[Any], user: User) -> dict[int, str]:
    """Who asked for each review, by name (an erased candidate keeps only the number)."""
    ids = {c.candidate_id for c in contests}
    if not ids:
        return {}
    rows = session.exec(select(Candidate).where(
        owned_by(Candidate, user.organization_id), col(Candidate.id).in_(ids))).all()
    return {c.id: c.full_name for c in rows if c.erased_at is None}


@router.post("/contests/{contest_id}", dependencies=FormFirst)
def close_contest(contest_id: int, request: Request, session: SessionDep, user: HrPageUser,
                  form: PostedForm) -> Response:
    """Record the outcome of a review."""
    contest = explanation_service.get_contest(session, contest_id=contest_id,
                                              organization_id=user.organization_id)
    try:
        explanation_service.close_contest(
            session, contest=contest, actor=user, outcome=str(form.get("outcome") or ""),
            note=str(form.get("note") or ""), ip=client_ip(request))
    except Conflict as exc:  # why it is refused, in the reader's language
        session.rollback()
        message = exc.message_in(getattr(request.state, "language", user.language))
        return _contests(request, session, user, message=message, status_code=exc.status_code)
    except Invalid:
        return RedirectResponse(f"/contests?error=invalid#c-{contest_id}", status_code=303)
    session.commit()
    return RedirectResponse(f"/contests#c-{contest_id}", status_code=303)


@router.get("/candidates/{candidate_id:int}/explanation", response_class=HTMLResponse)
def staff_explanation_page(candidate_id: int, request: Request, session: WriteSessionDep,
                           user: StaffPageUser) -> Response:
    """The explanation as the candidate gets it, for the staff who may be asked about it."""
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    lang = getattr(request.state, "language", user.language)
    explanation = explanation_service.explain(session, candidate=candidate)
    if not explanation["available"]:
        return RedirectResponse(f"/candidates/{candidate_id}", status_code=303)
    audit.record(session, actor=user, action="explanation.view", object_type="candidate",
                 object_id=candidate.id, ip=client_ip(request),
                 details={"decision_id": explanation["decision"]["id"], "by": "staff"})
    contests = explanation_service.of_candidate(session, candidate_id=pk(candidate))
    session.commit()
    return render(request, "explanations/candidate.html", {
        **_view(lang, explanation), "token": None, "staff_view": True,
        "contest": next((c for c in contests
                         if c.decision_id == explanation["decision"]["id"]), None),
        "error": None,
    })
