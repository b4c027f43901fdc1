"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit.models import AuditEntry
from app.auth.models import User


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
