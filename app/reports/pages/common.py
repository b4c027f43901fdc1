"""What the report pages share: the reader's language and time zone, the pipeline's query
string (also read by its exports), the oversight setting on lists, one scale per chart, the
notice of an unusable cost assumption and the PDF download.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from app import charts
from app.core.errors import Invalid
from app.core.i18n import gettext_for
from app.costs import pages as cost_pages
from app.documents import exports
from app.positions import service as position_service
from app.positions.models import Position
from app.reports import pipeline, wording
from app.reports.schemas import BANDS, STAGES, STATUSES, PipelineFilters, PipelinePage
from app.reports.wording import Numbers
from app.scores.schemas import CompetencyScore

PAGE_SIZES = (25, 50, 100, 200)


DEFAULT_LIMIT = 50


#: Columns a person sorts the pipeline by (the service's SORTS without "created").
SORTABLE = ("rank", "name", "fit", "npv")


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _tz(request: Request) -> str | None:
    """The organization's time zone (set on the staff page), or None for UTC."""
    return getattr(request.state, "time_zone", None)


def _tools(request: Request) -> tuple[Any, Numbers]:
    lang = _lang(request)
    return gettext_for(lang), Numbers(lang, _tz(request))


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


#: Columns an organization that hides rankings keeps off its lists (scores stay on reports).
RANKING_COLUMNS = frozenset({"rank", "ranking", "fit_score", "fit_unit", "partial_fit",
                             "fit_coverage", "band", "cefr", "expected_npv", "costed_option"})


def _hides_rankings(session: Session, position: Position) -> bool:
    return pipeline.rankings_hidden(session, position)


def _pipeline(session: Session, position: Position, filters: PipelineFilters) -> PipelinePage:
    """A page of the pipeline as the API gives it (its response model)."""
    return PipelinePage.model_validate(
        pipeline.list_candidates(session, position=position, filters=filters)
    )


def _list_view(session: Session, position: Position, filters: PipelineFilters,
               columns: list[tuple[str, str]]) -> tuple[PipelineFilters, list[tuple[str, str]]]:
    """The oversight setting on a list: alphabetical, without scores, when it hides rankings."""
    if not _hides_rankings(session, position):
        return filters, columns
    return (pipeline.alphabetical(filters),
            [c for c in columns if c[0] not in RANKING_COLUMNS])


def _cost_problem(position: Position, lang: str) -> dict[str, str] | None:
    """The stored cost assumption that cannot be used, for the notice at the top."""
    problem = position_service.cost_problem(position)
    return None if problem is None else cost_pages.stored_problem(problem, lang)


def _pdf_response(request: Request, page: HTMLResponse, filename: str) -> Response:
    html = bytes(page.body).decode("utf-8")
    data = exports.pdf_from_html(html, base_url=str(request.base_url))
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _unit(entries: Iterable[CompetencyScore]) -> str:
    """``T`` when every scored entry has a T-score, else ``percent`` (one scale per chart)."""
    scored = [e for e in entries if e.percent is not None]
    if scored and all(e.t_score is not None for e in scored):
        return "T"
    return "percent"


def _value(entry: CompetencyScore | None, unit: str) -> float | None:
    if entry is None:
        return None
    return entry.t_score if unit == "T" else entry.percent


def _band(entry: CompetencyScore, unit: str) -> tuple[float, float] | None:
    if unit != "T" or not entry.ci90:
        return None
    low, high = entry.ci90
    return (low, high)


def _scale(unit: str) -> tuple[float, float]:
    return charts.T_SCALE if unit == "T" else charts.PERCENT_SCALE


def _radar(
    axes: list[str],
    series: list[charts.Series],
    unit: str,
    _: Any,
    fmt: Numbers,
    bands: list[list[tuple[float, float] | None] | None] | None = None,
) -> Markup:
    """The radar of the report and of the comparison: on the unit's scale, the T average as
    the reference, numbers and words in the page's language."""
    return charts.radar(
        axes,
        series,
        scale=_scale(unit),
        bands=bands,
        reference=50.0 if unit == "T" else None,
        labels=wording.chart_labels(_, fmt),
        lang=fmt.lang,
    )
