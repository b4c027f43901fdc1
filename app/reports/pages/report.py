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
from app.candidates.models import Candidate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute, pk
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
from app.reports.schemas import CandidateReport
from app.reports.wording import Numbers
from app.scores.schemas import CompetencyScore
from questionnaires.screening import ScreeningForm, load_screening_form
from scoring import COMPETENCY_KEYS
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


#: The decisions in the order a person weighs them (the service's order is not meant for people).
DECISION_ORDER = ("advance", "hold", "reject", "hire")


def _competencies(report: CandidateReport, _: Any) -> list[tuple[str, str, CompetencyScore]]:
    """Key, label and score of each competency the report has, in the usual order."""
    entries = report.competencies or {}
    return [(key, _(competency_label(key)), entries[key]) for key in COMPETENCY_KEYS
            if key in entries]


def _report_charts(
    competencies: list[tuple[str, str, CompetencyScore]], name: str, unit: str, _: Any,
    fmt: Numbers,
) -> dict[str, Markup | None]:
    labels = wording.chart_labels(_, fmt)
    axes = [label for _key, label, _score in competencies]
    scores = [score for _key, _label, score in competencies]
    radar = None
    if len(competencies) >= 3:
        radar = _radar(
            axes,
            [charts.Series(name, [_value(s, unit) for s in scores])],
            unit,
            _,
            fmt,
            bands=[[_band(s, unit) for s in scores]],
        )
    bars = (
        charts.score_bars(
            [
                charts.BarRow(
                    label=label,
                    value=_value(score, unit),
                    low=(_band(score, unit) or (None, None))[0],
                    high=(_band(score, unit) or (None, None))[1],
                    band_letter=score.band if _value(score, unit) is not None else None,
                    unit="T" if unit == "T" else "%",
                )
                for _key, label, score in competencies
            ],
            scale=_scale(unit),
            labels=labels,
            lang=fmt.lang,
        )
        if competencies
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
    session: Session, request: Request, report: CandidateReport, *, pdf: bool
) -> dict[str, Any]:
    """What the report page shows. The report is the typed API response; the wording
    functions read plain mappings, so each part goes to them as ``model_dump()``."""
    lang = _lang(request)
    _, fmt = _tools(request)
    position = session.get(Position, report.position.id)
    if position is None:  # the report was read for this position a moment ago
        raise NotFound()
    organization = organization_service.get(session, position.organization_id)
    competencies = _competencies(report, _) if report.scored else []
    unit = _unit(score for _key, _label, score in competencies)
    min_n = get_settings().norm_min_n
    norms = [
        {
            **n.model_dump(),
            "title": _questionnaire_title(
                session, n.questionnaire_key, n.questionnaire_version, lang
            ),
            "text": wording.norm_message(_, status=n.status, n=n.n, min_n=min_n),
        }
        for n in report.norms
    ]
    composite = report.composite.model_dump() if report.composite else None
    utility = report.utility.model_dump() if report.utility else None
    rank = pipeline.rank_of(session, position=position, score_id=report.score_id)
    # The horizon the expected value was costed over; a position whose stored assumptions
    # no longer validate has no expected value, and the summary says so without a horizon.
    horizon = (None if position_service.cost_problem(position) is not None
               else position_service.cost_assumptions(position).horizon_months)
    plain_report = report.model_dump()
    plain = summary.summary(plain_report, _=_, numbers=fmt, rank=rank, horizon=horizon)
    return {
        "plain": plain,
        "guide": summary.interview_guide(plain_report, plain["weakest_keys"], lang=lang)
        if plain
        else None,
        "rank": rank,
        "report": report,
        "candidate": report.candidate,
        "position": position,
        "is_demo": bool(report.candidate.is_demo or (organization and organization.is_demo)),
        "rows": [{**score.model_dump(), "key": key, "label": label}
                 for key, label, score in competencies],
        "unit": unit,
        "charts": _report_charts(competencies, report.candidate.full_name, unit, _, fmt)
        if competencies
        else {"radar": None, "bars": None},
        "norms": norms,
        "min_n": min_n,
        "terms": [
            {
                **term,
                "label": _(competency_label(t.competency)),
                "text": wording.term_sentence(_, term, fmt),
            }
            for t in (report.composite.explanation.terms if report.composite else [])
            for term in [t.model_dump()]
        ],
        "summary": wording.fit_summary(_, composite, fmt) if composite else None,
        "hurdles": [
            {**hurdle, "text": wording.hurdle_short(_, hurdle, fmt)}
            for hurdle in (h.model_dump() for h in report.hurdles)
        ],
        "knockouts": [
            {
                **k.model_dump(),
                "name": wording.knockout_rule(_, k.rule),
                "required_text": wording.knockout_value(_, k.required, fmt),
                "actual_text": wording.knockout_value(_, k.actual, fmt),
            }
            for k in report.knockouts
        ],
        "flags": [
            {
                **flag,
                "title": wording.flag_title(_, f.code),
                "text": wording.flag_message(_, flag, fmt),
                "pairs": wording.evidence(flag, fmt),
            }
            for f in report.flags
            for flag in [f.model_dump()]
        ],
        "screening": _screening_rows(report.screening, lang, _, fmt),
        "utility": report.utility,
        "option_reason": wording.option_reason(_, utility, fmt) if utility else None,
        "productivity_formula": wording.productivity_formula(_, utility, fmt)
        if utility
        else None,
        "cefr": wording.cefr(_, report.cefr),
        "decisions": report.decisions,
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
    report = _typed_report(session, candidate)
    context = _report_context(session, request, report, pdf=False)
    context["link"] = _link_context(session, request, candidate, user, report)
    return render(request, "reports/candidate.html", context)


def _typed_report(session: Session, candidate: Candidate) -> CandidateReport:
    """The candidate's report as the API gives it (its response model)."""
    return CandidateReport.model_validate(report_service.report(session, candidate=candidate))


def _link_context(
    session: Session, request: Request, candidate: Candidate, user: User, report: CandidateReport
) -> dict[str, Any]:
    """The invitation's dates and what HR may do with the link (the page's "Invitation")."""
    latest = candidate_service.latest_invitation(session, candidate_id=pk(candidate))
    attempt = report.attempt
    done = request.query_params.get("done", "")
    return {
        "invited_at": candidate.created_at,
        "link_at": latest.created_at if latest else None,
        "links": candidate_service.invitation_count(session, candidate_id=pk(candidate)),
        "expires_at": latest.expires_at if latest else None,
        "revoked_at": latest.revoked_at if latest else None,
        "started_at": attempt.started_at if attempt else None,
        "completed_at": attempt.submitted_at if attempt else None,
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
    report = _typed_report(session, candidate)
    page = render(
        request, "reports/candidate.html", _report_context(session, request, report, pdf=True)
    )
    return _pdf_response(request, page, f"report-{candidate.id}.pdf")
