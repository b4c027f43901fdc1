"""Explanations of decisions and contests (issue 17; AI Act Art. 86, GDPR Art. 15(1)(h), 22).

An explanation says, in the candidate's language: that a person decided and the system only
scored; the decision and who made it; each competency's result and band; the weights; each
requirement met or missed; the norm group; how candidates were ranked; the smallest change
of one score that would have changed the band or a requirement (``scoring.counterfactual``);
and whom to contact.

A contest is assigned to an active admin or hr member other than the person who decided
(the one with the fewest open contests), is due one month later (GDPR Art. 12(3)), and ends
with a recorded outcome. Every step is audited and the candidate gets an e-mail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import Role, User
from app.auth.permissions import Action, can
from app.candidates.models import Candidate, Decision
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import N_, Conflict, Invalid, NotFound, field_problem
from app.core.i18n import gettext_for
from app.core.tenancy import belongs, owned_by
from app.explanations.models import Contest
from app.organizations.models import Organization
from app.outbox import service as outbox
from app.positions.models import Position
from app.scores import service as score_service
from app.scores.models import Score
from scoring.composite import bands
from scoring.counterfactual import band_changes, minimum_changes

CONTEST_DAYS = 30
OUTCOMES = ("upheld", "changed")


def _invalid(field: str, message: str, **params: object) -> Invalid:
    return field_problem(field, message, params=params, loc=["body", field])


def latest_decision(session: Session, *, candidate_id: int) -> Decision | None:
    """The newest decision on the candidate, if any."""
    return session.exec(
        select(Decision).where(Decision.candidate_id == candidate_id)
        .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
    ).first()


def contact(session: Session, organization: Organization) -> str:
    """Whom to ask: the oversight contact the organization set, else its first admin."""
    chosen = str((organization.settings or {}).get("oversight_contact") or "").strip()
    if chosen:
        return chosen
    admin = session.exec(
        select(User).where(owned_by(User, pk(organization)), User.role == "admin",
                           col(User.is_active).is_(True)).order_by(col(User.id))
    ).first()
    return admin.email if admin else organization.name


def _score(session: Session, decision: Decision | None, candidate: Candidate) -> Score | None:
    if decision is not None and decision.score_id is not None:
        score = session.get(Score, decision.score_id)
        if score is not None:
            return score
    return session.exec(select(Score).where(Score.candidate_id == candidate.id)
                        .order_by(col(Score.id).desc())).first()


def _competencies(score: Score) -> list[dict[str, Any]]:
    out = []
    weights = (score.composite or {}).get("weights") or {}
    for key, scale in (score.scales or {}).items():
        normed = scale.get("t_score") is not None
        value = scale.get("t_score") if normed else scale.get("percent")
        band = scale.get("band")
        if band is None and value is not None:
            band = bands([value], "T" if normed else "percent")[0]
        out.append({
            "competency": key, "label": scale.get("label", key), "score": value,
            "unit": "T" if normed else "percent", "band": band,
            "weight": weights.get(key, 0.0), "norm_status": scale.get("norm_status"),
            "norm_n": scale.get("norm_n"),
        })
    return out


def _smallest_changes(score: Score, competencies: list[dict[str, Any]],
                      minimums: dict[str, float]) -> dict[str, Any]:
    composite = score.composite or {}
    unit = composite.get("unit") or score.fit_unit or "T"
    weights = {k: float(w) for k, w in (composite.get("weights") or {}).items() if w}
    values = {c["competency"]: c["score"] for c in competencies}
    std = composite.get("standardization") or {}
    result: dict[str, Any] = {"band": None, "minimums": []}
    # Every weighted competency scored, in the fit's own unit (T normed, percent before).
    usable = (
        weights and score.fit_score is not None
        and all(values.get(k) is not None for k in weights)
        and all(c["unit"] == unit for c in competencies if c["competency"] in weights)
    )
    if usable:
        changes = band_changes(values, weights, unit=unit,
                               standardized=bool(std.get("standardized")),
                               mean=std.get("mean"), sd=std.get("sd"))
        result["band"] = {
            "fit": changes["fit"], "band": changes["band"], "unit": unit,
            "up": [c.to_dict() for c in changes["up"]],
            "down": [c.to_dict() for c in changes["down"]],
        }
    if minimums:
        result["minimums"] = [c.to_dict() for c in minimum_changes(values, minimums, unit=unit)]
    return result


def explain(session: Session, *, candidate: Candidate) -> dict[str, Any]:
    """The explanation of the candidate's latest decision (``available`` False before one)."""
    decision = latest_decision(session, candidate_id=pk(candidate))
    if decision is None:
        return {"available": False, "candidate_id": candidate.id,
                "message": "No decision has been recorded yet: there is nothing to explain."}
    organization = session.get(Organization, candidate.organization_id)
    position = session.get(Position, candidate.position_id)
    decider = session.get(User, decision.user_id) if decision.user_id else None
    score = _score(session, decision, candidate)
    basis = decision.basis or {}
    requirements = []
    competencies: list[dict[str, Any]] = []
    changes: dict[str, Any] = {"band": None, "minimums": []}
    standardization: dict[str, Any] = {}
    if score is not None:
        requirements = score_service.requirements(score.composite or {})
        competencies = _competencies(score)
        changes = _smallest_changes(score, competencies, dict(position.minimums or {})
                                    if position else {})
        standardization = (score.composite or {}).get("standardization") or {}
    ranking = (position.ranking if position else {}) or {}
    return {
        "available": True,
        "candidate_id": candidate.id,
        "position": position.title if position else None,
        "decision": {
            "id": decision.id, "decision": decision.decision, "at": decision.created_at,
            "by": decider.full_name if decider else None,
            "by_role": decider.role if decider else None,
        },
        "decided_by_a_person": True,
        "fit": {
            "score": basis.get("fit_score", score.fit_score if score else None),
            "unit": basis.get("fit_unit", score.fit_unit if score else None),
            "band": basis.get("band", score.band if score else None),
            "partial_fit": basis.get("partial_fit"),
        },
        "competencies": competencies,
        "weights": dict(position.weights or {}) if position else {},
        "requirements": requirements,
        "requirements_passed": basis.get("requirements_passed",
                                         score.requirements_passed if score else None),
        "norm_group": {
            "standardized": bool(standardization.get("standardized")),
            "n": standardization.get("n"),
            "statuses": sorted({c["norm_status"] for c in competencies if c["norm_status"]}),
        },
        "ranking_mode": ranking.get("mode", "fit"),
        "smallest_changes": changes,
        "contact": contact(session, organization) if organization else None,
        "scoring_version": decision.scoring_version,
    }


# --- contests -------------------------------------------------------------------------------


def _open_load(session: Session, organization_id: int) -> dict[int, int]:
    rows = session.exec(
        select(Contest.reviewer_id, func.count()).where(
            owned_by(Contest, organization_id), Contest.status == "open",
            col(Contest.reviewer_id).is_not(None)).group_by(col(Contest.reviewer_id))
    ).all()
    return {reviewer: int(n) for reviewer, n in rows if reviewer is not None}


def pick_reviewer(session: Session, *, organization_id: int, exclude: int | None) -> User | None:
    """An active admin or hr member other than ``exclude``, the least loaded first."""
    users = session.exec(
        select(User).where(owned_by(User, organization_id),
                           col(User.role).in_([Role.admin.value, Role.hr.value]),
                           col(User.is_active).is_(True)).order_by(col(User.id))
    ).all()
    load = _open_load(session, organization_id)
    candidates = [u for u in users if u.id != exclude]
    return min(candidates, key=lambda u: (load.get(pk(u), 0), pk(u))) if candidates else None


def _notify(session: Session, candidate: Candidate, contest: Contest, *, kind: str,
            company: str) -> None:
    _ = gettext_for(candidate.language)
    if kind == "received":
        subject = _("We received your request to review the decision")
        text = _("Hello %(name)s,\n\n%(company)s received your request to review the decision on"
                 " your application. A person other than the one who decided will review it"
                 " and reply by %(due)s.\n", name=candidate.full_name, company=company,
                 due=contest.due_at.date().isoformat())
    else:
        subject = _("The review of the decision is complete")
        outcome = _("the decision stands") if contest.outcome == "upheld" else _(
            "the decision has been changed")
        text = _("Hello %(name)s,\n\n%(company)s reviewed the decision on your application:"
                 " %(outcome)s.\n\n%(note)s\n", name=candidate.full_name, company=company,
                 outcome=outcome, note=contest.outcome_note)
    outbox.enqueue_email(session, organization_id=candidate.organization_id,
                         to=candidate.email, subject=subject, text=text,
                         reference={"candidate_id": candidate.id, "contest_id": contest.id})


def open_contest(session: Session, *, candidate: Candidate, reason: str,
                 ip: str | None = None) -> Contest:
    """The candidate contests their latest decision: assigned, dated, audited, acknowledged."""
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", N_("say briefly why you ask for a review"))
    if len(reason) > 4000:
        raise _invalid("reason", N_("at most 4000 characters"))
    decision = latest_decision(session, candidate_id=pk(candidate))
    if decision is None:
        raise Conflict(N_("There is no decision to contest yet."))
    existing = session.exec(select(Contest).where(
        Contest.candidate_id == candidate.id, Contest.decision_id == decision.id)).first()
    if existing is not None:
        return existing
    reviewer = pick_reviewer(session, organization_id=candidate.organization_id,
                             exclude=decision.user_id)
    now = utcnow()
    contest = Contest(organization_id=candidate.organization_id, candidate_id=pk(candidate),
                      decision_id=decision.id, decided_by_id=decision.user_id,
                      reviewer_id=reviewer.id if reviewer else None, reason=reason,
                      due_at=now + timedelta(days=CONTEST_DAYS), created_at=now)
    session.add(contest)
    session.flush()
    audit.record(session, actor=None, action="contest.open", object_type="candidate",
                 object_id=candidate.id, organization_id=candidate.organization_id, ip=ip,
                 details={"contest_id": contest.id, "decision_id": decision.id,
                          "reviewer_id": contest.reviewer_id,
                          "due_at": contest.due_at.isoformat()})
    organization = session.get(Organization, candidate.organization_id)
    _notify(session, candidate, contest, kind="received",
            company=organization.name if organization else "")
    return contest


def close_contest(session: Session, *, contest: Contest, actor: User, outcome: str,
                  note: str, ip: str | None = None) -> Contest:
    """Record the outcome: only the assigned reviewer (or, if none, an admin), never the
    person who decided."""
    if contest.status != "open":
        raise Conflict(N_("This review already has an outcome."))
    # Refused for the state of the request (who it is assigned to), not for the role: 409.
    if actor.id == contest.decided_by_id:
        raise Conflict(N_("The person who made the decision cannot review it."))
    allowed = actor.id == contest.reviewer_id or (
        contest.reviewer_id is None and can(actor, Action.administer))
    if not allowed:
        raise Conflict(N_("Only the assigned reviewer can record the outcome."))
    if outcome not in OUTCOMES:
        raise _invalid("outcome", N_("choose one of %(choices)s"), choices=", ".join(OUTCOMES))
    note = note.strip()
    if not note:
        raise _invalid("note", N_("write the reasons for the outcome; the candidate receives them"))
    contest.status, contest.outcome, contest.outcome_note = "closed", outcome, note[:4000]
    contest.closed_by_id, contest.closed_at = actor.id, utcnow()
    session.add(contest)
    session.flush()
    audit.record(session, actor=actor, action="contest.close", object_type="candidate",
                 object_id=contest.candidate_id, ip=ip,
                 details={"contest_id": contest.id, "outcome": outcome})
    candidate = session.get(Candidate, contest.candidate_id)
    organization = session.get(Organization, contest.organization_id)
    if candidate is not None and candidate.erased_at is None:
        _notify(session, candidate, contest, kind="closed",
                company=organization.name if organization else "")
    return contest


def get_contest(session: Session, *, contest_id: int, organization_id: int) -> Contest:
    """A contest of the organization (404 otherwise)."""
    contest = session.get(Contest, contest_id)
    if contest is None or not belongs(contest, organization_id):
        raise NotFound(N_("No such review request."))
    return contest


def list_contests(session: Session, *, organization_id: int) -> list[Contest]:
    """The organization's contests, open first, then by due date."""
    return list(session.exec(
        select(Contest).where(owned_by(Contest, organization_id))
        .order_by(col(Contest.status).desc(), col(Contest.due_at), col(Contest.id))))


def of_candidate(session: Session, *, candidate_id: int) -> list[Contest]:
    """The candidate's contests, newest first."""
    return list(session.exec(select(Contest).where(Contest.candidate_id == candidate_id)
                             .order_by(col(Contest.id).desc())))


def public(contest: Contest) -> dict[str, Any]:
    """The API view of a contest."""
    return contest.model_dump()
