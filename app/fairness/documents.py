"""The deployer's documents (issue 17), generated from the live configuration and statistics:
instructions for use (AI Act Art. 13 content) and a DPIA draft (GDPR Art. 35).

This module gathers the facts; the templates ``fairness/instructions.html`` and
``fairness/dpia.html`` word them in Italian or English, as pages and as PDF.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.models import User
from app.candidates.models import Candidate, Decision
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import pk
from app.core.tenancy import owned_by
from app.explanations import service as explanation_service
from app.explanations.models import Contest
from app.fairness import selfid as selfid_service
from app.fairness import service as fairness_service
from app.norms import service as norm_service
from app.organizations.models import Organization
from app.positions.models import Position
from app.scores.models import Score
from scoring.competencies import COMPETENCIES
from scoring.composite import BAND_CUTS_PERCENT, BAND_CUTS_T

#: How far back the documents' impact summary looks.
IMPACT_WINDOW_DAYS = 365


def _count(session: Session, statement: Any) -> int:
    return int(session.exec(statement).one())


def _impact_summary(session: Session, organization: Organization) -> dict[str, Any]:
    since = utcnow() - timedelta(days=IMPACT_WINDOW_DAYS)
    asked = selfid_service.asked(organization.settings)
    people = fairness_service.population(session, organization_id=pk(organization), since=since)
    report = fairness_service.impact_report(
        people, attributes=[*asked, fairness_service.TEST_LANGUAGE])
    flags = []
    for attribute in report["attributes"]:
        for step, data in attribute["steps"].items():
            for group in data["groups"]:
                if group["four_fifths_flag"]:
                    flags.append({"attribute": attribute["attribute"], "step": step,
                                  "group": group["group"], "n": group["n"],
                                  "rate": group["rate"], "impact_ratio": group["impact_ratio"],
                                  "fisher_p": group["fisher_p"]})
    return {"n": report["n"], "since": since.date(), "flags": flags, "asked": asked,
            "min_cell": report["min_cell"]}


def facts(session: Session, *, organization_id: int) -> dict[str, Any]:
    """Everything the documents state about this organization, read now."""
    organization = session.get(Organization, organization_id)
    assert organization is not None  # the caller's own organization
    settings = organization.settings or {}
    positions = list(session.exec(select(Position).where(
        owned_by(Position, organization_id)).order_by(col(Position.id))))
    staff = dict(session.exec(
        select(User.role, func.count()).where(owned_by(User, organization_id),
                                              col(User.is_active).is_(True))
        .group_by(User.role)).all())
    reliability = []
    for version in norm_service.status(session, organization_id=organization_id):
        for scale in version["scales"]:
            reliability.append({"questionnaire": version["questionnaire_key"],
                                "version": version["questionnaire_version"], **scale})
    verdict = audit_service.verify(session, organization_id=organization_id)
    return {
        "organization": organization,
        "generated_at": utcnow(),
        "competencies": COMPETENCIES,
        "positions": positions,
        "staff": staff,
        "reliability": reliability,
        "norm_min_n": get_settings().norm_min_n,
        "bands_t": BAND_CUTS_T,
        "bands_percent": BAND_CUTS_PERCENT,
        "impact": _impact_summary(session, organization),
        "candidates": _count(session, select(func.count()).select_from(Candidate).where(
            owned_by(Candidate, organization_id))),
        "assessed": _count(session, select(func.count()).select_from(Score).where(
            owned_by(Score, organization_id))),
        "decisions": _count(session, select(func.count()).select_from(Decision).where(
            owned_by(Decision, organization_id))),
        "contests_open": _count(session, select(func.count()).select_from(Contest).where(
            owned_by(Contest, organization_id), Contest.status == "open")),
        "retention_months": organization.retention_months,
        "audit_retention_months": audit_service.retention_months(settings),
        "decision_floor_months": audit_service.DECISION_FLOOR_MONTHS,
        "hide_rankings": bool(settings.get("hide_rankings")),
        "asked": selfid_service.asked(settings),
        "contact": explanation_service.contact(session, organization),
        "audit": verdict,
    }
