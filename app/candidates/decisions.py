"""Decisions people record about candidates. The product never decides alone: recording a
decision is the only thing that changes a candidate's fate, and it changes nothing else
(no status, no score, no e-mail; an organization that subscribes gets a webhook).

Each decision keeps the score it was based on (its id, scoring version and what it said:
fit, band, requirements), handed in by the caller from the scores domain, so a later rescore
never rewrites what the decision saw. Advancing or hiring a candidate who missed a
requirement needs a written reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.candidates.models import Candidate, Decision
from app.core.db import pk
from app.core.errors import N_, Word, field_problem
from app.webhooks import service as webhook_service

DECISIONS = ("advance", "reject", "hire", "hold")
#: Decisions that go ahead with a candidate: a missed requirement then needs a reason.
GOING_AHEAD = ("advance", "hire")


def stage_after(stage: str, decision: str) -> str:
    """The stage a decision moves a candidate to: a hire or a rejection closes the process
    (``decision``), advancing moves an assessed candidate on to the interview; a hold, or a
    decision on someone already further on, leaves the stage as it is."""
    if decision in ("hire", "reject") and stage != "outcome":
        return "decision"
    if decision == "advance" and stage == "assessment":
        return "interview"
    return stage


def needs_reason(decision: str, basis: Mapping[str, Any] | None) -> bool:
    """Whether ``decision`` on a score with this basis needs a written reason."""
    return decision in GOING_AHEAD and basis is not None and bool(basis) and (
        basis.get("requirements_passed") is False
    )


def check_reason(decision: str, note: str, basis: Mapping[str, Any] | None) -> None:
    """422 naming ``note`` when advancing or hiring past a missed requirement without why."""
    if needs_reason(decision, basis) and not note.strip():
        missed = ", ".join(basis.get("requirements_missed") or []) if basis else ""
        raise field_problem("note", N_("the candidate missed a requirement (%(missed)s); write "
                                       "why you %(decision)s them anyway"),
                            params={"missed": missed, "decision": Word(decision)})


def record(
    session: Session,
    *,
    candidate: Candidate,
    decision: str,
    note: str,
    actor: User,
    ip: str | None = None,
    basis: Mapping[str, Any] | None = None,
) -> Decision:
    """Store a decision by ``actor`` now, with the score it was based on (``basis``, from
    ``app.scores.service.decision_basis``), its audit entry and webhook event; the caller
    commits."""
    check_reason(decision, note, basis)
    row = Decision(
        organization_id=candidate.organization_id,
        candidate_id=pk(candidate),
        user_id=actor.id,
        decision=decision,
        note=note.strip(),
        score_id=(basis or {}).get("score_id"),
        scoring_version=(basis or {}).get("scoring_version"),
        basis=dict(basis or {}),
    )
    session.add(row)
    candidate.stage = stage_after(candidate.stage, decision)
    session.add(candidate)
    session.flush()
    webhook_service.decision_recorded(
        session, organization_id=row.organization_id, candidate_id=pk(candidate),
        position_id=candidate.position_id, decision_id=pk(row), decision=row.decision,
        user_id=row.user_id, at=row.created_at,
    )
    audit.record(
        session,
        actor=actor,
        action="candidate.decision",
        object_type="candidate",
        object_id=candidate.id,
        details={"decision_id": row.id, "decision": row.decision, "score_id": row.score_id},
        ip=ip,
    )
    return row


def _with_users(session: Session, rows: list[Decision]) -> list[tuple[Decision, User | None]]:
    ids = {row.user_id for row in rows if row.user_id is not None}
    users = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))} if ids else {}
    )
    return [(row, users.get(row.user_id)) for row in rows]


def public(decision: Decision, user: User | None) -> dict[str, Any]:
    """The API view of a decision."""
    return {
        "id": decision.id,
        "candidate_id": decision.candidate_id,
        "decision": decision.decision,
        "note": decision.note,
        "user_id": decision.user_id,
        "user_name": user.full_name if user is not None else None,
        "score_id": decision.score_id,
        "scoring_version": decision.scoring_version,
        "basis": decision.basis or None,
        "created_at": decision.created_at,
    }


def history(session: Session, *, candidate: Candidate) -> list[dict[str, Any]]:
    """Every decision on a candidate, newest first, with who made it."""
    rows = list(
        session.exec(
            select(Decision)
            .where(Decision.candidate_id == candidate.id)
            .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
        )
    )
    return [public(row, user) for row, user in _with_users(session, rows)]


def latest(session: Session, *, candidate_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The newest decision per candidate (for a page of the pipeline)."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    rows = list(
        session.exec(
            select(Decision)
            .where(col(Decision.candidate_id).in_(ids))
            .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
        )
    )
    newest: dict[int, dict[str, Any]] = {}
    for row, user in _with_users(session, rows):
        newest.setdefault(row.candidate_id, public(row, user))
    return newest
