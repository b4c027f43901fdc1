"""What became of the people hired: outcomes at 6 and 12 months, and reminders to record them.

An outcome belongs to a candidate whose latest decision is ``hire``; its follow-up is due
``months`` after that decision. Reminders go through the outbox (one per hire and follow-up,
to the person who recorded the hire, else the organization's admins).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.candidates.models import Candidate, Decision
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import N_, Conflict
from app.core.tenancy import owned_by
from app.interviews.models import Outcome, OutcomeReminder
from app.interviews.service import field_error, rated_competencies
from app.outbox import service as outbox
from app.positions import service as position_service
from app.positions.models import Position
from app.positions.schemas import PositionUpdate
from app.scores import service as score_service
from app.scores.models import Score

FOLLOW_UPS = (6, 12)
DAYS_PER_MONTH = 30.44


def hire_decision(session: Session, *, candidate_id: int) -> Decision | None:
    """The candidate's latest decision if it is a hire, else None."""
    latest = session.exec(
        select(Decision).where(Decision.candidate_id == candidate_id)
        .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
    ).first()
    return latest if latest is not None and latest.decision == "hire" else None


def _check(position: Position, data: dict[str, Any]) -> None:
    if data.get("months") not in FOLLOW_UPS:
        raise field_error("months", N_("record an outcome at 6 or 12 months"))
    perf = data.get("performance")
    if perf is not None and (isinstance(perf, bool) or not isinstance(perf, int)
                             or not 1 <= perf <= 5):
        raise field_error("performance", N_("give a whole number from 1 to 5"))
    allowed = rated_competencies(position)
    for key, value in (data.get("performance_by_competency") or {}).items():
        if key not in allowed:
            raise field_error(f"performance_by_competency.{key}",
                              N_("not a competency of this position (%(competencies)s)"),
                              competencies=", ".join(allowed))
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise field_error(f"performance_by_competency.{key}",
                              N_("give a whole number from 1 to 5"))
    quota = data.get("quota_attainment_pct")
    if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int | float)
                              or not 0 <= quota <= 1000):
        raise field_error("quota_attainment_pct", N_("give a percentage from 0 to 1000"))
    if data.get("still_employed", True) and data.get("left_on") is not None:
        raise field_error("left_on", N_("a leaving date only when the person has left"))
    if not data.get("still_employed", True) and data.get("left_on") is None:
        raise field_error("left_on", N_("give the leaving date of a person who has left"))
    ramp = data.get("months_to_quota")
    if ramp is not None and (isinstance(ramp, bool) or not isinstance(ramp, int)
                             or not 1 <= ramp <= 60):
        raise field_error("months_to_quota", N_("give a whole number of months from 1 to 60"))


def record(
    session: Session, *, candidate: Candidate, position: Position, data: dict[str, Any],
    actor: User, ip: str | None = None,
) -> Outcome:
    """Record (or correct) a hire's outcome at 6 or 12 months; audited. 409 unless the
    candidate's latest decision is a hire."""
    if hire_decision(session, candidate_id=pk(candidate)) is None:
        raise Conflict(N_("Outcomes are recorded for hires: the latest decision is not a hire."))
    _check(position, data)
    row = session.exec(select(Outcome).where(
        Outcome.candidate_id == candidate.id, Outcome.months == data["months"])).first()
    if row is None:
        row = Outcome(organization_id=candidate.organization_id, position_id=pk(position),
                      candidate_id=pk(candidate), months=data["months"])
    row.performance = data.get("performance")
    row.performance_by_competency = dict(data.get("performance_by_competency") or {})
    row.quota_attainment_pct = data.get("quota_attainment_pct")
    row.still_employed = bool(data.get("still_employed", True))
    row.left_on = data.get("left_on")
    row.months_to_quota = data.get("months_to_quota")
    row.recorded_by_id = actor.id
    row.recorded_at = utcnow()
    session.add(row)
    candidate.stage = "outcome"
    session.add(candidate)
    session.flush()
    audit.record(session, actor=actor, action="outcome.record", object_type="candidate",
                 object_id=candidate.id, details={"months": row.months, "outcome_id": row.id},
                 ip=ip)
    return row


def public(row: Outcome) -> dict[str, Any]:
    """The API view of an outcome."""
    return {
        "id": row.id, "candidate_id": row.candidate_id, "months": row.months,
        "performance": row.performance,
        "performance_by_competency": row.performance_by_competency or {},
        "quota_attainment_pct": row.quota_attainment_pct, "still_employed": row.still_employed,
        "left_on": row.left_on, "months_to_quota": row.months_to_quota,
        "recorded_by_id": row.recorded_by_id, "recorded_at": row.recorded_at,
    }


def of_candidate(session: Session, *, candidate: Candidate) -> dict[str, Any]:
    """The hire's outcomes and when each follow-up is due."""
    hire = hire_decision(session, candidate_id=pk(candidate))
    rows = {r.months: r for r in session.exec(
        select(Outcome).where(Outcome.candidate_id == candidate.id))}
    return {
        "hired": hire is not None,
        "hired_at": None if hire is None else hire.created_at,
        "follow_ups": [
            {"months": m,
             "due_on": None if hire is None
             else (hire.created_at + timedelta(days=DAYS_PER_MONTH * m)).date(),
             "outcome": public(rows[m]) if m in rows else None}
            for m in FOLLOW_UPS
        ],
    }


def _recipients(session: Session, hire: Decision) -> list[User]:
    user = session.get(User, hire.user_id) if hire.user_id else None
    if user is not None and user.is_active:
        return [user]
    return list(session.exec(select(User).where(
        owned_by(User, hire.organization_id), User.role == "admin",
        col(User.is_active).is_(True))))


def due(session: Session, *, now: datetime | None = None) -> list[tuple[Decision, Candidate, int]]:
    """Follow-ups that are due, not recorded and not yet reminded: (hire decision, candidate,
    months). Only reads."""
    now = now or utcnow()
    hires = session.exec(select(Decision).where(Decision.decision == "hire")).all()
    found: list[tuple[Decision, Candidate, int]] = []
    seen: set[int] = set()
    for decision in sorted(hires, key=lambda d: (d.created_at, d.id or 0), reverse=True):
        if decision.candidate_id in seen:
            continue
        seen.add(decision.candidate_id)
        hire = hire_decision(session, candidate_id=decision.candidate_id)
        candidate = session.get(Candidate, decision.candidate_id)
        if hire is None or candidate is None or candidate.erased_at is not None:
            continue
        for months in FOLLOW_UPS:
            if hire.created_at + timedelta(days=DAYS_PER_MONTH * months) > now:
                continue
            done = session.exec(select(Outcome.id).where(
                Outcome.candidate_id == candidate.id, Outcome.months == months)).first()
            sent = session.exec(select(OutcomeReminder.id).where(
                OutcomeReminder.candidate_id == candidate.id,
                OutcomeReminder.months == months)).first()
            if done is None and sent is None:
                found.append((hire, candidate, months))
    return found


def queue_reminders(session: Session, *, now: datetime | None = None, base_url: str = "") -> int:
    """Queue an e-mail (through the outbox) for every follow-up that is due, not recorded and
    not yet reminded; return how many. Safe to run again (one reminder per hire and
    follow-up)."""
    queued = 0
    for hire, candidate, months in due(session, now=now):
        link = f"{base_url.rstrip('/')}/candidates/{candidate.id}/interview#outcomes"
        for user in _recipients(session, hire):
            outbox.enqueue_email(
                session, organization_id=candidate.organization_id, to=user.email,
                subject=f"Record the {months}-month outcome of {candidate.full_name}",
                text=(f"{candidate.full_name} was hired on {hire.created_at.date()}. "
                      f"Please record how the first {months} months went (the manager's "
                      f"rating, quota attainment, still employed): {link}\n\n"
                      "These outcomes let the product check, on your own data, how well "
                      "the tests and interviews predict success."),
                reference={"kind": "outcome_reminder", "candidate_id": candidate.id,
                           "months": months},
            )
        session.add(OutcomeReminder(organization_id=candidate.organization_id,
                                    candidate_id=pk(candidate), months=months))
        session.flush()
        queued += 1
    return queued


def left_before(row: Outcome, hired_on: date, months: int) -> bool:
    """Whether a recorded leaving date falls within ``months`` of the hire."""
    return row.left_on is not None and (row.left_on - hired_on).days < DAYS_PER_MONTH * months


#: Hires an option needs before its observed retention and ramp are offered as assumptions.
MIN_COST_N = 5


def _exposure(records: list[Outcome], hired_on: date) -> tuple[float, bool]:
    """Months a hire was observed (to the leaving date, else the latest follow-up recorded)
    and whether they left."""
    left = next((r.left_on for r in sorted(records, key=lambda r: r.months)
                 if not r.still_employed and r.left_on is not None), None)
    if left is not None:
        return max(0.0, (left - hired_on).days / DAYS_PER_MONTH), True
    return float(max(r.months for r in records)), False


def cost_learning(session: Session, *, position: Position) -> dict[str, Any]:
    """Observed retention and ramp of the position's hires, per costed option, beside the cost
    assumptions in force, and the assumptions they suggest.

    Per option (the option each hire was costed as: ``experienced`` with enough key-account
    years, else ``grow_in_house``), with a constant monthly hazard of leaving (what the cost
    model's survival assumes) estimated from right-censored follow-ups (each hire is observed
    until the leaving date, else until the latest outcome recorded)::

        hazard            = leavers / Σ months observed            (exponential MLE)
        monthly_attrition = 1 − exp(−hazard)
        retained_12       = exp(−12 · hazard)
        ramp_months       = mean(months_to_quota) − training_months, at least 1

    An option is offered as a new assumption only from ``MIN_COST_N`` hires on.
    """
    try:
        assumptions = position_service.cost_assumptions(position)
    except ValueError:
        assumptions = None
    options = {s.candidate_id: s.costed_option for s in session.exec(
        select(Score).where(Score.position_id == position.id))}
    outcomes: dict[int, list[Outcome]] = {}
    for row in session.exec(select(Outcome).where(Outcome.position_id == position.id)):
        outcomes.setdefault(row.candidate_id, []).append(row)
    result: dict[str, Any] = {"options": {}, "offer": {}, "min_n": MIN_COST_N}
    for name in ("experienced", "grow_in_house"):
        months, leavers, hires, ramps = 0.0, 0, 0, []
        for cid, records in outcomes.items():
            hire = hire_decision(session, candidate_id=cid)
            if options.get(cid) != name or hire is None:
                continue
            observed, left = _exposure(records, hire.created_at.date())
            months += observed
            leavers += left
            hires += 1
            reached = [r.months_to_quota for r in records if r.months_to_quota is not None]
            ramps += [min(reached)] if reached else []
        current = None if assumptions is None else getattr(assumptions, name)
        training = 0 if current is None else current.training_months
        observed_values: dict[str, Any] = {
            "n_retention": hires, "leavers": leavers, "months_observed": months,
            "n_ramp": len(ramps), "retained_12": None, "monthly_attrition": None,
            "months_to_quota": None, "ramp_months": None}
        if hires and months > 0:
            hazard = leavers / months
            observed_values["monthly_attrition"] = 1.0 - math.exp(-hazard)
            observed_values["retained_12"] = math.exp(-12 * hazard)
        if ramps:
            observed_values["months_to_quota"] = sum(ramps) / len(ramps)
            observed_values["ramp_months"] = max(1, round(sum(ramps) / len(ramps) - training))
        result["options"][name] = {
            "observed": observed_values,
            "current": None if current is None else {
                "monthly_attrition": current.monthly_attrition,
                "ramp_months": current.ramp_months, "training_months": training},
        }
        offer: dict[str, Any] = {}
        if hires >= MIN_COST_N and observed_values["monthly_attrition"] is not None:
            offer["monthly_attrition"] = round(observed_values["monthly_attrition"], 4)
        if len(ramps) >= MIN_COST_N:
            offer["ramp_months"] = observed_values["ramp_months"]
        if offer:
            result["offer"][name] = offer
    return result


def merged_assumptions(before: dict[str, Any], offer: dict[str, Any]) -> dict[str, Any]:
    """The position's stored cost assumptions with the offered option fields put in."""
    after = dict(before)
    for name, fields in offer.items():
        after[name] = {**(after.get(name) or {}), **fields}
    return after



def apply_assumptions(session: Session, *, position: Position, offer: dict[str, Any],
                      reason: str, actor: User, ip: str | None
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the observed numbers (the ``offer`` of :func:`cost_learning`) the position's cost
    assumptions, rescore the position and audit the change with ``reason``; return the
    assumptions before and after. The caller commits (as for
    :func:`app.interviews.validity.apply`)."""
    before = dict(position.cost_assumptions or {})
    after = merged_assumptions(before, offer)
    position_service.update(session, position=position,
                            data=PositionUpdate(cost_assumptions=after))
    score_service.rescore_position(session, position=position)
    audit.record(session, actor=actor, action="position.apply_observed_costs",
                 object_type="position", object_id=position.id,
                 details={"before": before, "after": after, "reason": reason}, ip=ip)
    return before, after
