"""Inter-rater reliability of a position's interviews: ICC(1) and ICC(1,k) (one-way random
effects, :func:`scoring.icc_oneway`), on each interviewer's weighted interview score and on
each competency, with n, a 95 % interval and plain warnings.

Warnings: fewer than ``FEW_CANDIDATES`` interviewed candidates with two or more ratings (the
estimate is unstable), and ICC(1,k) below ``LOW_ICC`` (the panel's mean rating is less reliable
than the usual bar for a score used in decisions, the same 0.70 as Cronbach's α).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlmodel import Session

from app.fairness.stats import icc_interval
from app.interviews import service as interview_service
from app.interviews.models import InterviewAssignment
from app.positions.models import Position
from scoring import icc_oneway
from scoring.errors import ScoringInputError

LOW_ICC = 0.70
FEW_CANDIDATES = 10


def _matrix(groups: list[list[float]]) -> np.ndarray:
    width = max((len(g) for g in groups), default=0)
    matrix = np.full((len(groups), width), np.nan)
    for i, values in enumerate(groups):
        matrix[i, : len(values)] = values
    return matrix


def _icc(groups: list[list[float]]) -> dict[str, Any]:
    rated = [g for g in groups if g]
    multi = sum(1 for g in rated if len(g) >= 2)
    result: dict[str, Any] = {"n_candidates": len(rated), "n_with_two_or_more": multi,
                              "n_ratings": sum(len(g) for g in rated), "icc1": None,
                              "icc1k": None, "k": None, "ci95": None, "warnings": []}
    if multi < 2:
        result["warnings"].append("too_few")
        return result
    try:
        icc = icc_oneway(_matrix(rated))
    except ScoringInputError:
        result["warnings"].append("too_few")
        return result
    result.update(icc1=icc.icc1, icc1k=icc.icc1k, k=icc.k)
    if not math.isinf(icc.f) and icc.ms_within > 0:
        interval = icc_interval(icc)
        result["ci95"] = {"icc1": list(interval.icc1), "icc1k": list(interval.icc1k)}
    if multi < FEW_CANDIDATES:
        result["warnings"].append("few")
    if icc.icc1k < LOW_ICC:
        result["warnings"].append("low")
    return result


def position_reliability(session: Session, *, position: Position) -> dict[str, Any]:
    """ICC(1) and ICC(1,k) of the position's submitted ratings: overall and per competency."""
    by_candidate: dict[int, list[InterviewAssignment]] = {}
    for row in interview_service.position_ratings(session, position=position):
        by_candidate.setdefault(row.candidate_id, []).append(row)
    overall = [
        [s for r in rows if (s := interview_service.rater_score(position, r.ratings)) is not None]
        for rows in by_candidate.values()
    ]
    competencies = {
        key: _icc([[float(r.ratings[key]) for r in rows if key in r.ratings]
                   for rows in by_candidate.values()])
        for key in interview_service.rated_competencies(position)
    }
    return {"position_id": position.id, "overall": _icc(overall), "competencies": competencies,
            "low_threshold": LOW_ICC, "few_threshold": FEW_CANDIDATES}
