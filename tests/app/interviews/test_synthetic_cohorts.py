"""Synthetic cohorts with known parameters, through the database path of the validity
dashboard and the suggested weights (the statistics themselves are checked in
tests/scoring/test_validity.py on many more cohorts).

Each cohort is written straight to the tables (candidates, attempts, scores, hire decisions,
outcomes) inside a savepoint that is rolled back afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text

from app.assessments.models import Attempt
from app.candidates.models import Candidate, Decision, Invitation
from app.core.clock import utcnow
from app.interviews import validity as validity_service
from app.interviews.models import Outcome
from app.positions.models import Position
from app.scores.models import Score

KEYS = ("analysis", "communication", "commercial_knowledge")
CURRENT = {"analysis": 0.4, "communication": 0.3, "commercial_knowledge": 0.3}


def _write(session: Any, position: Position, actor_id: int, z: np.ndarray,
           quota: np.ndarray) -> None:
    """One hire per row of ``z`` (competency z-scores) with a 6-month quota outcome."""
    now = utcnow()
    org = position.organization_id
    first = 1 + max(session.exec(select(func.max(m.id))).scalar_one() or 0
                    for m in (Candidate, Invitation, Attempt))
    ids = list(range(first, first + len(z)))
    session.exec(insert(Candidate.__table__), params=[
        {"id": c, "organization_id": org, "position_id": position.id, "full_name": f"S {c}",
         "email": f"s{c}@example.com", "language": "en", "extra_time_pct": 0,
         "status": "completed", "stage": "outcome", "is_demo": False, "created_at": now}
        for c in ids])
    session.exec(insert(Invitation.__table__), params=[
        {"id": c, "candidate_id": c, "token_hash": f"s{c:063d}", "expires_at": now,
         "created_at": now, "used_at": now} for c in ids])
    session.exec(insert(Attempt.__table__), params=[
        {"id": c, "organization_id": org, "candidate_id": c, "invitation_id": c,
         "status": "completed", "language": "en", "consent_at": now, "screening": {},
         "questionnaire_versions": {}, "order_seed": 1, "started_at": now, "integrity": {}}
        for c in ids])
    weights = np.array([CURRENT[k] for k in KEYS])
    composite = z @ weights / np.sqrt(weights @ weights)
    session.exec(insert(Score.__table__), params=[
        {"organization_id": org, "attempt_id": c, "candidate_id": c, "position_id": position.id,
         "questionnaire_versions": {}, "scoring_version": "test",
         "scales": {k: {"z": float(z[i, j]), "percent": 50 + 15 * float(z[i, j])}
                    for j, k in enumerate(KEYS)},
         "flags": [], "composite": {}, "fit_score": 50 + 10 * float(composite[i]),
         "fit_unit": "T", "composite_z": float(composite[i]), "flags_count": 0,
         "computed_at": now} for i, c in enumerate(ids)])
    session.exec(insert(Decision.__table__), params=[
        {"organization_id": org, "candidate_id": c, "user_id": actor_id, "decision": "hire",
         "note": "", "basis": {}, "created_at": now} for c in ids])
    session.exec(insert(Outcome.__table__), params=[
        {"organization_id": org, "position_id": position.id, "candidate_id": c, "months": 6,
         "performance_by_competency": {}, "quota_attainment_pct": float(quota[i]),
         "still_employed": True, "recorded_at": now} for i, c in enumerate(ids)])
    if session.get_bind().dialect.name == "postgresql":
        for table in ("candidate", "invitation", "attempt"):
            session.exec(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                              f" (SELECT max(id) FROM {table}))"))


def _position(session: Any, team: Any) -> Position:
    position = session.get(Position, team.position.id)
    position.weights = dict(CURRENT)
    session.add(position)
    session.flush()
    return position


def test_the_dashboards_95_percent_intervals_cover_the_true_validity(session, team):
    position = _position(session, team)
    rho, n, cohorts = 0.40, 40, 60
    rng = np.random.default_rng(1616)
    covered = 0
    for _ in range(cohorts):
        z = rng.standard_normal((n, len(KEYS)))
        weights = np.array([CURRENT[k] for k in KEYS])
        composite = z @ weights / np.sqrt(weights @ weights)
        quota = 100 + 20 * (rho * composite + np.sqrt(1 - rho**2) * rng.standard_normal(n))
        savepoint = session.begin_nested()
        _write(session, position, team.hr.id, z, quota)
        board = validity_service.dashboard(session, position=position)
        cell = next(c for c in board["correlations"]
                    if c["predictor"] == "composite" and c["outcome"] == "quota_6")
        assert cell["n"] == n and cell["small_n"] is False
        covered += cell["ci95"][0] <= rho <= cell["ci95"][1]
        savepoint.rollback()
    # 60 cohorts: 95 % coverage gives 57 on average; 52 or fewer has probability < 1 %.
    assert covered >= 53, covered


def _suggested(session: Any, position: Position, actor_id: int, n: int,
               rng: np.random.Generator, truth: np.ndarray) -> np.ndarray:
    z = rng.standard_normal((n, len(KEYS)))
    quota = 100 + 20 * (z @ truth) + 10 * rng.standard_normal(n)
    savepoint = session.begin_nested()
    _write(session, position, actor_id, z, quota)
    found = validity_service.suggestion(session, position=position, outcome="quota_6")
    savepoint.rollback()
    assert found["problem"] is None, found["problem"]
    return np.array([found["suggestion"]["weights"][k] for k in KEYS])


def test_suggested_weights_stay_near_current_for_few_hires_and_reach_the_truth_for_many(
    session, team
):
    position = _position(session, team)
    truth = np.array([0.1, 0.2, 0.7])
    current = np.array([CURRENT[k] for k in KEYS])
    rng = np.random.default_rng(1617)
    few = [_suggested(session, position, team.hr.id, 15, rng, truth) for _ in range(5)]
    many = _suggested(session, position, team.hr.id, 3000, rng, truth)
    for weights in few:
        # λ = 15 / 115: at most 13 % of the way to any regression weights (L1 ≤ 2λ)...
        assert np.abs(weights - current).sum() <= 2 * 15 / 115 + 1e-9
        # ...so still nearer the current weights than the true ones (0.8 apart).
        assert np.abs(weights - current).sum() < np.abs(weights - truth).sum()
    assert np.abs(many - truth).sum() < 0.12  # λ = 0.97
    assert np.abs(many - truth).sum() < np.mean([np.abs(w - truth).sum() for w in few])
