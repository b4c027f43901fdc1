"""One overall picture: the standardized test composite and the interview composite combined
with the position's weights, and the validity of the combination.

Formulas (shown on the pages)::

    z_test      = the candidate's composite z against the norm group (the fit score's z);
                  before norms, the fit score standardized over the position's candidates
    z_interview = (interview score − mean) / SD over the position's interviewed candidates
                  (until MIN_POOL of them are interviewed: (score − 3) / 1, the scale's middle
                  and a typical spread of interview ratings)
    r12         = the observed correlation of z_test and the interview score over candidates
                  with both (until MIN_R12 of them: ASSUMED_R12, labelled as assumed)
    z_overall   = (w_t z_test + w_i z_interview) / √(w_t² + w_i² + 2 w_t w_i r12)
    overall T   = 50 + 10 z_overall
    r_combined  = (w_t r_t + w_i r_i) / √(w_t² + w_i² + 2 w_t w_i r12)

Dividing by the composite's SD keeps the overall score a z-score (SD 1) whatever the weights
and r12. ``r_t`` is the battery's validity used by the utility model (0.45) and ``r_i`` that
of structured interviews (0.42, Sackett et al. 2022) until the organization's own outcomes
give better numbers (the validity dashboard).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.core.db import pk
from app.core.errors import N_, field_problem
from app.interviews import service as interview_service
from app.interviews.models import OverallWeights
from app.positions.models import Position
from app.scores.models import Score
from scoring.errors import ScoringInputError
from scoring.utility import R_XY, SD_P, expected_productivity
from scoring.validity import composite_validity

R_INTERVIEW = 0.42
ASSUMED_R12 = 0.30
MIN_POOL = 3
MIN_R12 = 10
SCALE_MIDDLE, SCALE_SD = 3.0, 1.0


def weights(session: Session, *, position: Position) -> dict[str, float]:
    """The position's weights of test and interview (equal unless set)."""
    row = session.get(OverallWeights, position.id)
    if row is None:
        return {"test": 0.5, "interview": 0.5, "default": True}
    return {"test": row.test_weight, "interview": row.interview_weight, "default": False}


def set_weights(session: Session, *, position: Position, test: float, interview: float,
                actor: User, ip: str | None) -> dict[str, float]:
    """Store the position's weights (non-negative, summing to 1); audited."""
    for name, value in (("test", test), ("interview", interview)):
        if not (0 <= value <= 1) or math.isnan(value):
            raise field_problem(name, N_("must lie in [0, 1]"))
    if not math.isclose(test + interview, 1.0, abs_tol=1e-6):
        raise field_problem("interview", N_("test and interview weights must sum to 1"))
    row = session.get(OverallWeights, position.id) or OverallWeights(
        position_id=pk(position), organization_id=position.organization_id)
    row.test_weight, row.interview_weight = test, interview
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="position.overall_weights", object_type="position",
                 object_id=position.id, details={"test": test, "interview": interview}, ip=ip)
    return weights(session, position=position)


def _test_z(session: Session, position: Position) -> tuple[dict[int, float], str]:
    """Each scored candidate's test composite z: against the norm group when every fit has
    one, else the fit score standardized over the position's scored candidates."""
    rows = session.exec(
        select(Score.candidate_id, Score.composite_z, Score.fit_score).where(
            Score.position_id == position.id, col(Score.fit_score).is_not(None))
    ).all()
    if rows and all(z is not None for _c, z, _f in rows):
        return {c: float(z) for c, z, _f in rows if z is not None}, "norms"
    fits = np.array([f for _c, _z, f in rows], dtype=float)
    if fits.size < 2 or fits.std(ddof=1) == 0:
        return {}, "none"
    mean, sd = fits.mean(), fits.std(ddof=1)
    return {c: float((f - mean) / sd) for c, _z, f in rows}, "position"


def position_overview(session: Session, *, position: Position) -> dict[str, Any]:
    """Everything the overall scores of a position share: weights, pool, r12, validity."""
    scores = interview_service.interview_scores(session, position=position)
    tests, test_basis = _test_z(session, position)
    pool = [s["score"] for s in scores.values() if s["score"] is not None]
    if len(pool) >= MIN_POOL and np.std(pool, ddof=1) > 0:
        mean, sd, basis = float(np.mean(pool)), float(np.std(pool, ddof=1)), "pool"
    else:
        mean, sd, basis = SCALE_MIDDLE, SCALE_SD, "scale"
    both = [(tests[c], s["score"]) for c, s in scores.items()
            if c in tests and s["score"] is not None]
    r12, r12_basis = ASSUMED_R12, "assumed"
    if len(both) >= MIN_R12:
        x, y = np.array(both).T
        if x.std() > 0 and y.std() > 0:
            r12, r12_basis = float(np.corrcoef(x, y)[0, 1]), "observed"
    w = weights(session, position=position)
    try:
        validity: float | None = composite_validity(
            [w["test"], w["interview"]], [R_XY, R_INTERVIEW], r12)
    except ScoringInputError:  # equal weights on parts that correlate −1: no composite
        validity = None
    return {
        "weights": w, "test_basis": test_basis, "interview_mean": mean, "interview_sd": sd,
        "interview_basis": basis,
        "n_interviewed": len(pool), "r12": r12, "r12_basis": r12_basis, "n_r12": len(both),
        "validity_test": R_XY, "validity_interview": R_INTERVIEW, "validity_combined": validity,
        "_scores": scores, "_tests": tests,
    }


def candidate_overall(overview: dict[str, Any], candidate_id: int) -> dict[str, Any]:
    """A candidate's interview score, its z, the test z and the overall score."""
    summary = overview["_scores"].get(candidate_id)
    test_z = overview["_tests"].get(candidate_id)
    score = summary["score"] if summary else None
    interview_z = None if score is None else (score - overview["interview_mean"]) / overview[
        "interview_sd"]
    interview_se_z = None if not summary or summary["se"] is None else summary["se"] / overview[
        "interview_sd"]
    w = overview["weights"]
    overall_z = None
    if test_z is not None and interview_z is not None:
        spread = math.sqrt(max(0.0, w["test"] ** 2 + w["interview"] ** 2
                               + 2 * w["test"] * w["interview"] * overview["r12"]))
        if spread > 0:
            overall_z = (w["test"] * test_z + w["interview"] * interview_z) / spread
    validity = overview["validity_combined"]
    return {
        "interview": summary,
        "interview_z": interview_z,
        "interview_se_z": interview_se_z,
        "test_z": test_z,
        "overall_z": overall_z,
        "overall_t": None if overall_z is None else 50 + 10 * overall_z,
        "missing": [name for name, v in (("test", test_z), ("interview", interview_z))
                    if v is None],
        "expected_productivity": None if overall_z is None or validity is None
        else float(expected_productivity(overall_z, r_xy=validity, sd_p=SD_P)),
    }


def public_overview(overview: dict[str, Any]) -> dict[str, Any]:
    """The overview without its private lookup tables."""
    return {k: v for k, v in overview.items() if not k.startswith("_")}


def decision_snapshot(session: Session, *, position: Position, candidate_id: int
                      ) -> dict[str, Any] | None:
    """What the interview said when a decision is recorded (kept with the decision, like the
    test score): interview score, its SE and k, the overall T and the weights; None before
    any rating is submitted."""
    picture = candidate_overall(position_overview(session, position=position), candidate_id)
    interview = picture["interview"]
    if not interview or interview["score"] is None:
        return None
    w = weights(session, position=position)
    return {"score": interview["score"], "se": interview["se"], "k": interview["k"],
            "overall_t": picture["overall_t"],
            "weights": {"test": w["test"], "interview": w["interview"]}}


def with_interview(session: Session, *, basis: dict[str, Any] | None, position: Position,
                   candidate_id: int) -> dict[str, Any] | None:
    """A decision's basis (the stored score) with what the interview said added to it."""
    if basis is not None:
        basis["interview"] = decision_snapshot(session, position=position,
                                               candidate_id=candidate_id)
    return basis
