"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.audit.models import AuditEntry
from app.auth.models import User
from app.tenancy import owned_by


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    organization_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction."""
    entry = AuditEntry(
        organization_id=organization_id if organization_id is not None else (
            actor.organization_id if actor else None
        ),
        actor_user_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details or {},
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


def _filtered(
    statement: Any, *, organization_id: int, action: str | None, since: datetime | None
) -> Any:
    statement = statement.where(owned_by(AuditEntry, organization_id))
    if action:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        # A date or time without a zone is read as UTC, the zone everything is stored in.
        aware = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
        statement = statement.where(col(AuditEntry.created_at) >= aware)
    return statement


def search(
    session: Session,
    *,
    organization_id: int,
    action: str | None = None,
    since: datetime | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[list[tuple[AuditEntry, User | None]], int]:
    """The organization's entries, newest first, with their actors; and how many match."""
    total = session.exec(
        _filtered(select(func.count()).select_from(AuditEntry),
                  organization_id=organization_id, action=action, since=since)
    ).one()
    statement = _filtered(
        select(AuditEntry, User).join(User, col(User.id) == AuditEntry.actor_user_id,
                                      isouter=True),
        organization_id=organization_id, action=action, since=since,
    ).order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc()).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return [(entry, user) for entry, user in session.exec(statement)], int(total)


def actions(session: Session, *, organization_id: int) -> list[str]:
    """The actions that occur in the organization's log (for a filter)."""
    return sorted(
        session.exec(
            select(AuditEntry.action)
            .distinct()
            .where(owned_by(AuditEntry, organization_id))
        )
    )


def public(entry: AuditEntry, actor: User | None) -> dict[str, Any]:
    """The API view of an entry; no actor is the system (the worker's jobs)."""
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "actor_user_id": entry.actor_user_id,
        "actor": actor.full_name if actor is not None else "system",
        "actor_email": actor.email if actor is not None else None,
        "details": entry.details or {},
        "ip": entry.ip,
    }
