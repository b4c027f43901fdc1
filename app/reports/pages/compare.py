"""The comparison of 2–5 candidates of a position, marking differences inside the
measurement error, and the same page as PDF.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app import charts
from app.auth.dependencies import PageUser
from app.auth.models import User
from app.core.db import SessionDep, SessionRoute
from app.core.errors import Invalid, NotFound
from app.core.i18n import gettext_for
from app.core.templating import render
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import pipeline, summary, wording
from app.reports import service as report_service
from app.reports.pages.common import _lang, _pdf_response, _radar, _tools, _unit, _value
from app.reports.schemas import CandidateReport, Comparison
from app.reports.wording import Numbers
from scoring import COMPETENCY_KEYS
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


#: A comparison of more candidates names the pairs of its marks by number.
NAMED_PAIRS_UP_TO = 3


class CompareProblem(Exception):
    """The ids given cannot be compared: a 4xx page that says why, with a way back."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _compare_ids(raw: list[str], _: Any) -> list[int]:
    """``ids=1&ids=2`` (the pipeline's checkboxes) or ``ids=1,2``: 2–5 distinct ids."""
    parts = [p.strip() for value in raw for p in value.split(",") if p.strip()]
    low, high = report_service.MIN_COMPARED, report_service.MAX_COMPARED
    if not low <= len(parts) <= high:
        raise CompareProblem(
            422,
            _(
                "Choose %(low)s to %(high)s candidates to compare; %(count)s chosen.",
                low=low,
                high=high,
                count=len(parts),
            ),
        )
    try:
        return report_service.parse_ids(",".join(parts))
    except Invalid as exc:
        raise CompareProblem(
            422, _("These candidates cannot be compared: %(reason)s.", reason=exc.sentence(_))
        ) from exc


def _pair_marks(
    result: Comparison, names: dict[int, str], competency: str
) -> dict[str, list[str]]:
    """Which pairs differ reliably on one competency, which do not, which cannot tell."""
    marks: dict[str, list[str]] = {"same": [], "different": [], "unknown": []}
    for pair in result.reliability.pairs:
        verdict = pair.competencies.get(competency)
        a, b = names[pair.a], names[pair.b]
        who = f"{a}–{b}" if a.isdigit() and b.isdigit() else f"{a} – {b}"
        if verdict is None or verdict.reliably_different is None:
            marks["unknown"].append(who)
        elif verdict.reliably_different:
            marks["different"].append(who)
        else:
            marks["same"].append(who)
    return marks


def _compare_summary(
    session: Session, position: Position, reports: list[CandidateReport], _: Any, fmt: Numbers
) -> list[dict[str, Any]]:
    """Per candidate, what the comparison's first table shows: rank, fit, requirements, value,
    CEFR, flags, strongest and weakest competencies."""
    out = []
    for r in reports:
        rank = pipeline.rank_of(session, position=position, score_id=r.score_id)
        composite = r.composite
        partial = composite.partial if composite else None
        strongest, weakest = summary.strongest_and_weakest(
            {k: v.model_dump() for k, v in r.competencies.items()} if r.competencies else None
        )
        out.append(
            {
                "rank": rank["rank"],
                "fit": None if composite is None else composite.fit_score,
                "partial": partial,
                "unit": None if composite is None else composite.unit,
                "band": None if composite is None else (
                    composite.band if partial is None else partial.band),
                "requirements_passed": r.requirements_passed,
                "missed": [wording.requirement_short(_, q.model_dump(), fmt)
                           for q in r.requirements if q.passed is False],
                "strongest": [_(competency_label(k)) for k in strongest],
                "weakest": [_(competency_label(k)) for k in weakest],
            }
        )
    return out


def _compare_context(
    request: Request, result: Comparison, session: Session, position: Position
) -> dict[str, Any]:
    _, fmt = _tools(request)
    reports = result.candidates
    # Beyond three candidates the pairs are many (up to ten): they are named by the numbers
    # in the table's heading, so a row of marks stays short enough for a printed page.
    numbered = len(reports) > NAMED_PAIRS_UP_TO
    names = {
        r.candidate.id: str(i + 1) if numbered else r.candidate.full_name
        for i, r in enumerate(reports)
    }
    scores = [r.competencies or {} for r in reports]
    present = {k for entries in scores for k in entries}
    competencies = [k for k in COMPETENCY_KEYS if k in present]
    unit = _unit(e for entries in scores for e in entries.values())
    rows = []
    for key in competencies:
        cells = [entries.get(key) for entries in scores]
        rows.append(
            {
                "key": key,
                "label": _(competency_label(key)),
                "cells": cells,
                "marks": _pair_marks(result, names, key),
            }
        )
    radar = None
    if len(competencies) >= 3 and any(r.scored for r in reports):
        radar = _radar(
            [_(competency_label(k)) for k in competencies],
            [
                charts.Series(r.candidate.full_name,
                              [_value(entries.get(k), unit) for k in competencies])
                for r, entries in zip(reports, scores, strict=True)
            ],
            unit,
            _,
            fmt,
        )
    return {
        "reports": reports,
        "rows": rows,
        "unit": unit,
        "radar": radar,
        "fmt": fmt,
        "rule": result.reliability.rule,
        "cefr": [wording.cefr(_, r.cefr) for r in reports],
        "summary": _compare_summary(session, position, reports, _, fmt),
        "numbered": numbered,
        "ranking_text": wording.ranking_text(_, pipeline.ranking(position), fmt),
    }


def _compare_page(
    request: Request, session: Session, user: User, position_id: int, ids: list[str], *, pdf: bool
) -> HTMLResponse:
    position = position_service.get(session, position_id=position_id, user=user)
    _ = gettext_for(_lang(request))
    organization = organization_service.get(session, position.organization_id)
    context: dict[str, Any] = {
        "position": position,
        "pdf": pdf,
        "ids": ids,
        "problem": None,
        "is_demo": bool(organization and organization.is_demo),
    }
    try:
        candidate_ids = _compare_ids(ids, _)
        try:
            result = Comparison.model_validate(
                report_service.compare(session, position=position, candidate_ids=candidate_ids)
            )
        except NotFound as exc:
            raise CompareProblem(
                404, _("At least one of these candidates is not in this position.")
            ) from exc
    except CompareProblem as problem:
        context["problem"] = problem.message
        return render(request, "reports/compare.html", context, status_code=problem.status)
    context.update(_compare_context(request, result, session, position))
    context["ids_param"] = ",".join(str(i) for i in candidate_ids)
    return render(request, "reports/compare.html", context)


@router.get("/positions/{position_id:int}/compare", response_class=HTMLResponse)
def compare(position_id: int, request: Request, session: SessionDep, user: PageUser) -> Response:
    """2–5 candidates side by side, marking differences inside the measurement error."""
    ids = request.query_params.getlist("ids")
    return _compare_page(request, session, user, position_id, ids, pdf=False)


@router.get("/positions/{position_id:int}/compare.pdf")
def compare_pdf(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The comparison as PDF (an error page, not a PDF, when the ids do not fit)."""
    ids = request.query_params.getlist("ids")
    page = _compare_page(request, session, user, position_id, ids, pdf=True)
    if page.status_code != 200:
        return _compare_page(request, session, user, position_id, ids, pdf=False)
    return _pdf_response(request, page, f"comparison-{position_id}.pdf")
