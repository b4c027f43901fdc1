"""Recording a decision on a candidate, after a confirmation page that shows its basis."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.auth.dependencies import CsrfChecked, PageUser, client_ip
from app.candidates import decisions as decision_service
from app.core.db import SessionDep, SessionRoute, pk
from app.core.errors import Invalid
from app.core.templating import render
from app.interviews import overall as overall_service
from app.positions import service as position_service
from app.reports import service as report_service
from app.reports import wording
from app.reports.pages.common import _tools
from app.scores import service as score_service
from app.scores.models import Score

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


@router.post("/candidates/{candidate_id:int}/decision", dependencies=[CsrfChecked])
def record_decision(
    candidate_id: int,
    request: Request,
    session: SessionDep,
    user: PageUser,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Ask to confirm a decision (showing the score it is based on, and asking why when a
    requirement was missed), then record it with a note (audited) and go back to the report."""
    _, fmt = _tools(request)
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    if decision not in decision_service.DECISIONS:
        raise Invalid(_("decision: choose advance, hold, reject or hire."))
    if len(note) > 4000:
        raise Invalid(_("note: at most 4000 characters."))
    basis = overall_service.with_interview(
        session, basis=score_service.decision_basis(session, candidate_id=pk(candidate)),
        position=position_service.get(session, position_id=candidate.position_id, user=user),
        candidate_id=pk(candidate))
    needs_reason = decision_service.needs_reason(decision, basis)
    if confirm != "1" or (needs_reason and not note.strip()):
        score = None if basis is None else session.get(Score, basis["score_id"])
        missed = [
            wording.requirement_short(_, r, fmt)
            for r in score_service.requirements(score.composite if score else {})
            if r["passed"] is False
        ]
        context = {
            "candidate": candidate,
            "decision": decision,
            "note": note,
            "basis": basis,
            "missed": missed,
            "needs_reason": needs_reason,
            "reason_missing": confirm == "1",
            "fmt": fmt,
        }
        status_code = 422 if confirm == "1" else 200
        return render(request, "reports/decision_confirm.html", context, status_code=status_code)
    decision_service.record(
        session, candidate=candidate, decision=decision, note=note, actor=user,
        ip=client_ip(request), basis=basis,
    )
    session.commit()
    return RedirectResponse(f"/candidates/{candidate.id}#decisions", status_code=303)
