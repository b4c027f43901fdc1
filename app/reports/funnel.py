"""Where candidates are: a position's funnel (invited → started → completed → decided, with
each section's drop-off and median time) and the dashboard's lists of what needs attention.

Counts only; every number is what it says (no rates hidden in a ratio without its base).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from app.assessments.models import Attempt, AttemptSection
from app.auth.models import User
from app.candidates.models import Candidate, Decision, Invitation
from app.core.clock import utcnow
from app.positions.models import Position

EXPIRING_WITHIN = timedelta(hours=24)
LIST_LIMIT = 10


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def stages(session: Session, *, position_id: int) -> dict[str, int]:
    """How many of the position's candidates were invited, started, completed, decided."""
    of_position = Candidate.position_id == position_id
    invited = session.exec(select(func.count()).select_from(Candidate).where(of_position)).one()
    started = session.exec(
        select(func.count()).select_from(Attempt)
        .join(Candidate, col(Candidate.id) == Attempt.candidate_id).where(of_position)
    ).one()
    completed = session.exec(
        select(func.count()).select_from(Attempt)
        .join(Candidate, col(Candidate.id) == Attempt.candidate_id)
        .where(of_position, Attempt.status == "completed")
    ).one()
    decided = session.exec(
        select(func.count(func.distinct(Decision.candidate_id)))
        .join(Candidate, col(Candidate.id) == Decision.candidate_id).where(of_position)
    ).one()
    return {"invited": invited, "started": started, "completed": completed,
            "decided": decided}


def sections(session: Session, *, position_id: int) -> list[dict[str, Any]]:
    """Per section, in the order taken: how many candidates opened it (spent time in it),
    how many ran out of time in it, and the median minutes spent in the finished ones."""
    rows = session.exec(
        # Ignored: SQLModel's select() is typed for at most four columns.
        select(AttemptSection.section_key, AttemptSection.position,  # type: ignore[call-overload]
               AttemptSection.status, AttemptSection.started_at, AttemptSection.completed_at,
               AttemptSection.deadline_at)
        .join(Attempt, Attempt.id == AttemptSection.attempt_id)
        .join(Candidate, col(Candidate.id) == Attempt.candidate_id)
        .where(Candidate.position_id == position_id)
    ).all()
    now = utcnow()
    by_key: dict[str, dict[str, Any]] = {}
    for key, order, status, started, completed, deadline in rows:
        entry = by_key.setdefault(key, {"key": key, "order": order, "opened": 0, "timed_out": 0,
                                        "durations": []})
        entry["order"] = min(entry["order"], order)
        if status == "pending" or started is None or _aware(started) > now:
            continue  # not reached, or still on its intro screen
        if status == "completed" and completed is not None and _aware(completed) <= _aware(
                started):
            continue  # closed unopened when the candidate handed in early
        entry["opened"] += 1
        if status == "completed" and completed is not None:
            if deadline is not None and _aware(completed) == _aware(deadline):
                entry["timed_out"] += 1
            entry["durations"].append((_aware(completed) - _aware(started)).total_seconds())
    result = []
    previous = None
    for entry in sorted(by_key.values(), key=lambda e: e["order"]):
        durations = entry.pop("durations")
        entry["median_minutes"] = (statistics.median(durations) / 60) if durations else None
        entry["dropped"] = None if previous is None else max(0, previous - entry["opened"])
        previous = entry["opened"]
        result.append(entry)
    return result


def _count_and_first(session: Session, statement: Any, order: Any) -> tuple[int, list[Any]]:
    """How many rows the statement finds, and the first :data:`LIST_LIMIT` in ``order``."""
    count = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(order).limit(LIST_LIMIT)).all()
    return count, list(rows)


def _completed(position_ids: list[int]) -> Any:
    """The candidates of these positions who completed (not erased), with when and where."""
    return (
        select(Candidate, Attempt.submitted_at, Position.title)
        .join(Attempt, col(Attempt.candidate_id) == Candidate.id)
        .join(Position, col(Position.id) == Candidate.position_id)
        .where(col(Candidate.position_id).in_(position_ids), Attempt.status == "completed",
               col(Candidate.erased_at).is_(None))
    )


def awaiting_decision(session: Session, *, position_ids: list[int]) -> tuple[int, list[Any]]:
    """Completed candidates nobody has decided on yet (oldest completion first)."""
    if not position_ids:
        return 0, []
    statement = _completed(position_ids).where(
        ~exists().where(col(Decision.candidate_id) == Candidate.id))
    return _count_and_first(session, statement, Attempt.submitted_at)


def expiring(session: Session, *, position_ids: list[int],
             now: datetime | None = None) -> tuple[int, list[Any]]:
    """Invited candidates whose link expires within a day, unstarted (soonest first)."""
    if not position_ids:
        return 0, []
    now = now or utcnow()
    statement = (
        select(Candidate, Invitation.expires_at, Position.title)
        .join(Invitation, col(Invitation.candidate_id) == Candidate.id)
        .join(Position, col(Position.id) == Candidate.position_id)
        .where(col(Candidate.position_id).in_(position_ids), Candidate.status == "invited",
               col(Invitation.revoked_at).is_(None), col(Invitation.used_at).is_(None),
               Invitation.expires_at > now, Invitation.expires_at <= now + EXPIRING_WITHIN)
    )
    return _count_and_first(session, statement, Invitation.expires_at)


def completed_since(session: Session, *, position_ids: list[int],
                    since: datetime | None) -> tuple[int, list[Any]]:
    """Candidates who completed after ``since`` (the user's previous visit), newest first."""
    if not position_ids:
        return 0, []
    statement = _completed(position_ids)
    if since is not None:
        statement = statement.where(col(Attempt.submitted_at) > since)
    return _count_and_first(session, statement, col(Attempt.submitted_at).desc())


def mark_seen(session: Session, *, user: User, now: datetime | None = None) -> datetime | None:
    """Record this visit of the dashboard; returns the previous one."""
    previous = user.dashboard_seen_at
    user.dashboard_seen_at = now or utcnow()
    session.add(user)
    session.flush()
    return previous
