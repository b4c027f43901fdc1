"""A position's pipeline (SPEC §3.5, §4, §5): read only; scores are made in app/scores.

Filtering, sorting and paging run in SQL on the columns of ``candidate`` and ``score``: one
query counts the matching candidates, one picks the page's ids, one reads the page's rows.
Ranks are over the whole position, before filters apply, so a candidate's rank does not
change with the filter. They are what ``rank()`` over the position gives (1 + how many rank
strictly better): in fit mode for the page's rows only, from the fit scores above the page's
lowest (sorting by that ranking is sorting by fit score); in the npv and mix modes for every
score row, from their fit scores and NPVs read at once (and sorting by them is done here):

* ``fit_rank`` = rank by fit score (best first), ``npv_rank`` = rank by expected NPV;
* the position's ranking (``ranking.mode``): ``fit`` → fit_rank; ``npv`` → npv_rank (ties and
  candidates without an NPV, e.g. before norms, by fit); ``mix`` →
  ``w · fit_rank + (1 − w) · npv_rank`` with ``w = ranking.fit_weight``, falling back to the
  fit rank while there is no NPV (before norms nobody has one).

A *partial* fit (a weighted competency incomplete, the fit made over the complete ones) ranks
after every complete fit, by its value; candidates with neither (not completed) have no rank
and sort last in every order. Each page says which ranking made its ranks (:func:`ranking`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from app.candidates import decisions as decision_service
from app.candidates import service as candidate_service
from app.candidates.models import Candidate
from app.core.clock import utcnow
from app.core.db import id_of, pk
from app.core.errors import N_, field_problem
from app.core.tenancy import owned_by
from app.organizations import service as organization_service
from app.positions.models import Position
from app.reports.schemas import BANDS, SORTS, STAGES, STATUSES, PipelineFilters
from app.scores import service as score_service
from app.scores.models import Score


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)


def _choices(field: str, values: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise field_problem(field, N_("unknown value %(value)r; expected one of %(allowed)s"),
                                params={"value": value, "allowed": ", ".join(allowed)},
                                loc=["query", field])
    return tuple(values)


def check_filters(filters: PipelineFilters) -> PipelineFilters:
    """422 naming the parameter for an unknown status, band or sort."""
    _choices("status", filters.status, STATUSES)
    _choices("band", filters.band, BANDS)
    _choices("stage", filters.stage, STAGES)
    _choices("sort", [filters.sort], SORTS)
    return filters


def _open_invitation(now: datetime) -> Any:
    return candidate_service.open_invitation(Candidate.id, now)


def _status_in(statuses: Sequence[str], now: datetime) -> Any:
    """``_status(now) IN statuses``, written on the stored status: PostgreSQL estimates that
    from its statistics (not a CASE), so it joins the scores by index rather than looping."""
    stored = [s for s in statuses if s != "invited"]  # "expired" may be stored too
    conditions: list[ColumnElement[bool]] = [col(Candidate.status).in_(stored)] if stored else []
    if "invited" in statuses:
        conditions.append(and_(col(Candidate.status) == "invited", _open_invitation(now)))
    if "expired" in statuses:
        conditions.append(and_(col(Candidate.status) == "invited", ~_open_invitation(now)))
    return or_(*conditions)


def _in_position(statement: Any, position: Position) -> Any:
    """``statement`` over the position's candidates, each with its score row (if any)."""
    return (
        statement.select_from(Candidate)
        .outerjoin(Score, col(Score.candidate_id) == Candidate.id)
        .where(
            Candidate.position_id == position.id,
            owned_by(Candidate, position.organization_id),
        )
    )


def _mode(position: Position) -> tuple[str, float]:
    ranking = position.ranking or {}
    return ranking.get("mode", "fit"), float(ranking.get("fit_weight", 0.5))


def _descending_ranks(values: np.ndarray) -> np.ndarray:
    """SQL's ``rank() OVER (ORDER BY v DESC)``: 1 + how many are greater; NaN stays NaN."""
    present = np.sort(values[~np.isnan(values)])
    ranks = len(present) - np.searchsorted(present, values, side="right") + 1.0
    return np.where(np.isnan(values), np.nan, ranks)


def _partial_ranks(
    session: Session, position: Position, partials: Sequence[float]
) -> dict[float, int]:
    """Ranks of partial fits: after every complete fit, 1 + how many partial fits are higher."""
    if not partials:
        return {}
    complete = session.connection().execute(
        sql_select(func.count()).where(
            col(Score.position_id) == position.id, col(Score.fit_score).is_not(None)
        )
    ).scalar_one()
    higher = session.connection().execute(
        sql_select(col(Score.partial_fit)).where(
            col(Score.position_id) == position.id, col(Score.partial_fit) > min(partials)
        )
    )
    ascending = np.sort(np.fromiter(higher.scalars(), float))
    above = len(ascending) - np.searchsorted(ascending, np.array(partials, float), side="right")
    return {value: int(complete) + int(n) + 1 for value, n in zip(partials, above, strict=True)}


def _fit_ranks(session: Session, position: Position, fits: Sequence[float]) -> dict[float, int]:
    """The fit ranking's rank of each fit score in ``fits``: 1 + how many of the position are
    higher. Only the scores above the lowest one asked about are read: a handful for the
    first pages of the ranking, every one for a page in another order."""
    if not fits:
        return {}
    higher = session.connection().execute(  # plain numbers: Core rows, no ORM loading
        sql_select(col(Score.fit_score)).where(
            col(Score.position_id) == position.id, col(Score.fit_score) > min(fits)
        )
    )
    ascending = np.sort(np.fromiter(higher.scalars(), float))
    above = len(ascending) - np.searchsorted(ascending, np.array(fits, float), side="right")
    return {fit: int(n) + 1 for fit, n in zip(fits, above, strict=True)}


def _position_ranks(session: Session, position: Position) -> dict[int, int]:
    """The npv or mix ranking of every score row with a fit score, by score id."""
    mode, w = _mode(position)
    session.flush()  # what the ORM's autoflush would do before a query
    rows = (
        session.connection()
        .execute(
            sql_select(id_of(Score), col(Score.fit_score), col(Score.expected_npv),
                       col(Score.partial_fit)).where(
                col(Score.position_id) == position.id
            )
        )
        .all()
    )
    fit = _descending_ranks(np.array([_number(row[1]) for row in rows], float))
    npv = _descending_ranks(np.array([_number(row[2]) for row in rows], float))
    mix = w * fit + (1.0 - w) * np.where(np.isnan(npv), fit, npv)  # SQL: coalesce(npv, fit)
    primary = npv if mode == "npv" else mix
    # rank() OVER (ORDER BY primary NULLS LAST, fit rank NULLS LAST): 1 + how many sort
    # strictly before; rows without a fit score have no rank.
    primary, secondary = np.nan_to_num(primary, nan=np.inf), np.nan_to_num(fit, nan=np.inf)
    order = np.lexsort((secondary, primary))
    p, q = primary[order], secondary[order]
    new = np.ones(len(order), bool)
    new[1:] = (p[1:] != p[:-1]) | (q[1:] != q[:-1])
    ranks = np.empty(len(order), int)
    ranks[order] = np.maximum.accumulate(np.where(new, np.arange(1, len(order) + 1), 0))
    ranked = {row[0]: int(r) for row, r, f in zip(rows, ranks, fit, strict=True) if f == f}
    # Partial fits after every complete one, by their value (no NPV: it needs a full fit).
    partial = _descending_ranks(np.array(
        [np.nan if row[1] is not None else _number(row[3]) for row in rows], float))
    ranked.update({row[0]: len(ranked) + int(r) for row, r in zip(rows, partial, strict=True)
                   if r == r})
    return ranked


def _order(sort: str, *, fit_ranking: bool) -> list[Any]:
    """ORDER BY of a sort on the position's columns; empty when only the ranks tell."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "rank":
        if not fit_ranking:
            return []
        # By fit mode's rank, ascending = best fit first; ties and no fit score as the rank.
        column: Any = col(Score.fit_score)
        descending = not descending
    else:
        column = {
            "fit": col(Score.fit_score),
            "npv": col(Score.expected_npv),
            "name": func.lower(Candidate.full_name),
            "created": col(Candidate.created_at),
        }[name]
    first = column.desc() if descending else column.asc()
    if name in ("rank", "fit"):  # partial fits after the complete ones, in the same direction
        partial = col(Score.partial_fit)
        second = partial.desc() if descending else partial.asc()
        return [first.nulls_last(), second.nulls_last(), col(Candidate.id).asc()]
    return [first.nulls_last(), col(Candidate.id).asc()]


def _bound(
    session: Session, *, position: Position, filters: PipelineFilters, fit_ranking: bool
) -> list[Any]:
    """Conditions that leave the page as it is but spare sorting the whole position.

    Unfiltered and sorted by a score column (nulls last), the rows up to the page's end all
    score at least as well as the (offset + limit)-th best score row: that value is read from
    the position's index on the column, and only the rows as good are sorted."""
    name = filters.sort.lstrip("-")
    descending = filters.sort.startswith("-")
    if name == "rank" and fit_ranking:
        name, descending = "fit", not descending
    columns = {"fit": col(Score.fit_score), "npv": col(Score.expected_npv)}
    if name not in columns:
        return []
    column = columns[name]
    last = session.exec(
        select(column)
        .where(col(Score.position_id) == position.id, column.is_not(None))
        .order_by(column.desc() if descending else column.asc())
        .offset(filters.offset + filters.limit - 1)
        .limit(1)
    ).first()
    if last is None:  # the page reaches the rows without a value: nothing to leave out
        return []
    return [Score.position_id == position.id, column >= last if descending else column <= last]


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(filters: PipelineFilters, now: datetime) -> list[Any]:
    conditions = []
    if filters.status:
        conditions.append(_status_in(filters.status, now))
    if filters.band:
        conditions.append(col(Score.band).in_(filters.band))
    if filters.stage:
        conditions.append(col(Candidate.stage).in_(filters.stage))
    if filters.knockouts_passed is not None:
        conditions.append(Score.knockouts_passed == filters.knockouts_passed)
    if filters.requirements_passed is not None:
        conditions.append(Score.requirements_passed == filters.requirements_passed)
    if filters.flagged is not None:
        flags = func.coalesce(Score.flags_count, 0)
        conditions.append(flags > 0 if filters.flagged else flags == 0)
    if filters.q and filters.q.strip():
        pattern = _like(filters.q.strip())
        conditions.append(
            or_(
                func.lower(Candidate.full_name).like(pattern, escape="\\"),
                func.lower(Candidate.email).like(pattern, escape="\\"),
            )
        )
    return conditions


#: A pipeline row's columns (``rank`` and ``latest_decision`` are added to them).
COLUMNS = (
    "id",
    "full_name",
    "email",
    "status",
    "stage",
    "is_demo",
    "created_at",
    "fit_score",
    "fit_unit",
    "band",
    "cefr",
    "knockouts_passed",
    "requirements_passed",
    "partial_fit",
    "fit_coverage",
    "flags_count",
    "composite_z",
    "expected_npv",
    "costed_option",
)


def _page(
    session: Session,
    *,
    position: Position,
    filters: PipelineFilters,
    now: datetime,
    ranks: dict[int, int] | None,
) -> tuple[int, list[tuple[int, int | None]]]:
    """How many candidates match, and the page's (candidate id, score id) in order;
    ``ranks`` (by score id) for the npv and mix rankings, ``None`` for the fit ranking."""
    where = _where(filters, now)
    keys = _in_position(sql_select(col(Candidate.id), col(Score.id)), position).where(*where)
    order = _order(filters.sort, fit_ranking=ranks is None)
    if ranks is not None and not order:  # the npv and mix rankings have no column: sort here
        matching = [(c, s) for c, s in session.exec(keys)]
        reverse = filters.sort.startswith("-")

        def key(row: tuple[int, int | None]) -> tuple[bool, int, int]:
            rank = None if row[1] is None else ranks.get(row[1])
            return (rank is None, 0 if rank is None else (-rank if reverse else rank), row[0])

        matching.sort(key=key)
        return len(matching), matching[filters.offset : filters.offset + filters.limit]
    total = session.exec(
        _in_position(sql_select(func.count()), position).where(*where)
    ).scalar_one()
    if not where:
        keys = keys.where(
            *_bound(session, position=position, filters=filters, fit_ranking=ranks is None)
        )
    page = session.exec(keys.order_by(*order).limit(filters.limit).offset(filters.offset))
    return int(total), [(c, s) for c, s in page]


def list_candidates(
    session: Session, *, position: Position, filters: PipelineFilters, now: datetime | None = None
) -> dict[str, Any]:
    """One page of a position's pipeline: filtered, sorted and paged in SQL."""
    # The page's keys first (only the columns the filters and the sort need, over every
    # candidate), then the page's own rows and their ranks: sorting the whole position with
    # every column it shows, and ranking it with window functions, took most of the time at
    # 10,000 candidates.
    check_filters(filters)
    now = now or utcnow()
    mode, _w = _mode(position)
    ranks = _position_ranks(session, position) if mode in ("npv", "mix") else None
    total, keys = _page(session, position=position, filters=filters, now=now, ranks=ranks)
    rows = {}
    if keys:
        candidate_ids = sorted({c for c, _s in keys})
        for row in session.exec(
            _in_position(
                sql_select(
                    *(getattr(Candidate, name) for name in COLUMNS[:3]),
                    candidate_service.status_expression(now).label("status"),
                    col(Candidate.stage),
                    col(Candidate.is_demo),
                    col(Candidate.created_at),
                    *(getattr(Score, name) for name in COLUMNS[7:]),
                    col(Score.id).label("score_id"),
                    col(Score.composite).label("composite"),
                ),
                position,
            ).where(col(Candidate.id).in_(candidate_ids))
        ):
            rows[row.id, row.score_id] = row
    fit_ranks = (
        _fit_ranks(session, position, list({r.fit_score for r in rows.values()} - {None}))
        if ranks is None
        else {}
    )
    partial_ranks = (
        _partial_ranks(session, position, list(
            {r.partial_fit for r in rows.values() if r.fit_score is None} - {None}))
        if ranks is None
        else {}
    )
    latest = decision_service.latest(session, candidate_ids=[c for c, _s in keys])
    items = []
    for key in keys:
        row = rows[key]
        item = dict(zip(COLUMNS, row, strict=False))
        if ranks is not None:
            item["rank"] = ranks.get(row.score_id)
        elif row.fit_score is not None:
            item["rank"] = fit_ranks[row.fit_score]
        else:
            item["rank"] = partial_ranks.get(row.partial_fit)
        item["requirements_missed"] = [
            r for r in score_service.requirements(row.composite or {}) if r["passed"] is False
        ]
        decision = latest.get(row.id)
        item["latest_decision"] = decision and {
            "decision": decision["decision"],
            "user_name": decision["user_name"],
            "created_at": decision["created_at"],
        }
        items.append(item)
    return {"total": total, "limit": filters.limit, "offset": filters.offset,
            "ranking": ranking(position), "items": items}


def stage_counts(session: Session, *, position: Position) -> dict[str, int]:
    """How many of the position's candidates are at each stage (every stage listed)."""
    counts = dict.fromkeys(STAGES, 0)
    for stage, count in session.exec(
        select(Candidate.stage, func.count())
        .where(col(Candidate.position_id) == position.id)
        .group_by(col(Candidate.stage))
    ):
        counts[stage] = count
    return counts


def rank_of(session: Session, *, position: Position, score_id: int | None) -> dict[str, Any]:
    """One candidate's rank in the position (as the pipeline shows it) and how many rank."""
    ranked = session.connection().execute(
        sql_select(func.count()).where(
            col(Score.position_id) == position.id,
            or_(col(Score.fit_score).is_not(None), col(Score.partial_fit).is_not(None)),
        )
    ).scalar_one()
    rank = None
    score = None if score_id is None else session.get(Score, score_id)
    if score is not None:
        mode, _w = _mode(position)
        if mode in ("npv", "mix"):
            rank = _position_ranks(session, position).get(pk(score))
        elif score.fit_score is not None:
            rank = _fit_ranks(session, position, [score.fit_score])[score.fit_score]
        elif score.partial_fit is not None:
            rank = _partial_ranks(session, position, [score.partial_fit])[score.partial_fit]
    return {"rank": rank, "of": int(ranked), **ranking(position)}


def ranking(position: Position) -> dict[str, Any]:
    """How the position's ranks are made: its mode, the fit weight and the formula in words."""
    mode, w = _mode(position)
    formulas = {
        "fit": "rank by fit score, best first",
        "npv": "rank by expected value (expected NPV), best first; ties by fit score",
        "mix": f"{w:.0%} × fit rank + {1 - w:.0%} × expected-value rank, smallest first",
    }
    return {
        "mode": mode,
        "fit_weight": w,
        "formula": formulas[mode] + "; partial fits after complete ones",
    }


#: What a list leaves out when the organization hides rankings (scores stay on reports).
RANKING_FIELDS = ("rank", "fit_score", "fit_unit", "partial_fit", "fit_coverage", "band", "cefr",
                  "composite_z", "expected_npv", "costed_option")


def rankings_hidden(session: Session, position: Position) -> bool:
    """True when the position's organization has chosen to hide rankings (oversight)."""
    organization = organization_service.get(session, position.organization_id)
    return bool(organization and (organization.settings or {}).get("hide_rankings"))


def alphabetical(filters: PipelineFilters) -> PipelineFilters:
    """The same filters, sorted by name (the list view of an organization hiding rankings)."""
    return replace(filters, sort="-name" if filters.sort == "-name" else "name")


def without_rankings(page: dict[str, Any]) -> dict[str, Any]:
    """A pipeline page with its score fields emptied and marked as hidden."""
    for item in page["items"]:
        item.update(dict.fromkeys(RANKING_FIELDS))
    return {**page, "rankings_hidden": True}
