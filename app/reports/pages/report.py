"""A candidate's report (scores and bands, fit and how it was made, flags, decisions, the
invitation) and the same page as PDF.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app import charts
from app.auth.dependencies import PageUser
from app.auth.models import User
from app.auth.permissions import Action, can
from app.bank import service as bank_service
from app.candidates import messages as candidate_messages
from app.candidates import pages as candidate_pages
from app.candidates import reminders
from app.candidates import service as candidate_service
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, NotFound
from app.core.templating import render
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import pipeline, summary, wording
from app.reports import service as report_service
from app.reports.pages.common import (
    _band,
    _cost_problem,
    _lang,
    _pdf_response,
    _radar,
    _scale,
    _tools,
    _unit,
    _value,
)
from app.reports.wording import Numbers
from questionnaires.screening import ScreeningForm, load_screening_form
from scoring import COMPETENCY_KEYS
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


#: The decisions in the order a person weighs them (the service's order is not meant for people).
DECISION_ORDER = ("advance", "hold", "reject", "hire")


def _competency_rows(report: dict[str, Any], _: Any) -> list[dict[str, Any]]:
    entries = report["competencies"] or {}
    return [
        {**entries[key], "key": key, "label": _(competency_label(key))}
        for key in COMPETENCY_KEYS
        if key in entries
    ]


def _report_charts(
    rows: list[dict[str, Any]], name: str, unit: str, _: Any, fmt: Numbers
) -> dict[str, Markup | None]:
    labels = wording.chart_labels(_, fmt)
    axes = [row["label"] for row in rows]
    radar = None
    if len(rows) >= 3:
        radar = _radar(
            axes,
            [charts.Series(name, [_value(r, unit) for r in rows])],
            unit,
            _,
            fmt,
            bands=[[_band(r, unit) for r in rows]],
        )
    bars = (
        charts.score_bars(
            [
                charts.BarRow(
                    label=row["label"],
                    value=_value(row, unit),
                    low=(_band(row, unit) or (None, None))[0],
                    high=(_band(row, unit) or (None, None))[1],
                    band_letter=row.get("band") if _value(row, unit) is not None else None,
                    unit="T" if unit == "T" else "%",
                )
                for row in rows
            ],
            scale=_scale(unit),
            labels=labels,
            lang=fmt.lang,
        )
        if rows
        else None
    )
    return {"radar": radar, "bars": bars}


def _questionnaire_title(session: Session, key: str, version: int, lang: str) -> str:
    try:
        return bank_service.get(session, key=key, version=version).title.pick(lang)
    except DomainError:
        return key


@functools.cache
def _screening_form() -> ScreeningForm:
    return load_screening_form()


def _screening_rows(
    screening: dict[str, Any] | None, lang: str, _: Any, fmt: Numbers
) -> list[tuple[str, str]]:
    """The screening answers as (label, value) in the reader's language."""
    if not screening:
        return []
    form = _screening_form()
    rows = []
    for item in form.fields:
        value = screening.get(item.key)
        if item.type == "choice":
            names = {c.value: c.label.pick(lang) for c in item.choices}
            shown = names.get(value, value) if value else wording.DASH
        elif item.type == "language_list":
            languages = {c.value: c.label.pick(lang) for c in item.language.choices}
            shown = ", ".join(
                f"{languages.get(e.get('language'), e.get('language'))} {e.get('cefr_self')}"
                for e in value or []
            ) or _("none")
        else:
            unit = item.unit.pick(lang) if item.unit else ""
            shown = f"{fmt.plain(value)} {unit}".strip() if value is not None else wording.DASH
        rows.append((item.label.pick(lang), shown))
    return rows


def _report_context(
    session: Session, request: Request, report: dict[str, Any], *, pdf: bool
) -> dict[str, Any]:
    lang = _lang(request)
    _, fmt = _tools(request)
    position = session.get(Position, report["position"]["id"])
    if position is None:  # the report was read for this position a moment ago
        raise NotFound()
    organization = organization_service.get(session, position.organization_id)
    rows = _competency_rows(report, _) if report["scored"] else []
    unit = _unit(rows)
    min_n = get_settings().norm_min_n
    norms = [
        {
            **n,
            "title": _questionnaire_title(
                session, n["questionnaire_key"], n["questionnaire_version"], lang
            ),
            "text": wording.norm_message(_, status=n["status"], n=n["n"], min_n=min_n),
        }
        for n in report["norms"]
    ]
    composite = report["composite"]
    rank = pipeline.rank_of(session, position=position, score_id=report.get("score_id"))
    # The horizon the expected value was costed over; a position whose stored assumptions
    # no longer validate has no expected value, and the summary says so without a horizon.
    horizon = (None if position_service.cost_problem(position) is not None
               else position_service.cost_assumptions(position).horizon_months)
    plain = summary.summary(report, _=_, numbers=fmt, rank=rank, horizon=horizon)
    return {
        "plain": plain,
        "guide": summary.interview_guide(report, plain["weakest_keys"], lang=lang)
        if plain
        else None,
        "rank": rank,
        "report": report,
        "candidate": report["candidate"],
        "position": position,
        "is_demo": bool(report["candidate"]["is_demo"] or (organization and organization.is_demo)),
        "rows": rows,
        "unit": unit,
        "charts": _report_charts(rows, report["candidate"]["full_name"], unit, _, fmt)
        if rows
        else {"radar": None, "bars": None},
        "norms": norms,
        "min_n": min_n,
        "terms": [
            {
                **t,
                "label": _(competency_label(t["competency"])),
                "text": wording.term_sentence(_, t, fmt),
            }
            for t in (composite["explanation"]["terms"] if composite else [])
        ],
        "summary": wording.fit_summary(_, composite, fmt) if composite else None,
        "hurdles": [{**h, "text": wording.hurdle_short(_, h, fmt)} for h in report["hurdles"]],
        "knockouts": [
            {
                **k,
                "name": wording.knockout_rule(_, k["rule"]),
                "required_text": wording.knockout_value(_, k["required"], fmt),
                "actual_text": wording.knockout_value(_, k["actual"], fmt),
            }
            for k in report["knockouts"]
        ],
        "flags": [
            {
                **f,
                "title": wording.flag_title(_, f["code"]),
                "text": wording.flag_message(_, f, fmt),
                "pairs": wording.evidence(f, fmt),
            }
            for f in report["flags"]
        ],
        "screening": _screening_rows(report["screening"], lang, _, fmt),
        "utility": report["utility"],
        "option_reason": wording.option_reason(_, report["utility"], fmt)
        if report["utility"]
        else None,
        "productivity_formula": wording.productivity_formula(_, report["utility"], fmt)
        if report["utility"]
        else None,
        "cefr": wording.cefr(_, report["cefr"]),
        "decisions": report["decisions"],
        "decision_choices": DECISION_ORDER,
        "pdf": pdf,
        "fmt": fmt,
        "cost_problem": _cost_problem(position, lang),
        "hide_rankings": bool(organization and (organization.settings or {}).get(
            "hide_rankings")),
    }


@router.get("/candidates/{candidate_id:int}", response_class=HTMLResponse)
def candidate_report(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """A candidate's report: scores and bands, fit and how it was made, flags, decisions."""
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    report = report_service.report(session, candidate=candidate)
    context = _report_context(session, request, report, pdf=False)
    context["link"] = _link_context(session, request, candidate, user, report)
    return render(request, "reports/candidate.html", context)


def _link_context(
    session: Session, request: Request, candidate: Any, user: User, report: dict[str, Any]
) -> dict[str, Any]:
    """The invitation's dates and what HR may do with the link (the page's "Invitation")."""
    latest = candidate_service.latest_invitation(session, candidate_id=candidate.id)
    attempt = report.get("attempt") or {}
    done = request.query_params.get("done", "")
    return {
        "invited_at": candidate.created_at,
        "link_at": latest.created_at if latest else None,
        "links": candidate_service.invitation_count(session, candidate_id=candidate.id),
        "expires_at": latest.expires_at if latest else None,
        "revoked_at": latest.revoked_at if latest else None,
        "started_at": attempt.get("started_at"),
        "completed_at": attempt.get("submitted_at"),
        "reminders": reminders.sent(latest) if latest else [],
        "done": done if done in candidate_pages.DONE else "",
        "can_edit": can(user, Action.manage_hiring),
        "is_admin": can(user, Action.administer),
        "erased": candidate.erased_at is not None,
        "messages": candidate_messages.sent(session, candidate=candidate),
        "message_kinds": candidate_messages.KINDS,
    }


@router.get("/candidates/{candidate_id:int}/report.pdf")
def candidate_report_pdf(
    candidate_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The candidate's report as PDF, rendered from the page's template."""
    candidate = report_service.visible_candidate(session, candidate_id=candidate_id, user=user)
    report = report_service.report(session, candidate=candidate)
    page = render(
        request, "reports/candidate.html", _report_context(session, request, report, pdf=True)
    )
    return _pdf_response(request, page, f"report-{candidate.id}.pdf")
