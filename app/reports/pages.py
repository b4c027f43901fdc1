"""Staff pages on top of the report services: a position's pipeline (with the invitation
form), a candidate's report with decisions, the comparison of 2–5 candidates, and their
CSV / XLSX / PDF exports.

Numbers come from :mod:`app.reports.pipeline` and :mod:`app.reports.service` unchanged;
this module only chooses what a page shows and words it (:mod:`app.reports.wording`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel import Session, col, select

from app import charts
from app.assessments.models import Attempt
from app.audit import service as audit
from app.auth.dependencies import CsrfChecked, FormFirst, PageUser, PostedForm, client_ip
from app.auth.models import User
from app.auth.permissions import Action, can
from app.bank import service as bank_service
from app.candidates import decisions as decision_service
from app.candidates import messages as candidate_messages
from app.candidates import pages as candidate_pages
from app.candidates import reminders
from app.candidates import service as candidate_service
from app.candidates.schemas import CandidateCreate
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import DomainError, Forbidden, Invalid, NotFound
from app.core.i18n import gettext_for
from app.core.templating import render
from app.costs import pages as cost_pages
from app.documents import exports
from app.interviews import overall as overall_service
from app.ops.ratelimit import enforce_invitations
from app.organizations import service as organization_service
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.pages import _errors as field_errors
from app.privacy import service as privacy_service
from app.reports import funnel, pipeline, summary, wording
from app.reports import service as report_service
from app.reports.schemas import BANDS, STAGES, STATUSES, PipelineFilters
from app.reports.wording import Numbers
from app.scores import service as score_service
from app.scores.models import Score
from questionnaires.screening import ScreeningForm, load_screening_form
from scoring import COMPETENCY_KEYS
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_LIMIT = 50
EXPORT_CHUNK = 1000
#: Columns a person sorts the pipeline by (the service's SORTS without "created").
SORTABLE = ("rank", "name", "fit", "npv")
#: A comparison of more candidates names the pairs of its marks by number.
NAMED_PAIRS_UP_TO = 3
#: The decisions in the order a person weighs them (the service's order is not meant for people).
DECISION_ORDER = ("advance", "hold", "reject", "hire")


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _tz(request: Request) -> str | None:
    """The organization's time zone (set on the staff page), or None for UTC."""
    return getattr(request.state, "time_zone", None)


def _tools(request: Request) -> tuple[Any, Numbers]:
    lang = _lang(request)
    return gettext_for(lang), Numbers(lang, _tz(request))


# --- the pipeline -------------------------------------------------------------------------


@dataclass
class PipelineQuery:
    """The pipeline page's query string, parsed: the service's filters and the raw values."""

    filters: PipelineFilters
    values: dict[str, str] = field(default_factory=dict)

    def url(self, base: str, **changes: Any) -> str:
        """``base`` with the current values, ``changes`` applied, empty values left out."""
        params = {**self.values, **{k: str(v) for k, v in changes.items()}}
        query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
        return f"{base}?{query}" if query else base


def _choice(_: Any, name: str, value: str, allowed: dict[str, Any]) -> Any:
    if value not in allowed:
        raise Invalid(
            _(
                "%(field)s: unknown value %(value)s; expected one of %(allowed)s.",
                field=name,
                value=repr(value),
                allowed=", ".join(k for k in allowed if k),
            )
        )
    return allowed[value]


def _whole(_: Any, name: str, value: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
    if not re.fullmatch(r"[0-9]{1,18}", value) or not low <= int(value) <= high:
        raise Invalid(
            _(
                "%(field)s: give a whole number from %(low)s to %(high)s.",
                field=name,
                low=low,
                high=high,
            )
        )
    return int(value)


def pipeline_query(request: Request) -> PipelineQuery:
    """Filters, sort and page from the query string; unknown values are a 422 naming them."""
    _ = gettext_for(_lang(request))
    raw = {
        key: request.query_params.get(key, "").strip()
        for key in ("status", "band", "stage", "requirements", "knockouts", "flagged", "q", "sort",
                    "limit", "offset")
    }
    status = _choice(_, "status", raw["status"], {"": (), **{s: (s,) for s in STATUSES}})
    band = _choice(_, "band", raw["band"], {"": (), **{b: (b,) for b in BANDS}})
    stage = _choice(_, "stage", raw["stage"], {"": (), **{s: (s,) for s in STAGES}})
    requirements = _choice(
        _, "requirements", raw["requirements"], {"": None, "met": True, "missed": False}
    )
    knockouts = _choice(
        _, "knockouts", raw["knockouts"], {"": None, "passed": True, "failed": False}
    )
    flagged = _choice(_, "flagged", raw["flagged"], {"": None, "yes": True, "no": False})
    sorts = {s: s for name in SORTABLE for s in (name, f"-{name}")}
    sort = _choice(_, "sort", raw["sort"] or "rank", sorts)
    limit = _whole(_, "limit", raw["limit"], DEFAULT_LIMIT, 1, max(PAGE_SIZES))
    offset = _whole(_, "offset", raw["offset"], 0, 0, 10**9)
    filters = PipelineFilters(
        status=status,
        band=band,
        stage=stage,
        knockouts_passed=knockouts,
        requirements_passed=requirements,
        flagged=flagged,
        q=raw["q"][:200] or None,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    values = {
        **raw,
        "sort": "" if sort == "rank" else sort,
        "limit": "" if limit == DEFAULT_LIMIT else str(limit),
        "offset": "" if offset == 0 else str(offset),
    }
    return PipelineQuery(filters=filters, values=values)


def _sort_links(query: PipelineQuery, base: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link (toggling direction) and its aria-sort state."""
    current = query.filters.sort
    links = {}
    for name in SORTABLE:
        # Rank and name read best ascending first; fit and NPV best first (descending).
        first = name if name in ("rank", "name") else f"-{name}"
        if current == name:
            target, state = f"-{name}", "ascending"
        elif current == f"-{name}":
            target, state = name, "descending"
        else:
            target, state = first, "none"
        links[name] = {"url": query.url(base, sort=target, offset=""), "state": state}
    return links


def _paging(query: PipelineQuery, base: str, total: int) -> dict[str, Any]:
    limit, offset = query.filters.limit, query.filters.offset
    last = min(offset + limit, total)
    return {
        "first": offset + 1 if last > offset else 0,
        "last": last,
        "total": total,
        "previous": query.url(base, offset=max(0, offset - limit) or "") if offset else None,
        "next": query.url(base, offset=offset + limit) if offset + limit < total else None,
    }


def _pipeline_page(
    request: Request,
    session: Session,
    user: User,
    position: Position,
    *,
    invited: dict[str, Any] | None = None,
    duplicate: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The pipeline of a position, with the invitation form for HR."""
    query = pipeline_query(request)
    organization = organization_service.get(session, position.organization_id)
    hide_rankings = _hides_rankings(session, position)
    # The oversight setting: alphabetical, scores only on the report.
    filters, _columns = _list_view(session, position, query.filters, [])
    page = pipeline.list_candidates(session, position=position, filters=filters)
    _, numbers = _tools(request)
    for item in page["items"]:
        item["requirements_text"] = [
            wording.requirement_short(_, r, numbers) for r in item["requirements_missed"]
        ]
        item["erased"] = item["email"] == privacy_service.erased_email(item["id"])
    base = f"/positions/{position.id}"
    export_query = {k: v for k, v in query.values.items() if k not in ("limit", "offset") and v}
    export_suffix = f"?{urlencode(export_query)}" if export_query else ""
    return render(
        request,
        "reports/pipeline.html",
        {
            "position": position,
            "is_demo": bool(organization and organization.is_demo),
            "page": page,
            "query": query,
            "sort_links": _sort_links(query, base),
            "paging": _paging(query, base, page["total"]),
            "page_sizes": PAGE_SIZES,
            "statuses": STATUSES,
            "bands": BANDS,
            "stages": STAGES,
            "stage_counts": pipeline.stage_counts(session, position=position),
            "overall_weights": overall_service.weights(session, position=position),
            "export_suffix": export_suffix,
            "filtered": any(
                query.values.get(k)
                for k in ("status", "band", "stage", "requirements", "knockouts", "flagged", "q")
            ),
            "can_edit": can(user, Action.manage_hiring),
            "invited": invited,
            "duplicate": duplicate,
            "funnel": funnel.stages(session, position_id=position.id),
            "done": _done(session, request, user),
            "is_admin": can(user, Action.administer),
            "errors": errors or {},
            "values": values or {},
            "fmt": Numbers(_lang(request), _tz(request)),
            "cost_problem": _cost_problem(position, _lang(request)),
            "ranking_text": wording.ranking_text(_, page["ranking"], numbers),
            "hide_rankings": hide_rankings,
        },
        status_code=status_code,
    )


@router.get("/positions/{position_id:int}/funnel", response_class=HTMLResponse)
def position_funnel(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """Where the position's candidates are: each step, each section's drop-off and time."""
    position = position_service.get(session, position_id=position_id, user=user)
    lang = _lang(request)
    rows = funnel.sections(session, position_id=position.id)
    titles = _section_titles(session, position, lang)
    for row in rows:
        row["title"] = titles.get(row["key"], row["key"])
    return render(request, "reports/funnel.html", {
        "position": position,
        "stages": funnel.stages(session, position_id=position.id),
        "sections": rows,
        "fmt": Numbers(lang, _tz(request)),
    })


def _section_titles(session: Session, position: Position, lang: str) -> dict[str, str]:
    """Section key → its title in ``lang``, over the position's questionnaires."""
    titles = {}
    for key in position.questionnaires:
        version = (position.questionnaire_versions or {}).get(key)
        for section in bank_service.get(session, key=key, version=version).sections:
            titles[section.key] = section.title.pick(lang)
    return titles


def _done(session: Session, request: Request, user: User) -> dict[str, str] | None:
    """What a link action just did (``?done=…&candidate=…``), for the note at the top."""
    done, candidate_id = (request.query_params.get(k, "") for k in ("done", "candidate"))
    if done not in candidate_pages.DONE or not re.fullmatch(r"[0-9]{1,18}", candidate_id):
        return None
    try:
        candidate = candidate_service.get(session, candidate_id=int(candidate_id),
                                          organization_id=user.organization_id)
    except NotFound:
        return None
    return {"what": done, "name": candidate.full_name}


@router.get("/positions/{position_id:int}", response_class=HTMLResponse)
def position_pipeline(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """A position's pipeline: filter, search, sort, page, pick candidates to compare."""
    position = position_service.get(session, position_id=position_id, user=user)
    return _pipeline_page(request, session, user, position)


@router.post("/positions/{position_id:int}/candidates", dependencies=FormFirst)
def invite(
    position_id: int, request: Request, session: SessionDep, user: PageUser, form: PostedForm
) -> Response:
    """Invite a candidate; the link is shown once, to copy, and e-mailed via the outbox."""
    if not can(user, Action.manage_hiring):
        raise Forbidden()
    position = position_service.get(session, position_id=position_id, user=user)
    # 429 past the hourly limit; a refused form below rolls the count back.
    enforce_invitations(session, user_id=user.id, language=_lang(request))
    values = {
        key: str(form.get(key) or "").strip()
        for key in ("full_name", "email", "language", "extra_time_pct")
    }
    try:
        data = CandidateCreate.model_validate(
            {
                "full_name": values["full_name"],
                "email": values["email"],
                "language": values["language"] or "en",
                "extra_time_pct": values["extra_time_pct"] or 0,
            }
        )
        if form.get("duplicate") != "confirmed" and (
            same := candidate_service.same_email(session, position_id=position.id,
                                                 email=str(data.email))
        ):
            duplicate = {"email": str(data.email).lower(), "candidates": [
                {"id": c.id, "full_name": c.full_name, "created_at": c.created_at,
                 "status": candidate_service.effective_status(session, candidate=c)}
                for c in same
            ]}
            session.rollback()  # the invitation count too: nothing was sent
            return _pipeline_page(request, session, user, position, values=values,
                                  duplicate=duplicate, status_code=409)
        candidate, invitation, token = candidate_service.invite(
            session,
            position=position,
            data=data,
            actor=user,
            base_url=get_settings().base_url,
        )
    except (ValidationError, DomainError) as exc:
        session.rollback()
        return _pipeline_page(
            request,
            session,
            user,
            position,
            errors=field_errors(exc, gettext_for(_lang(request))),
            values=values,
            status_code=422,
        )
    audit.record(
        session,
        actor=user,
        action="candidate.invite",
        object_type="candidate",
        object_id=candidate.id,
        details={"position_id": position.id},
        ip=client_ip(request),
    )
    session.commit()
    invited = {
        "candidate": candidate,
        "expires_at": invitation.expires_at,
        "url": candidate_service.invitation_url(get_settings().base_url, token),
        "smtp": bool(get_settings().smtp_url),
    }
    return _pipeline_page(request, session, user, position, invited=invited)


def _export_rows(
    session: Session, position: Position, filters: PipelineFilters, _: Any, numbers: Numbers
) -> Iterator[dict[str, Any]]:
    """Every candidate matching the filters, in the page's order, a chunk at a time."""
    offset = 0
    ranking = None
    while True:
        chunk = pipeline.list_candidates(
            session,
            position=position,
            filters=replace(filters, limit=EXPORT_CHUNK, offset=offset),
        )
        ranking = ranking or wording.ranking_mode(_, chunk["ranking"]["mode"])
        extras = _export_extras(session, [item["id"] for item in chunk["items"]])
        for item in chunk["items"]:
            decision = item["latest_decision"] or {}
            yield {
                **item,
                **extras.get(item["id"], {}),
                **{key: _rounded(item.get(key)) for key in ROUNDED},
                "requirements_passed": _requirements_word(_, item["requirements_passed"]),
                "requirements_missed": "; ".join(
                    wording.requirement_short(_, r, numbers) for r in item["requirements_missed"]
                ),
                "ranking": ranking,
                "status": _(item["status"]),
                "fit_unit": {"T": "T", "percent": "%"}.get(item["fit_unit"] or "", ""),
                "costed_option": wording.option_name(_, item["costed_option"])
                if item["costed_option"]
                else None,
                "decision": wording.decision_name(_, decision["decision"]) if decision else None,
                "decision_by": decision.get("user_name"),
                "decision_at": decision.get("created_at"),
            }
        offset += EXPORT_CHUNK
        if offset >= chunk["total"]:
            return


#: Exported numbers rounded to one decimal (the pages show no more).
ROUNDED = ("fit_score", "partial_fit", "expected_npv")


def _rounded(value: Any, decimals: int = 1) -> Any:
    return round(value, decimals) if isinstance(value, float) else value


def _measured(session: Session, position: Position) -> list[str]:
    """The competencies the position's candidates are scored on (its first score's)."""
    scales = session.exec(
        select(Score.scales).where(Score.position_id == position.id).limit(1)
    ).first()
    return [key for key in COMPETENCY_KEYS if key in (scales or {})]


def _export_extras(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per candidate: when the assessment started and was handed in, and each competency's
    score (T-score once norms exist, else percent of the maximum), rounded."""
    if not ids:
        return {}
    extras: dict[int, dict[str, Any]] = {}
    for candidate_id, started, submitted in session.exec(
        select(Attempt.candidate_id, Attempt.started_at, Attempt.submitted_at)
        .where(col(Attempt.candidate_id).in_(ids))
    ):
        extras.setdefault(candidate_id, {}).update(started_at=started, completed_at=submitted)
    for candidate_id, scales in session.exec(
        select(Score.candidate_id, Score.scales).where(col(Score.candidate_id).in_(ids))
    ):
        row = extras.setdefault(candidate_id, {})
        for key, entry in (scales or {}).items():
            value = entry.get("t_score") if entry.get("band_unit") == "T" else entry.get(
                "percent")
            row[f"competency_{key}"] = _rounded(value)
    return extras


def _requirements_word(_: Any, passed: bool | None) -> str | None:
    if passed is None:
        return None
    return _("met") if passed else _("missed")


def _export_columns(_: Any, measured: list[str] | None = None) -> list[tuple[str, str]]:
    competencies = [(f"competency_{key}", _("%(competency)s (score)",
                                            competency=_(competency_label(key))))
                    for key in measured or []]
    return [
        ("rank", _("Rank")),
        ("full_name", _("Name")),
        ("email", _("E-mail")),
        ("ranking", _("Ranked by")),
        ("status", _("Status")),
        ("fit_score", _("Fit score")),
        ("fit_unit", _("Unit")),
        ("partial_fit", _("Partial fit")),
        ("fit_coverage", _("Share of weight scored")),
        ("band", _("Band")),
        ("cefr", _("CEFR")),
        ("requirements_passed", _("Requirements")),
        ("requirements_missed", _("Requirements missed")),
        ("knockouts_passed", _("Knock-outs passed")),
        *competencies,
        ("flags_count", _("Flags")),
        ("expected_npv", _("Expected NPV (EUR)")),
        ("costed_option", _("Costed as")),
        ("decision", _("Latest decision")),
        ("decision_by", _("Decided by")),
        ("decision_at", _("Decided at")),
        ("created_at", _("Invited at")),
        ("started_at", _("Started at")),
        ("completed_at", _("Completed at")),
        ("is_demo", _("Demo data")),
    ]


#: Columns an organization that hides rankings keeps off its lists (scores stay on reports).
RANKING_COLUMNS = frozenset({"rank", "ranking", "fit_score", "fit_unit", "partial_fit",
                             "fit_coverage", "band", "cefr", "expected_npv", "costed_option"})


def _hides_rankings(session: Session, position: Position) -> bool:
    return pipeline.rankings_hidden(session, position)


def _list_view(session: Session, position: Position, filters: PipelineFilters,
               columns: list[tuple[str, str]]) -> tuple[PipelineFilters, list[tuple[str, str]]]:
    """The oversight setting on a list: alphabetical, without scores, when it hides rankings."""
    if not _hides_rankings(session, position):
        return filters, columns
    return (pipeline.alphabetical(filters),
            [c for c in columns if c[0] not in RANKING_COLUMNS])


def _export_name(position: Position, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", position.title.lower()).strip("-")[:40] or "position"
    return f"pipeline-{position.id}-{slug}.{extension}"


@router.get("/positions/{position_id:int}/pipeline.csv")
def pipeline_csv(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The filtered pipeline as CSV (``;`` and a BOM for Italian Excel, ``,`` otherwise)."""
    position = position_service.get(session, position_id=position_id, user=user)
    query = pipeline_query(request)
    _ = gettext_for(_lang(request))
    italian = _lang(request) == "it"
    filters, columns = _list_view(session, position, query.filters,
                                  _export_columns(_, _measured(session, position)))
    text = exports.pipeline_csv(
        _export_rows(session, position, filters, _, Numbers(_lang(request))),
        columns,
        bom=italian,
        delimiter=";" if italian else ",",
        decimal="," if italian else ".",
    )
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(position, "csv")}"'},
    )


@router.get("/positions/{position_id:int}/pipeline.xlsx")
def pipeline_xlsx(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The filtered pipeline as an Excel workbook."""
    position = position_service.get(session, position_id=position_id, user=user)
    query = pipeline_query(request)
    _ = gettext_for(_lang(request))
    filters, columns = _list_view(session, position, query.filters,
                                  _export_columns(_, _measured(session, position)))
    data = exports.pipeline_xlsx(
        _export_rows(session, position, filters, _, Numbers(_lang(request))),
        columns,
        sheet_title=position.title,
    )
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_export_name(position, "xlsx")}"'},
    )


# --- the candidate report -------------------------------------------------------------------


def _unit(entries: list[dict[str, Any]]) -> str:
    """``T`` when every scored entry has a T-score, else ``percent`` (one scale per chart)."""
    scored = [e for e in entries if e.get("percent") is not None]
    if scored and all(e.get("t_score") is not None for e in scored):
        return "T"
    return "percent"


def _value(entry: dict[str, Any] | None, unit: str) -> float | None:
    if entry is None:
        return None
    return entry.get("t_score") if unit == "T" else entry.get("percent")


def _band(entry: dict[str, Any], unit: str) -> tuple[float, float] | None:
    if unit != "T" or not entry.get("ci90"):
        return None
    low, high = entry["ci90"]
    return (low, high)


def _scale(unit: str) -> tuple[float, float]:
    return charts.T_SCALE if unit == "T" else charts.PERCENT_SCALE


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
        radar = charts.radar(
            axes,
            [charts.Series(name, [_value(r, unit) for r in rows])],
            scale=_scale(unit),
            bands=[[_band(r, unit) for r in rows]],
            reference=50.0 if unit == "T" else None,
            labels=labels,
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


def _cost_problem(position: Position, lang: str) -> dict[str, str] | None:
    """The stored cost assumption that cannot be used, for the notice at the top."""
    problem = position_service.cost_problem(position)
    return None if problem is None else cost_pages.stored_problem(problem, lang)


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


def _pdf_response(request: Request, page: HTMLResponse, filename: str) -> Response:
    html = bytes(page.body).decode("utf-8")
    data = exports.pdf_from_html(html, base_url=str(request.base_url))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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
        session, basis=score_service.decision_basis(session, candidate_id=candidate.id),
        position=position_service.get(session, position_id=candidate.position_id, user=user),
        candidate_id=candidate.id)
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


# --- comparison ----------------------------------------------------------------------------


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
        detail = exc.detail[0]["msg"] if isinstance(exc.detail, list) else str(exc.detail)
        raise CompareProblem(
            422, _("These candidates cannot be compared: %(reason)s.", reason=detail)
        ) from exc


def _pair_marks(
    result: dict[str, Any], names: dict[int, str], competency: str
) -> dict[str, list[str]]:
    """Which pairs differ reliably on one competency, which do not, which cannot tell."""
    marks: dict[str, list[str]] = {"same": [], "different": [], "unknown": []}
    for pair in result["reliability"]["pairs"]:
        verdict = pair["competencies"].get(competency)
        a, b = names[pair["a"]], names[pair["b"]]
        who = f"{a}–{b}" if a.isdigit() and b.isdigit() else f"{a} – {b}"
        if verdict is None or verdict["reliably_different"] is None:
            marks["unknown"].append(who)
        elif verdict["reliably_different"]:
            marks["different"].append(who)
        else:
            marks["same"].append(who)
    return marks


def _compare_summary(
    session: Session, position: Position, reports: list[dict[str, Any]], _: Any, fmt: Numbers
) -> list[dict[str, Any]]:
    """Per candidate, what the comparison's first table shows: rank, fit, requirements, value,
    CEFR, flags, strongest and weakest competencies."""
    out = []
    for r in reports:
        rank = pipeline.rank_of(session, position=position, score_id=r.get("score_id"))
        composite = r["composite"]
        partial = composite.get("partial") if composite else None
        strongest, weakest = summary.strongest_and_weakest(r["competencies"])
        out.append(
            {
                "rank": rank["rank"],
                "fit": None if composite is None else composite["fit_score"],
                "partial": partial,
                "unit": None if composite is None else composite["unit"],
                "band": None if composite is None else (
                    composite["band"] if partial is None else partial["band"]),
                "requirements_passed": r["requirements_passed"],
                "missed": [wording.requirement_short(_, q, fmt) for q in r["requirements"]
                           if q["passed"] is False],
                "strongest": [_(competency_label(k)) for k in strongest],
                "weakest": [_(competency_label(k)) for k in weakest],
            }
        )
    return out


def _compare_context(
    request: Request, result: dict[str, Any], session: Session, position: Position
) -> dict[str, Any]:
    _, fmt = _tools(request)
    reports = result["candidates"]
    # Beyond three candidates the pairs are many (up to ten): they are named by the numbers
    # in the table's heading, so a row of marks stays short enough for a printed page.
    numbered = len(reports) > NAMED_PAIRS_UP_TO
    names = {
        r["candidate"]["id"]: str(i + 1) if numbered else r["candidate"]["full_name"]
        for i, r in enumerate(reports)
    }
    present = {k for r in reports for k in (r["competencies"] or {})}
    competencies = [k for k in COMPETENCY_KEYS if k in present]
    entries = [e for r in reports for e in (r["competencies"] or {}).values()]
    unit = _unit(entries)
    rows = []
    for key in competencies:
        cells = [(r["competencies"] or {}).get(key) for r in reports]
        rows.append(
            {
                "key": key,
                "label": _(competency_label(key)),
                "cells": cells,
                "marks": _pair_marks(result, names, key),
            }
        )
    radar = None
    if len(competencies) >= 3 and any(r["scored"] for r in reports):
        radar = charts.radar(
            [row["label"] for row in rows],
            [
                charts.Series(
                    r["candidate"]["full_name"],
                    [_value((r["competencies"] or {}).get(k), unit) for k in competencies],
                )
                for r in reports
            ],
            scale=_scale(unit),
            reference=50.0 if unit == "T" else None,
            labels=wording.chart_labels(_, fmt),
        )
    return {
        "reports": reports,
        "rows": rows,
        "unit": unit,
        "radar": radar,
        "fmt": fmt,
        "rule": result["reliability"]["rule"],
        "cefr": [wording.cefr(_, r["cefr"]) for r in reports],
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
            result = report_service.compare(session, position=position, candidate_ids=candidate_ids)
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
