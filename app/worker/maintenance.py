"""Periodic housekeeping done by the worker: finalize overdue attempts, queue reminder
e-mails to invited candidates, erase candidates past their organization's retention period,
rebuild due norms.

Each job runs in its own short transaction, so one failure never blocks the others and a
crash loses nothing (the next pass picks up where this one stopped).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from app.assessments import service as assessment_service
from app.assessments.models import Attempt
from app.audit import service as audit_service
from app.candidates import reminders
from app.candidates.models import Candidate, Invitation
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import get_engine, pk, session_for
from app.interviews import outcomes as outcome_service
from app.norms import service as norm_service
from app.ops import ratelimit
from app.organizations.models import Organization
from app.privacy import service as privacy_service
from app.scores import service as score_service

logger = logging.getLogger(__name__)

# A computed norm table that is due (its group grew by 10 %) is rebuilt once it is this old.
NORM_REBUILD_INTERVAL = timedelta(minutes=10)


@dataclass
class MaintenanceReport:
    """What one pass did."""

    finalized: list[int] = field(default_factory=list)
    reminded: list[tuple[int, str]] = field(default_factory=list)
    erased: list[int] = field(default_factory=list)
    norm_tables: int = 0
    audit_pruned: int = 0
    outcome_reminders: int = 0


def finalize_overdue(engine: Engine, *, now: datetime | None = None) -> list[int]:
    """Submit every attempt whose time (and grace) is over, from its saved answers."""
    now = now or utcnow()
    with session_for(engine, read_only=True) as session:
        attempt_ids = assessment_service.overdue_attempt_ids(session, now=now)
    finalized = []
    for attempt_id in attempt_ids:
        with session_for(engine) as session:
            row = session.exec(
                select(Attempt, Invitation, Candidate)
                .join(Invitation, col(Invitation.id) == Attempt.invitation_id)
                .join(Candidate, col(Candidate.id) == Attempt.candidate_id)
                .where(Attempt.id == attempt_id)
            ).first()
            if row is None:
                continue
            attempt, invitation, candidate = row
            ctx = assessment_service.Context(invitation, candidate, attempt)
            if assessment_service.finalize_if_overdue(session, ctx=ctx, now=now):
                score_service.score_submitted(session, attempt=attempt)
                finalized.append(attempt_id)
            session.commit()
    return finalized


def send_reminders(engine: Engine, *, now: datetime | None = None) -> list[tuple[int, str]]:
    """Queue the reminder e-mails that are due, one short transaction each."""
    now = now or utcnow()
    with session_for(engine, read_only=True) as session:
        due = reminders.due(session, now=now)
    sent = []
    for invitation_id, kind in due:
        try:
            with session_for(engine) as session:
                if reminders.send(session, invitation_id=invitation_id, kind=kind, now=now):
                    sent.append((invitation_id, kind))
                session.commit()
        except Exception:
            logger.exception("maintenance: reminder %s failed for invitation %d", kind,
                             invitation_id)
    return sent


def apply_retention(
    engine: Engine, *, now: datetime | None = None, batch: int = 100
) -> list[int]:
    """Erase candidates whose last activity is older than their organization's retention
    period (at most ``batch`` per organization and pass; the next pass goes on)."""
    now = now or utcnow()
    # Found in a read-only transaction: most passes erase nobody and take no write lock.
    with session_for(engine, read_only=True) as session:
        due = [
            (organization_id, months)
            for organization_id, months in privacy_service.retention_plans(session)
            if privacy_service.expired_candidate_ids(
                session, organization_id=organization_id,
                cutoff=privacy_service.months_before(now, months), limit=1,
            )
        ]
    erased = []
    for organization_id, months in due:
        # One transaction per organization: a failure in one never holds up the others.
        try:
            with session_for(engine) as session:
                done = privacy_service.erase_expired(
                    session, organization_id=organization_id, months=months, now=now, limit=batch
                )
                session.commit()
        except Exception:
            logger.exception("maintenance: retention failed for organization %d", organization_id)
            continue
        erased.extend(done)
    return erased


def prune_audit(engine: Engine, *, now: datetime | None = None) -> int:
    """Prune the content of audit entries past each organization's audit retention
    (decision-related ones kept at least six months); the hash chain stays intact."""
    with session_for(engine, read_only=True) as session:
        plans = [(pk(organization), audit_service.retention_months(organization.settings))
                 for organization in session.exec(select(Organization))]
    pruned = 0
    for organization_id, months in plans:
        try:
            with session_for(engine) as session:
                pruned += audit_service.prune(
                    session, organization_id=organization_id, months=months, now=now
                )
                session.commit()
        except Exception:
            logger.exception("maintenance: audit pruning failed for organization %d",
                             organization_id)
    return pruned


def run_once(engine: Engine | None = None, *, now: datetime | None = None) -> MaintenanceReport:
    """One pass of every job."""
    engine = engine or get_engine()
    report = MaintenanceReport()
    report.finalized = finalize_overdue(engine, now=now)
    report.reminded = send_reminders(engine, now=now)
    report.erased = apply_retention(engine, now=now)
    # Rebuilding rescores every candidate of the organization in one write transaction, so
    # on a busy day (a table is due at every 10 % of growth) it waits until the table in
    # force is NORM_REBUILD_INTERVAL old, and the check itself is a read: on SQLite, the
    # write lock is not taken every pass for nothing.
    settled_before = (now or utcnow()) - NORM_REBUILD_INTERVAL
    with session_for(engine, read_only=True) as session:
        due = norm_service.any_due(session, settled_before=settled_before)
        session.commit()
    if due:
        with session_for(engine) as session:
            rows = norm_service.rebuild_all_due(session, settled_before=settled_before)
            score_service.rescore_after_norms(session, rows=rows)
            report.norm_tables = len(rows)
            session.commit()
    report.audit_pruned = prune_audit(engine, now=now)
    # Reminders to record hires' 6- and 12-month outcomes (found with a read first).
    with session_for(engine, read_only=True) as session:
        reminders_due = bool(outcome_service.due(session, now=now))
        session.commit()
    if reminders_due:
        with session_for(engine) as session:
            report.outcome_reminders = outcome_service.queue_reminders(
                session, now=now, base_url=get_settings().base_url)
            session.commit()
    with session_for(engine) as session:  # rate-limit counts nobody looks at any more
        ratelimit.purge(session, now=now)
        session.commit()
    if (report.finalized or report.reminded or report.erased or report.norm_tables
            or report.outcome_reminders):
        logger.info(
            "maintenance: finalized %d overdue attempts, queued %d reminders, erased %d "
            "candidates past retention, rebuilt %d norm tables, queued %d outcome reminders",
            len(report.finalized), len(report.reminded), len(report.erased), report.norm_tables,
            report.outcome_reminders,
        )
    return report


class Every:
    """Calls ``run_once`` at most every ``seconds`` (from the worker's loop)."""

    def __init__(self, seconds: float, engine: Engine | None = None) -> None:
        self.seconds = seconds
        self.engine = engine
        self._next = 0.0

    def __call__(self) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.seconds
        try:
            run_once(self.engine)
        except Exception:
            logger.exception("maintenance pass failed; the next pass will retry")
