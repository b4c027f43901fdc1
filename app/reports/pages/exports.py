"""The filtered pipeline as CSV and XLSX, every matching candidate in the page's order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from app.assessments.models import Attempt
from app.auth.dependencies import PageUser
from app.auth.models import User
from app.core.db import SessionDep, SessionRoute
from app.core.i18n import gettext_for
from app.documents import exports
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import wording
from app.reports.pages.common import _lang, _list_view, _pipeline, pipeline_query
from app.reports.schemas import PipelineFilters
from app.reports.wording import Numbers
from app.scores.models import Score
from scoring import COMPETENCY_KEYS
from scoring.competencies import label as competency_label

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


EXPORT_CHUNK = 1000


def _export_rows(
    session: Session, position: Position, filters: PipelineFilters, _: Any, numbers: Numbers
) -> Iterator[dict[str, Any]]:
    """Every candidate matching the filters, in the page's order, a chunk at a time."""
    offset = 0
    ranking = None
    while True:
        chunk = _pipeline(session, position, replace(filters, limit=EXPORT_CHUNK, offset=offset))
        ranking = ranking or wording.ranking_mode(_, chunk.ranking.mode)
        extras = _export_extras(session, [item.id for item in chunk.items])
        for item in chunk.items:
            decision = item.latest_decision
            yield {
                **item.model_dump(),
                **extras.get(item.id, {}),
                # rounded to one decimal, as the pages show them
                "fit_score": _rounded(item.fit_score),
                "partial_fit": _rounded(item.partial_fit),
                "expected_npv": _rounded(item.expected_npv),
                "requirements_passed": _requirements_word(_, item.requirements_passed),
                "requirements_missed": "; ".join(
                    wording.requirement_short(_, r.model_dump(), numbers)
                    for r in item.requirements_missed
                ),
                "ranking": ranking,
                "status": _(item.status),
                "fit_unit": {"T": "T", "percent": "%"}.get(item.fit_unit or "", ""),
                "costed_option": wording.option_name(_, item.costed_option)
                if item.costed_option
                else None,
                "decision": wording.decision_name(_, decision.decision) if decision else None,
                "decision_by": decision.user_name if decision else None,
                "decision_at": decision.created_at if decision else None,
            }
        offset += EXPORT_CHUNK
        if offset >= chunk.total:
            return


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


def _requirements_word(_: Callable[..., str], passed: bool | None) -> str | None:
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


def _export_name(position: Position, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", position.title.lower()).strip("-")[:40] or "position"
    return f"pipeline-{position.id}-{slug}.{extension}"


def _export_table(
    request: Request, session: Session, user: User, position_id: int
) -> tuple[Position, Iterator[dict[str, Any]], list[tuple[str, str]]]:
    """The position, and the rows and columns of its filtered pipeline as exported (both
    formats: the page's filters, the reader's language)."""
    position = position_service.get(session, position_id=position_id, user=user)
    query = pipeline_query(request)
    _ = gettext_for(_lang(request))
    filters, columns = _list_view(session, position, query.filters,
                                  _export_columns(_, _measured(session, position)))
    return position, _export_rows(session, position, filters, _, Numbers(_lang(request))), columns


def _attachment(data: bytes, media_type: str, position: Position, extension: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{_export_name(position, extension)}"'})


@router.get("/positions/{position_id:int}/pipeline.csv")
def pipeline_csv(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The filtered pipeline as CSV (``;`` and a BOM for Italian Excel, ``,`` otherwise)."""
    position, rows, columns = _export_table(request, session, user, position_id)
    italian = _lang(request) == "it"
    text = exports.pipeline_csv(rows, columns, bom=italian, delimiter=";" if italian else ",",
                                decimal="," if italian else ".")
    return _attachment(text.encode("utf-8"), "text/csv; charset=utf-8", position, "csv")


@router.get("/positions/{position_id:int}/pipeline.xlsx")
def pipeline_xlsx(
    position_id: int, request: Request, session: SessionDep, user: PageUser
) -> Response:
    """The filtered pipeline as an Excel workbook."""
    position, rows, columns = _export_table(request, session, user, position_id)
    data = exports.pipeline_xlsx(rows, columns, sheet_title=position.title)
    return _attachment(
        data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", position, "xlsx")
