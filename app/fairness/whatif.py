"""What-if: the impact report and the expected value of a proposed change of a position's
rules (weights, minimums, knock-outs, language hurdle), before it is saved (issue 17).

The change is applied and every completed candidate of the position is rescored inside a
SAVEPOINT that is rolled back: the same code that would score them after saving, so the
preview cannot drift from what saving would do, and nothing is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlmodel import Session, select

from app.fairness import selfid as selfid_service
from app.fairness import service as fairness_service
from app.organizations.models import Organization
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.schemas import PositionUpdate
from app.scores import service as score_service
from app.scores.models import Score
from scoring import composite_validity
from scoring.competencies import META_ANALYTIC_VALIDITY
from scoring.errors import ScoringInputError

#: The rules a what-if may change.
RULES = ("weights", "minimums", "knockouts", "language_hurdle")


def _value(session: Session, position: Position) -> dict[str, Any]:
    """Band A/B as the step that selects: how many, their mean composite z and expected NPV."""
    rows = session.exec(select(Score.band, Score.composite_z, Score.expected_npv).where(
        Score.position_id == position.id)).all()
    chosen = [(z, npv) for band, z, npv in rows if band in ("A", "B")]
    zs = [z for z, _ in chosen if z is not None]
    npvs = [npv for _, npv in chosen if npv is not None]
    return {"assessed": len(rows), "selected": len(chosen),
            "mean_z": sum(zs) / len(zs) if zs else None,
            "mean_npv": sum(npvs) / len(npvs) if npvs else None,
            "total_npv": sum(npvs) if npvs else None}


def estimated_validity(session: Session, position: Position) -> dict[str, Any] | None:
    """The battery's validity for the position's weights, estimated as ``w·ρ / √(wᵀ R w)``
    (``scoring.composite_validity``) with meta-analytic validities ρ per competency and the
    intercorrelations R of the organization's own norm group; None without a group."""
    norms = score_service.current_composite_norms(session, position=position)
    norm = norms.get("z") if norms.get("z") is not None and norms["z"].n >= 2 else (
        norms.get("percent"))
    if norm is None or norm.n < 2:
        return None
    sd = np.sqrt(np.diag(norm.cov))
    if not np.all(sd > 0):
        return None
    correlation = norm.cov / np.outer(sd, sd)
    weights = [float((position.weights or {}).get(c, 0.0)) for c in norm.competencies]
    rho = [META_ANALYTIC_VALIDITY.get(c, 0.0) for c in norm.competencies]
    try:
        value = composite_validity(weights, rho, correlation)
    except ScoringInputError:
        return None
    return {"value": value, "n": norm.n, "basis": norm.basis}


def _report(session: Session, position: Position, asked: list[str]) -> dict[str, Any]:
    people = fairness_service.population(session, organization_id=position.organization_id,
                                         position_id=position.id)
    return fairness_service.impact_report(
        people, attributes=[*asked, fairness_service.TEST_LANGUAGE])


def compare(session: Session, *, position: Position, proposed: PositionUpdate) -> dict[str, Any]:
    """Impact and value now and under ``proposed`` (only its rule fields are used)."""
    organization = session.get(Organization, position.organization_id)
    asked = selfid_service.asked(organization.settings if organization else None)
    change = PositionUpdate.model_validate(
        proposed.model_dump(include=set(RULES), exclude_unset=True))
    before: dict[str, Any] = {
        "impact": _report(session, position, asked), "value": _value(session, position),
        "validity": estimated_validity(session, position)}
    before_rules = position_service.rule_snapshot(position)
    savepoint = session.begin_nested()
    try:
        position_service.update(session, position=position, data=change)
        score_service.rescore_position(session, position=position)
        session.flush()
        after: dict[str, Any] = {"impact": _report(session, position, asked),
                 "value": _value(session, position),
                 "validity": estimated_validity(session, position),
                 "rules": position_service.rule_changes(before_rules, position)}
    finally:
        savepoint.rollback()
    session.expire_all()
    return {"position_id": position.id, "before": before, "after": after,
            "changes": after.pop("rules"), "rows": side_by_side(before["impact"],
                                                                  after["impact"])}


def side_by_side(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per attribute, step and shown group: rate, ratio and flag now and proposed."""
    rows = []
    index = {(a["attribute"], step, g["group"]): g
             for a in after["attributes"] for step, d in a["steps"].items() for g in d["groups"]}
    for attribute in before["attributes"]:
        for step, data in attribute["steps"].items():
            if step in ("advanced", "hired"):  # decisions people made: a rule change keeps them
                continue
            for group in data["groups"]:
                new = index.get((attribute["attribute"], step, group["group"]), {})
                rows.append({
                    "attribute": attribute["attribute"], "step": step, "group": group["group"],
                    "n": group["n"],
                    "rate_before": group["rate"], "rate_after": new.get("rate"),
                    "ratio_before": group["impact_ratio"], "ratio_after": new.get("impact_ratio"),
                    "flag_before": group["four_fifths_flag"],
                    "flag_after": new.get("four_fifths_flag"),
                })
    return rows


