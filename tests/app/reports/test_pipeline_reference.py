"""The pipeline's queries against a plain reference: one SQL statement that ranks every
candidate with window functions, then filters, sorts and pages (the first implementation).

The service pages first and ranks only the page's rows; on data full of ties, missing
scores, missing NPVs and every status, both must give the same totals, rows and ranks for
every ranking mode, sort and filter.
"""

import random
from datetime import timedelta

import pytest
from sqlalchemy import and_, case, exists, func, literal, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import col

from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.reports import pipeline
from app.reports.schemas import SORTS, PipelineFilters
from app.scores.models import Score
from tests.app.reports.scenario import bulk_scored


def _reference_rows(position, now):
    open_invitation = exists().where(
        Invitation.candidate_id == Candidate.id,
        col(Invitation.revoked_at).is_(None),
        Invitation.expires_at > now,
    )
    status = case(
        (and_(Candidate.status == "invited", ~open_invitation), literal("expired")),
        else_=Candidate.status,
    )
    base = (
        sql_select(
            col(Candidate.id).label("id"), Candidate.full_name, Candidate.email,
            status.label("status"), Candidate.created_at, Score.fit_score, Score.band,
            Score.knockouts_passed, Score.flags_count, Score.expected_npv,
            case((col(Score.fit_score).is_(None), None),
                 else_=func.rank().over(order_by=col(Score.fit_score).desc().nulls_last()),
                 ).label("fit_rank"),
            case((col(Score.expected_npv).is_(None), None),
                 else_=func.rank().over(order_by=col(Score.expected_npv).desc().nulls_last()),
                 ).label("npv_rank"),
        )
        .select_from(Candidate)
        .outerjoin(Score, col(Score.candidate_id) == Candidate.id)
        .where(Candidate.position_id == position.id,
               Candidate.organization_id == position.organization_id)
        .subquery("base")
    )
    ranking = position.ranking or {}
    mode = ranking.get("mode", "fit")
    if mode == "npv":
        key = base.c.npv_rank
    elif mode == "mix":
        w = float(ranking.get("fit_weight", 0.5))
        key = w * base.c.fit_rank + (1.0 - w) * func.coalesce(base.c.npv_rank, base.c.fit_rank)
    else:
        key = base.c.fit_rank
    rank = case(
        (base.c.fit_rank.is_(None), None),
        # Ties on the key by fit rank, candidates without one last on every database.
        else_=func.rank().over(order_by=(key.asc().nulls_last(),
                                         base.c.fit_rank.asc().nulls_last())),
    )
    return sql_select(base, rank.label("rank")).subquery("ranked")


def _reference(session, position, filters, now):
    ranked = _reference_rows(position, now)
    conditions = []
    if filters.status:
        conditions.append(ranked.c.status.in_(filters.status))
    if filters.band:
        conditions.append(ranked.c.band.in_(filters.band))
    if filters.knockouts_passed is not None:
        conditions.append(ranked.c.knockouts_passed == filters.knockouts_passed)
    if filters.flagged is not None:
        flags = func.coalesce(ranked.c.flags_count, 0)
        conditions.append(flags > 0 if filters.flagged else flags == 0)
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        conditions.append(or_(func.lower(ranked.c.full_name).like(pattern),
                              func.lower(ranked.c.email).like(pattern)))
    column = {"rank": ranked.c.rank, "fit": ranked.c.fit_score, "npv": ranked.c.expected_npv,
              "name": func.lower(ranked.c.full_name),
              "created": ranked.c.created_at}[filters.sort.lstrip("-")]
    first = column.desc() if filters.sort.startswith("-") else column.asc()
    total = session.exec(sql_select(func.count()).select_from(ranked).where(*conditions)
                         ).scalar_one()
    rows = session.exec(sql_select(ranked.c.id, ranked.c.status, ranked.c.rank)
                        .where(*conditions).order_by(first.nulls_last(), ranked.c.id.asc())
                        .limit(filters.limit).offset(filters.offset)).all()
    return total, [tuple(row) for row in rows]


@pytest.fixture
def crowded(session, team):
    """300 candidates: fit scores and NPVs with many ties, some missing, every status."""
    bulk_scored(session, position=team.position, n=300, seed=3)
    rng = random.Random(7)
    scores = session.exec(sql_select(Score.id).where(Score.position_id == team.position.id))
    for (score_id,) in scores.all():
        fit = None if rng.random() < 0.1 else float(rng.choice(range(40, 60)))
        npv = None if fit is None or rng.random() < 0.2 else rng.choice(range(5)) * 50_000.0
        session.exec(update(Score).where(col(Score.id) == score_id)
                     .values(fit_score=fit, expected_npv=npv))
    invited = session.exec(sql_select(Candidate.id).where(
        Candidate.position_id == team.position.id, Candidate.status == "invited")).scalars()
    for candidate_id in list(invited)[::3]:
        session.exec(update(Invitation).where(col(Invitation.candidate_id) == candidate_id)
                     .values(expires_at=utcnow() - timedelta(days=1)))
    session.flush()
    return team.position


@pytest.mark.parametrize("ranking", [{"mode": "fit"}, {"mode": "npv"},
                                     {"mode": "mix", "fit_weight": 0.3}])
def test_every_sort_filter_and_ranking_matches_the_reference(session, crowded, ranking):
    crowded.ranking = {"fit_weight": 0.5, **ranking}
    session.add(crowded)
    session.flush()
    now = utcnow()
    cases = [PipelineFilters(sort=sort, limit=limit, offset=offset)
             for sort in SORTS for limit, offset in ((50, 0), (40, 100), (50, 290))]
    cases += [
        PipelineFilters(status=("invited", "expired")),
        PipelineFilters(status=("completed",), sort="-rank", limit=30, offset=30),
        PipelineFilters(band=("A", "B"), knockouts_passed=True, flagged=False, sort="name"),
        PipelineFilters(flagged=True, sort="-npv"),
        PipelineFilters(q="bulk 3-1", sort="rank", limit=20, offset=20),
        PipelineFilters(q="nobody"),
    ]
    for filters in cases:
        page = pipeline.list_candidates(session, position=crowded, filters=filters, now=now)
        got = (page["total"], [(i["id"], i["status"], i["rank"]) for i in page["items"]])
        assert got == _reference(session, crowded, filters, now), filters
