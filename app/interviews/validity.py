"""The validity dashboard: how well the tests and interviews predicted the outcomes of the
people hired, on the organization's own data, and the weights those outcomes suggest.

Predictors per hire: each competency score (the z against the norm group when every hire has
one, else percent of maximum), the test composite z (as in the overall score), the interview
score and the overall z.
Outcomes: the manager's performance rating and quota attainment at 6 and 12 months, and
retention at 12 months (1 still employed, 0 left).

Each pair gives Pearson r with its Fisher-z 95 % interval (:func:`scoring.validity.pearson`);
with ``correct=True`` both r and its interval ends are corrected for range restriction
(Thorndike case II, :func:`scoring.validity.correct_range_restriction`) with
``u = SD of the predictor among every scored applicant / SD among the hires``. Below
``SMALL_N`` (30) hires a plain warning says the estimate is unstable.
"""

from __future__ import annotations

import math
from typing import Any, Literal, get_args

import numpy as np
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.candidates.models import Candidate
from app.core.tenancy import owned_by
from app.interviews import outcomes as outcome_service
from app.interviews import overall as overall_service
from app.interviews.models import Outcome
from app.positions.models import Position
from app.scores import service as score_service
from app.scores.models import Score
from scoring.errors import ScoringInputError
from scoring.validity import SMALL_N, correct_range_restriction, pearson, suggested_weights

#: The outcome measures a validity is estimated against.
OutcomeMeasure = Literal["performance_6", "performance_12", "quota_6", "quota_12", "retained_12"]
OUTCOMES: tuple[OutcomeMeasure, ...] = get_args(OutcomeMeasure)
DEFAULT_OUTCOME = "performance_6"


def _value(score: Score, key: str, basis: str) -> float:
    entry = (score.scales or {}).get(key) or {}
    value = entry.get(basis)
    return math.nan if value is None else float(value)


def _basis(scores: list[Score], key: str) -> str:
    return "z" if scores and all(((s.scales or {}).get(key) or {}).get("z") is not None
                                 for s in scores) else "percent"


def _outcome_values(rows: list[Outcome]) -> dict[str, float]:
    by = {r.months: r for r in rows}
    values = {}
    for months in (6, 12):
        row = by.get(months)
        values[f"performance_{months}"] = math.nan if row is None or row.performance is None \
            else float(row.performance)
        values[f"quota_{months}"] = math.nan if row is None or row.quota_attainment_pct is None \
            else float(row.quota_attainment_pct)
    twelve = by.get(12)
    values["retained_12"] = math.nan if twelve is None else float(twelve.still_employed)
    return values


def cohort(session: Session, *, position: Position) -> dict[str, Any]:
    """Predictors and outcomes of the position's hires, and every scored applicant's
    predictors (for the range-restriction ratio)."""
    scores = list(session.exec(select(Score).where(Score.position_id == position.id)))
    by_candidate = {s.candidate_id: s for s in scores}
    outcomes: dict[int, list[Outcome]] = {}
    for row in session.exec(select(Outcome).where(Outcome.position_id == position.id)):
        outcomes.setdefault(row.candidate_id, []).append(row)
    hires = [cid for cid in outcomes
             if outcome_service.hire_decision(session, candidate_id=cid) is not None]
    overview = overall_service.position_overview(session, position=position)
    weighted = [k for k, w in (position.weights or {}).items() if float(w or 0) > 0]
    keys = [k for k in weighted if any(k in (s.scales or {}) for s in scores)]
    bases = {k: _basis([by_candidate[c] for c in hires if c in by_candidate], k) for k in keys}

    def predictors(cid: int) -> dict[str, float]:
        score = by_candidate.get(cid)
        values = {k: math.nan if score is None else _value(score, k, bases[k]) for k in keys}
        picture = overall_service.candidate_overall(overview, cid)
        interview = picture["interview"]["score"] if picture["interview"] else None
        values["interview"] = math.nan if interview is None else float(interview)
        test_z = picture["test_z"]
        values["composite"] = math.nan if test_z is None else float(test_z)
        values["overall"] = math.nan if picture["overall_z"] is None else picture["overall_z"]
        return values

    applicants = [predictors(s.candidate_id) for s in scores]
    rows = [{"candidate_id": cid, **predictors(cid), **_outcome_values(outcomes[cid])}
            for cid in hires]
    return {"competencies": keys, "bases": bases, "rows": rows, "applicants": applicants,
            "predictors": [*keys, "composite", "interview", "overall"]}


def _sd(values: list[float]) -> float:
    data = np.array([v for v in values if not math.isnan(v)])
    return float(data.std(ddof=1)) if data.size >= 2 else math.nan


def dashboard(session: Session, *, position: Position, correct: bool = False) -> dict[str, Any]:
    """Every predictor × outcome correlation of the position's hires, with n and 95 % CI."""
    return {"position_id": position.id,
            **_table(cohort(session, position=position), correct=correct)}


def organization_dashboard(session: Session, *, organization_id: int,
                           correct: bool = False) -> dict[str, Any]:
    """The same table over every position of the organization: hires pooled. Competencies
    enter only when every position weights them (else their columns would mix hires who
    were and were not selected on them); the composite, interview and overall scores are
    standardized within each position, so they pool."""
    positions = list(session.exec(select(Position).where(
        owned_by(Position, organization_id)).order_by(col(Position.id))))
    tables = [cohort(session, position=p) for p in positions]
    parts = [(p, d) for p, d in zip(positions, tables, strict=True) if d["rows"]]
    shared = None
    for _p, d in parts:
        keys = [k for k in d["competencies"] if d["bases"][k] == "z"]
        shared = keys if shared is None else [k for k in shared if k in keys]
    keys = shared or []
    data = {
        "competencies": keys,
        "bases": dict.fromkeys(keys, "z"),
        "rows": [r for _p, d in parts for r in d["rows"]],
        "applicants": [a for _p, d in parts for a in d["applicants"]],
        "predictors": [*keys, "composite", "interview", "overall"],
    }
    return {"organization_id": organization_id,
            "positions": [{"id": p.id, "title": p.title, "n_hires": len(d["rows"])}
                          for p, d in parts],
            **_table(data, correct=correct)}


def _table(data: dict[str, Any], *, correct: bool) -> dict[str, Any]:
    table = []
    for predictor in data["predictors"]:
        u = math.nan
        if correct:
            sd_pool = _sd([a[predictor] for a in data["applicants"]])
            sd_hired = _sd([r[predictor] for r in data["rows"]])
            if sd_hired > 0 and not math.isnan(sd_pool):
                u = sd_pool / sd_hired
        for outcome in OUTCOMES:
            x = [r[predictor] for r in data["rows"]]
            y = [r[outcome] for r in data["rows"]]
            entry: dict[str, Any] = {"predictor": predictor, "outcome": outcome, "r": None,
                                     "ci95": None, "n": 0, "small_n": True, "corrected": None}
            try:
                result = pearson(x, y)
            except ScoringInputError:
                entry["n"] = sum(1 for a, b in zip(x, y, strict=True)
                                 if not (math.isnan(a) or math.isnan(b)))
                table.append(entry)
                continue
            entry.update(r=result.r, ci95=[result.low, result.high], n=result.n,
                         small_n=result.n < SMALL_N)
            if correct and not math.isnan(u) and u > 0:
                entry["corrected"] = {
                    "u": u, "r": float(correct_range_restriction(result.r, u)),
                    "ci95": [float(correct_range_restriction(result.low, u)),
                             float(correct_range_restriction(result.high, u))]}
            table.append(entry)
    return {"n_hires": len(data["rows"]),
            "small_n_threshold": SMALL_N, "predictors": data["predictors"],
            "competency_bases": data["bases"], "outcomes": list(OUTCOMES),
            "correlations": table, "corrected": correct}


def suggestion(session: Session, *, position: Position, outcome: str = DEFAULT_OUTCOME,
               n0: float | None = None) -> dict[str, Any]:
    """Weights the outcomes suggest for the position's competencies, shrunk toward the current
    ones (:func:`scoring.validity.suggested_weights`), and what would change in the pipeline."""
    data = cohort(session, position=position)
    keys = data["competencies"]
    current_raw = np.array([float(position.weights[k]) for k in keys]) if keys else np.array([])
    result: dict[str, Any] = {"position_id": position.id, "outcome": outcome, "competencies": keys,
                              "current": dict(zip(keys, (current_raw / current_raw.sum()).tolist()
                                                  if current_raw.size else [], strict=True)),
                              "suggestion": None, "problem": None, "pipeline": []}
    if not keys:
        result["problem"] = "the position weights no measured competency"
        return result
    x = [[r[k] for k in keys] for r in data["rows"]]
    y = [r[outcome] for r in data["rows"]]
    kwargs = {} if n0 is None else {"n0": n0}
    try:
        s = suggested_weights(np.array(x, dtype=float).reshape(len(x), len(keys)), y,
                              current_raw / current_raw.sum(), names=keys, **kwargs)
    except ScoringInputError as error:
        result["problem"] = str(error)
        return result
    result["suggestion"] = s.to_dict()
    result["pipeline"] = _pipeline_changes(session, position, keys, data["bases"],
                                           s.current, s.weights)
    return result


def _pipeline_changes(session: Session, position: Position, keys: list[str],
                      bases: dict[str, str], current: tuple[float, ...],
                      suggested: tuple[float, ...]) -> list[dict[str, Any]]:
    """Open candidates ranked by the weighted sum under both weight sets (scored, not yet
    decided), the biggest rank moves first."""
    rows = session.exec(
        select(Score, Candidate).join(Candidate, col(Candidate.id) == Score.candidate_id)
        .where(Score.position_id == position.id,
               col(Candidate.stage).in_(["assessment", "interview"]),
               col(Candidate.erased_at).is_(None))
    ).all()
    entries = []
    for score, candidate in rows:
        values = np.array([_value(score, k, bases[k]) for k in keys])
        if np.isnan(values).any():
            continue
        entries.append((candidate, float(values @ np.array(current)),
                        float(values @ np.array(suggested))))
    now = {c.id: i + 1 for i, (c, _, _) in enumerate(sorted(entries, key=lambda e: -e[1]))}
    then = {c.id: i + 1 for i, (c, _, _) in enumerate(sorted(entries, key=lambda e: -e[2]))}
    changes: list[dict[str, Any]] = [
        {"candidate_id": c.id, "full_name": c.full_name, "rank_now": now[c.id],
         "rank_suggested": then[c.id], "move": now[c.id] - then[c.id]}
        for c, _, _ in entries]
    return sorted(changes, key=lambda e: (-abs(e["move"]), e["rank_now"]))[:20]


def apply(session: Session, *, position: Position, found: dict[str, Any], reason: str,
          actor: User, ip: str | None) -> tuple[dict[str, float], dict[str, float]]:
    """Make a suggestion (from :func:`suggestion`) the position's weights: the suggested
    shares replace the measured competencies' weights within the share they had together
    (other weights stay); rescore the position and audit the change with ``reason``; return
    the weights before and after. The caller commits."""
    from app.positions import service as position_service
    from app.positions.schemas import PositionUpdate

    before = dict(position.weights or {})
    keys = found["competencies"]
    after = {k: float(w) for k, w in before.items() if k not in keys}
    share = sum(float(before[k]) for k in keys)
    after.update({k: round(w * share, 6) for k, w in found["suggestion"]["weights"].items()})
    after[keys[0]] = round(after[keys[0]] + 1.0 - sum(after.values()), 6)
    position_service.update(session, position=position, data=PositionUpdate(weights=after))
    score_service.rescore_position(session, position=position)
    audit.record(session, actor=actor, action="position.apply_suggested_weights",
                 object_type="position", object_id=position.id,
                 details={"before": before, "after": after, "reason": reason,
                          "outcome": found["outcome"], "n": found["suggestion"]["n"]},
                 ip=ip)
    return before, after
