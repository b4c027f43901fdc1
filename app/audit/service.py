"""Writing, reading, checking and pruning the audit log (a hash chain per organization)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.audit import chain as audit_chain
from app.audit.models import AuditEntry, AuditHead
from app.auth.models import User
from app.core.clock import utcnow
from app.core.db import pk
from app.core.tenancy import owned_by

#: Default months an audit entry is kept in full before retention prunes its content.
AUDIT_RETENTION_DEFAULT_MONTHS = 24
#: Decision-related entries are kept at least this long whatever the setting (AI Act Art. 26(6)).
DECISION_FLOOR_MONTHS = 6
AUDIT_RETENTION_MAX_MONTHS = 120
#: Actions about decisions and what shapes them: kept at least six months.
DECISION_RELATED_PREFIXES = (
    "candidate.decision", "decision.", "explanation.", "contest.", "position.",
    "oversight.", "fairness.", "selfid.", "interview.", "outcome.",
)


def is_decision_related(action: str) -> bool:
    """Whether an action is about a decision or what shapes one (kept ≥ 6 months)."""
    return action.startswith(DECISION_RELATED_PREFIXES)


def _chain_key(organization_id: int | None) -> int:
    return organization_id if organization_id is not None else 0


def _lock_head(session: Session, key: int) -> AuditHead:
    """The chain's head row, locked until the transaction ends (one writer per chain)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(AuditHead)
        .values(chain=key, last_id=0, last_hash=audit_chain.GENESIS, entries=0)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    return session.exec(
        select(AuditHead).where(AuditHead.chain == key).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "organization_id": entry.organization_id,
        "actor_user_id": entry.actor_user_id, "action": entry.action,
        "object_type": entry.object_type, "object_id": entry.object_id,
        "details": entry.details, "ip": entry.ip, "created_at": entry.created_at,
    }


def add(session: Session, entry: AuditEntry) -> AuditEntry:
    """Add an entry at the end of its organization's chain (the head is locked first, so the
    ids of one chain follow the order it is written in)."""
    head = _lock_head(session, _chain_key(entry.organization_id))
    session.add(entry)
    session.flush()
    entry.details = audit_chain.normalized_details(entry.details)
    entry.prev_hash = head.last_hash
    entry.content_hash = audit_chain.content_hash(_content(entry))
    entry.entry_hash = audit_chain.link(head.last_hash, entry.content_hash)
    head.last_id, head.last_hash, head.entries = pk(entry), entry.entry_hash, head.entries + 1
    session.add_all([entry, head])
    session.flush()
    return entry


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
        ip=ip,
        details=audit_chain.normalized_details(details),
    )
    return add(session, entry)


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


# --- checking and pruning -----------------------------------------------------------------


def chains(session: Session) -> list[int | None]:
    """The organizations that have a chain (None: the entries of no organization)."""
    keys = session.exec(select(AuditHead.chain).order_by(col(AuditHead.chain))).all()
    present = set(session.exec(select(AuditEntry.organization_id).distinct()).all())
    result = {None if key == 0 else key for key in keys} | present
    return sorted(result, key=lambda k: -1 if k is None else k)


def verify(session: Session, *, organization_id: int | None) -> audit_chain.Verdict:
    """Check one organization's chain: the first entry changed, inserted or deleted."""
    where = (owned_by(AuditEntry, organization_id) if organization_id is not None
             else col(AuditEntry.organization_id).is_(None))
    rows = (
        {**_content(entry), "prev_hash": entry.prev_hash, "content_hash": entry.content_hash,
         "entry_hash": entry.entry_hash, "pruned_at": entry.pruned_at}
        for entry in session.exec(select(AuditEntry).where(where).order_by(col(AuditEntry.id)))
    )
    head = session.get(AuditHead, _chain_key(organization_id))
    return audit_chain.verify(
        rows,
        head_id=head.last_id if head is not None and head.entries else None,
        head_hash=head.last_hash if head is not None else None,
    )


def retention_months(settings: dict[str, Any] | None) -> int:
    """Months the organization keeps audit entries in full (its setting, else the default)."""
    value = (settings or {}).get("audit_retention_months")
    return int(value) if isinstance(value, int) else AUDIT_RETENTION_DEFAULT_MONTHS


def _months_before(moment: datetime, months: int) -> datetime:
    return moment - timedelta(days=round(months * 30.4375))


def prune(
    session: Session, *, organization_id: int, months: int, now: datetime | None = None
) -> int:
    """Remove the content of entries past retention (decision-related ones are kept at least
    six months); their hashes stay, so the chain still verifies. Returns how many."""
    now = now or utcnow()
    general = _months_before(now, months)
    decisions = _months_before(now, max(months, DECISION_FLOOR_MONTHS))
    related = [col(AuditEntry.action).startswith(prefix) for prefix in DECISION_RELATED_PREFIXES]

    due = or_(
        and_(not_(or_(*related)), col(AuditEntry.created_at) < general),
        and_(or_(*related), col(AuditEntry.created_at) < decisions),
    )
    result = session.exec(
        update(AuditEntry)
        .where(owned_by(AuditEntry, organization_id),
               col(AuditEntry.pruned_at).is_(None), due)
        .values(details={}, ip=None, actor_user_id=None, object_id=None, pruned_at=now)
    )
    return int(result.rowcount or 0)
