"""Delivering the outbox: claim under a lease, send outside any transaction, record the result.

Delivery is **at least once**. A worker claims due messages by setting ``locked_until`` (a
lease) and commits; it then sends each one with no transaction open, and records the outcome
in a short transaction of its own. If it dies between claiming and recording, the lease
expires and another worker claims the message again, so nothing is lost, but a receiver may
see the same message twice (e.g. the process died after the SMTP server accepted the mail and
before the row was marked sent). E-mails carry a Message-ID derived from the outbox row, the
same on every attempt, so mail systems can drop the duplicate.

Claiming is safe with many workers: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` lets
concurrent claimers take disjoint rows; on SQLite the writing session opens with
``BEGIN IMMEDIATE`` (see app/core/db.py), so claimers simply take turns.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, or_, update
from sqlmodel import Session, col, select

from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import get_engine, session_scope
from app.outbox.models import OutboxMessage
from app.worker.delivery import Outgoing, PermanentDeliveryError, Sender, sender_from_settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_SECONDS = 300
# Don't start sending a claimed message when less than this is left of the lease: another
# worker may claim it as soon as the lease runs out, and a send can take a few SMTP timeouts.
LEASE_GUARD_SECONDS = 60
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_FACTOR = 4
BACKOFF_CAP = timedelta(hours=6)
BACKOFF_JITTER = 0.1
ERROR_MAX_CHARS = 2000  # the width of outbox.last_error


@dataclass(frozen=True)
class DeliveryReport:
    """What one ``deliver_due`` pass did; ``released`` were claimed but handed back unsent."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0

    @property
    def claimed(self) -> int:
        """Messages this pass claimed."""
        return self.sent + self.retried + self.dead + self.released


def backoff(attempts: int, *, message_id: int) -> timedelta:
    """Delay after the ``attempts``-th failure: 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then 6 h."""
    # Exponent clamped: a timedelta of 30 s * 4**21 overflows, and the cap is long reached.
    nominal = min(BACKOFF_FIRST * BACKOFF_FACTOR ** min(attempts - 1, 16), BACKOFF_CAP)
    # Up to 10 % earlier, seeded by message and attempt: messages that failed together (the
    # SMTP server was down) spread out instead of retrying in a herd, yet tests are repeatable
    # and the cap is never exceeded.
    jitter = random.Random(f"{message_id}:{attempts}").uniform(0, BACKOFF_JITTER)
    delay: timedelta = nominal * (1 - jitter)
    return delay


def claim(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    kinds: Sequence[str] | None = None,
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due pending messages (of ``kinds``) to the caller; flushes."""
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(col(OutboxMessage.locked_until).is_(None), col(OutboxMessage.locked_until) < now),
        )
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
        # PostgreSQL: concurrent claimers skip each other's rows instead of waiting or taking
        # the same ones. SQLite renders no FOR UPDATE; BEGIN IMMEDIATE serialises claimers.
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        statement = statement.where(col(OutboxMessage.kind).in_(list(kinds)))
    messages = list(session.exec(statement).all())
    lease = now + timedelta(seconds=lease_seconds)
    for message in messages:
        message.locked_until = lease
    session.flush()
    return messages


def _snapshot(message: OutboxMessage) -> Outgoing:
    assert message.id is not None  # claimed rows come from the database
    return Outgoing(
        id=message.id,
        kind=message.kind,
        organization_id=message.organization_id,
        payload=dict(message.payload),
        attempts=message.attempts,
        created_at=message.created_at,
    )


def _ours(message_id: int, lease: datetime) -> list[ColumnElement[bool]]:
    # The lease instant doubles as the claim's token: if it changed, the lease ran out and
    # another worker re-claimed the message, and that worker now owns its fate.
    return [
        col(OutboxMessage.id) == message_id,
        col(OutboxMessage.status) == "pending",
        col(OutboxMessage.locked_until) == lease,
    ]


def _mark_sent(engine: Engine, message_id: int, *, at: datetime) -> None:
    with session_scope(engine=engine) as session:
        # Not conditional on the lease or the status: whoever sent it, it is sent.
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) != "sent")
            .values(status="sent", sent_at=at, locked_until=None, last_error=None)
        )


def _mark_failed(
    engine: Engine,
    message: Outgoing,
    *,
    lease: datetime,
    at: datetime,
    error: BaseException,
    permanent: bool,
) -> str | None:
    """Record a failed attempt; returns 'retried' or 'dead', None if the claim was lost."""
    attempts = message.attempts + 1
    dead = permanent or attempts >= MAX_ATTEMPTS
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
    values: dict[str, object] = {"attempts": attempts, "last_error": text, "locked_until": None}
    if dead:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = at + backoff(attempts, message_id=message.id)
    with session_scope(engine=engine) as session:
        result = session.exec(update(OutboxMessage).where(*_ours(message.id, lease)).values(values))
        if result.rowcount == 0:
            return None
    return "dead" if dead else "retried"


def _release(engine: Engine, messages: Sequence[Outgoing], *, lease: datetime) -> None:
    """Hand unsent claims back at once rather than making them wait for the lease to expire."""
    if not messages:
        return
    with session_scope(engine=engine) as session:
        for message in messages:
            session.exec(
                update(OutboxMessage).where(*_ours(message.id, lease)).values(locked_until=None)
            )


def deliver_due(
    *,
    now: datetime | None = None,
    limit: int = 20,
    sender: Sender,
    lease_seconds: float = LEASE_SECONDS,
    engine: Engine | None = None,
    stop_event: threading.Event | None = None,
) -> DeliveryReport:
    """Claim due messages, send them outside any transaction, record each outcome."""
    engine = engine or get_engine()

    def clock() -> datetime:
        # A fixed ``now`` (tests, replays) stamps everything; otherwise the real clock.
        return now if now is not None else utcnow()

    claimed_at = time.monotonic()
    claim_now = clock()
    with session_scope(engine=engine) as session:
        claimed = claim(
            session,
            now=claim_now,
            limit=limit,
            lease_seconds=lease_seconds,
            kinds=sorted(sender.kinds),
        )
        messages = [_snapshot(message) for message in claimed]
    lease = claim_now + timedelta(seconds=lease_seconds)
    sending_window = lease_seconds - min(LEASE_GUARD_SECONDS, lease_seconds / 2)
    counts = {"sent": 0, "retried": 0, "dead": 0}
    for index, message in enumerate(messages):
        out_of_time = time.monotonic() - claimed_at > sending_window
        if (stop_event is not None and stop_event.is_set()) or out_of_time:
            rest = messages[index:]
            _release(engine, rest, lease=lease)
            logger.info("outbox: released %d claimed message(s) unsent", len(rest))
            return DeliveryReport(**counts, released=len(rest))
        outcome = _deliver_one(engine, sender, message, lease=lease, clock=clock)
        if outcome is not None:
            counts[outcome] += 1
    return DeliveryReport(**counts)


def _deliver_one(
    engine: Engine,
    sender: Sender,
    message: Outgoing,
    *,
    lease: datetime,
    clock: Callable[[], datetime],
) -> str | None:
    try:
        sender.send(message)
    except Exception as exc:  # any failure of a send is recorded on the row, never lost
        outcome = _mark_failed(
            engine,
            message,
            lease=lease,
            at=clock(),
            error=exc,
            permanent=isinstance(exc, PermanentDeliveryError),
        )
        log = logger.error if outcome == "dead" else logger.warning
        log(
            "outbox: message %d (%s) attempt %d failed, %s: %s",
            message.id,
            message.kind,
            message.attempts + 1,
            outcome or "claim lost",
            exc,
        )
        return outcome
    _mark_sent(engine, message.id, at=clock())
    logger.info("outbox: message %d (%s) sent", message.id, message.kind)
    return "sent"


def drain(
    *,
    sender: Sender,
    limit: int = 20,
    engine: Engine | None = None,
    stop_event: threading.Event | None = None,
) -> DeliveryReport:
    """Deliver everything due now, batch after batch; returns the totals."""
    totals = DeliveryReport()
    while stop_event is None or not stop_event.is_set():
        report = deliver_due(sender=sender, limit=limit, engine=engine, stop_event=stop_event)
        totals = DeliveryReport(
            sent=totals.sent + report.sent,
            retried=totals.retried + report.retried,
            dead=totals.dead + report.dead,
            released=totals.released + report.released,
        )
        # A short batch means nothing more is due (failures are rescheduled ≥ 27 s ahead).
        if report.claimed < limit:
            break
    return totals


def run_forever(
    stop_event: threading.Event,
    interval_s: float = 5.0,
    *,
    sender: Sender | None = None,
    limit: int = 20,
    engine: Engine | None = None,
    tick: Callable[[], None] | None = None,
) -> None:
    """Deliver until ``stop_event`` is set; a send in progress finishes, then the loop exits.

    ``tick`` runs once per pass (the worker's other housekeeping; it rate-limits itself).
    """
    if sender is None:
        sender = sender_from_settings(get_settings())
    logger.info("outbox worker started (every %.1f s)", interval_s)
    failures = 0
    while not stop_event.is_set():
        try:
            drain(sender=sender, limit=limit, engine=engine, stop_event=stop_event)
            if tick is not None:
                tick()
            failures = 0
        except Exception:
            # The database may be briefly away (restart, failover): keep the worker alive and
            # back off a little, up to a minute, instead of dying or spinning.
            failures += 1
            logger.exception("outbox worker: delivery pass failed")
        stop_event.wait(min(interval_s * 2 ** min(failures, 10), max(interval_s, 60.0)))
    logger.info("outbox worker stopped")
