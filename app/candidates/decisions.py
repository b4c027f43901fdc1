"""Decisions people record about candidates. The product never decides alone: recording a
decision is the only thing that changes a candidate's fate, and it changes nothing else
(no status, no score, no e-mail; an organization that subscribes gets a webhook)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth.models import User
from app.candidates.models import Candidate, Decision
from app.webhooks import service as webhook_service

DECISIONS = ("advance", "reject", "hire", "hold")


def record(
    session: Session,
    *,
    candidate: Candidate,
    decision: str,
    note: str,
    actor: User,
    ip: str | None = None,
) -> Decision:
    """Store a decision by ``actor`` now, with its audit entry and webhook event; the caller
    commits."""
    row = Decision(
        organization_id=candidate.organization_id,
        candidate_id=candidate.id,
        user_id=actor.id,
        decision=decision,
        note=note.strip(),
    )
    session.add(row)
    session.flush()
    webhook_service.decision_recorded(
        session, organization_id=row.organization_id, candidate_id=candidate.id,
        position_id=candidate.position_id, decision_id=row.id, decision=row.decision,
        user_id=row.user_id, at=row.created_at,
    )
    audit.record(
        session,
        actor=actor,
        action="candidate.decision",
        object_type="candidate",
        object_id=candidate.id,
        details={"decision_id": row.id, "decision": row.decision},
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
