"""Rate limits that hold across workers and machines: events in the database, counted over a
sliding window.

The app is stateless, so a counter in process memory would give every worker its own budget.
Each limited action adds a row to ``rate_event`` (``key`` = limit name and subject, e.g.
``token-miss:203.0.113.7``) in the caller's transaction; a check counts the rows of the
window. Concurrent requests may overshoot a limit by a few events, which is fine for abuse
control. Rows older than the longest window are purged by ``kam worker`` (``purge``), and a
key's own old rows whenever it gets a new one.

Login failures keep their own table (``login_attempt``, see ``app.auth.service``): the e-mail
and address there count together across the sign-in page and the token API.
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import Engine, Index, delete, func
from sqlmodel import Field, Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool

from app.auth.security import token_hash
from app.core.clock import utcnow
from app.core.db import (
    READ_ONLY,
    SessionDep,
    SessionRoute,
    WriteSessionDep,
    end_request_transactions,
    ends_transactions,
    session_for,
)
from app.core.errors import N_, Conflict, NotFound, TooManyRequests, UnknownLink
from app.core.i18n import gettext_for


class RateEvent(SQLModel, table=True):
    """One counted action (an unknown invitation token, an invitation sent) for rate limits."""

    __tablename__ = "rate_event"
    __table_args__ = (Index("ix_rate_event_key_created_at", "key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, index=True)


@dataclass(frozen=True)
class Limit:
    """At most ``max_events`` of ``name`` per subject within ``window``."""

    name: str
    max_events: int
    window: timedelta

    def key(self, subject: str) -> str:
        """The ``rate_event.key`` of this limit for one subject (an address, a user id)."""
        return f"{self.name}:{subject}"[:200]


# Invitation tokens carry 256 bits, so guessing one is hopeless; this stops the tools that
# try anyway. Only unknown tokens count: a candidate with a valid link is never slowed down,
# even behind the same address (an office NAT) as someone guessing.
TOKEN_MISSES = Limit("token-miss", max_events=20, window=timedelta(minutes=10))
# Each invitation sends an e-mail: a stolen or runaway HR account must not become a spam cannon.
INVITATIONS = Limit("invite", max_events=200, window=timedelta(hours=1))
# A valid link whose requests keep ending in 409 (saves to a submitted attempt, to closed
# sections) is a script gone wrong or a probe; the page itself drops an answer on its first
# 409. Past the limit the link gets 429 for the rest of the minute; answers a page buffered
# meanwhile are re-sent later (the page treats 429 as "try again"), so none is lost.
TOKEN_CONFLICTS = Limit("token-conflict", max_events=20, window=timedelta(minutes=1))
# "Forgot password" sends an e-mail: at most a few per address and hour, whoever asks.
PASSWORD_RESETS = Limit("password-reset", max_events=3, window=timedelta(hours=1))
LIMITS = (TOKEN_MISSES, INVITATIONS, TOKEN_CONFLICTS, PASSWORD_RESETS)
UNKNOWN_LINK = N_("This assessment link is not valid. Check that you copied all of it.")


def retry_after(
    session: Session, *, limit: Limit, subject: str, now: datetime | None = None
) -> int | None:
    """Seconds until ``subject`` may act again under ``limit``; None when it may act now."""
    now = now or utcnow()
    count, oldest = session.exec(
        select(func.count(), func.min(RateEvent.created_at)).where(
            RateEvent.key == limit.key(subject), RateEvent.created_at > now - limit.window
        )
    ).one()
    if count < limit.max_events:
        return None
    if oldest is None:  # pragma: no cover - a count without rows cannot happen
        return math.ceil(limit.window.total_seconds())
    return max(1, math.ceil((oldest + limit.window - now).total_seconds()))


def record(session: Session, *, limit: Limit, subject: str, now: datetime | None = None) -> None:
    """Count one event for ``subject`` (in the caller's transaction) and drop its expired ones."""
    now = now or utcnow()
    key = limit.key(subject)
    session.exec(
        delete(RateEvent).where(col(RateEvent.key) == key,
                                col(RateEvent.created_at) <= now - limit.window)
    )
    session.add(RateEvent(key=key, created_at=now))
    session.flush()


def too_many(seconds: int, message: str) -> TooManyRequests:
    """The 429 error, with ``Retry-After`` in seconds."""
    return TooManyRequests(message, headers={"Retry-After": str(seconds)})


def enforce(
    session: Session,
    *,
    limit: Limit,
    subject: str,
    message: str,
    now: datetime | None = None,
) -> None:
    """Count one event, or raise 429 when the window is full.

    ``message`` may use ``%(minutes)d`` (until the next try) and ``%(count)d`` (the limit).

    The event is written in the caller's transaction, so an action that fails and rolls back
    does not count.
    """
    seconds = retry_after(session, limit=limit, subject=subject, now=now)
    if seconds is not None:
        minutes = math.ceil(seconds / 60)
        raise too_many(seconds, message % {"minutes": minutes, "count": limit.max_events})
    record(session, limit=limit, subject=subject, now=now)


def enforce_invitations(session: Session, *, user_id: int, language: str = "en") -> None:
    """Count one invitation e-mail sent by a staff user (429 past the hourly limit)."""
    _ = gettext_for(language)
    enforce(
        session,
        limit=INVITATIONS,
        subject=f"user:{user_id}",
        message=_(
            "Too many invitations: at most %(count)d an hour per user. "
            "Try again in %(minutes)d minute(s)."
        ),
    )


def invitations_left(session: Session, *, user_id: int, now: datetime | None = None) -> int:
    """How many more invitation e-mails the user may send within the hour."""
    now = now or utcnow()
    used = session.exec(
        select(func.count()).where(RateEvent.key == INVITATIONS.key(f"user:{user_id}"),
                                   RateEvent.created_at > now - INVITATIONS.window)
    ).one()
    return max(0, INVITATIONS.max_events - used)


def purge(session: Session, *, now: datetime | None = None) -> int:
    """Delete the events every limit has forgotten, failed sign-ins included; returns how
    many rows went (housekeeping, run by the worker)."""
    from app.auth.models import LoginAttempt
    from app.core.config import get_settings

    now = now or utcnow()
    longest = max(limit.window for limit in LIMITS)
    events = session.exec(delete(RateEvent).where(col(RateEvent.created_at) <= now - longest))
    login_window = timedelta(minutes=get_settings().login_window_minutes)
    logins = session.exec(
        delete(LoginAttempt).where(col(LoginAttempt.created_at) <= now - login_window))
    session.flush()
    return (events.rowcount or 0) + (logins.rowcount or 0)


@contextmanager
def _lookup(session: Session) -> Iterator[Session]:
    """A short read-only transaction beside the request's session: on SQLite it takes no
    write lock, even in a request that writes. A session bound to a caller's connection (a
    test's rolled-back transaction) is used as it is, so the lookup sees that data."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        yield session
        session.commit()
        return
    with session_for(bind, read_only=True) as lookup:
        yield lookup


class _KnownTokens:
    """Digests of tokens this process found in the database lately, so the guard looks a
    token up once per ``ttl_s`` instead of before every save.

    Only the guard reads it, and a token once known stays known to the guard (a withdrawn or
    erased link is refused by the handler with 410 anyway), so a stale entry can only spare a
    lookup, never let a guesser through. Bounded: when full it starts again empty.
    """

    def __init__(self, *, ttl_s: float = 600, max_entries: int = 100_000) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._until: dict[str, float] = {}

    def __contains__(self, digest: str) -> bool:
        until = self._until.get(digest)
        return until is not None and until > time.monotonic()

    def add(self, digest: str) -> None:
        """Remember ``digest`` as known for the next ``ttl_s`` seconds."""
        if len(self._until) >= self._max_entries:
            self._until = {}
        self._until[digest] = time.monotonic() + self._ttl_s


known_tokens = _KnownTokens()


async def guard_candidate_token(
    request: Request, session: SessionDep, write_session: WriteSessionDep
) -> None:
    """Count unknown invitation tokens per client address; 404 for each, 429 once an
    address has guessed too many.

    A router dependency of the candidate API and pages. Known tokens (valid, expired or
    withdrawn) pass untouched, and a token seen lately passes without a database lookup (the
    event loop answers it; no trip through the thread pool). An unknown token never reaches
    the handler: the lookup is a read, the miss is counted in its own short transaction
    (whatever the answer: every miss counts), and the 404 is raised here, so a flood of
    made-up links never takes the write lock for more than that one insert.
    """
    token = request.path_params.get("token")
    if not isinstance(token, str):
        return
    digest = token_hash(token)
    if digest in known_tokens:
        return
    await run_in_threadpool(_guard_lookup, request, token, digest, session, write_session)


@ends_transactions
def _guard_lookup(
    request: Request, token: str, digest: str, session: Session, write_session: Session
) -> None:
    from app.auth.dependencies import client_ip
    from app.candidates import service as candidate_service

    subject = client_ip(request)
    with _lookup(session) as lookup:
        known = candidate_service.find_by_token(lookup, token=token) is not None
        seconds = None if known else retry_after(lookup, limit=TOKEN_MISSES, subject=subject)
    if known:
        known_tokens.add(digest)
        return
    # A page in the candidate's language; the API (JSON) answers in English.
    api = request.url.path.startswith("/api/")
    _ = gettext_for("en" if api else request.state.language)
    if seconds is not None:
        raise too_many(
            seconds,
            _(
                "Too many invalid assessment links were opened from your network. Check the "
                "link in your invitation e-mail and try again in %(minutes)d minute(s).",
                minutes=math.ceil(seconds / 60),
            ),
        )
    record(write_session, limit=TOKEN_MISSES, subject=subject)
    write_session.commit()
    # The API's message; pages show the candidate's "link not valid" page instead.
    raise NotFound(UNKNOWN_LINK) if api else UnknownLink(UNKNOWN_LINK)


class _Slowed:
    """Links this process has slowed down lately, until when (monotonic seconds).

    The count lives in the database (every worker adds to it); this only spares a
    slowed link's further requests their database work. Bounded like ``_KnownTokens``.
    """

    def __init__(self, *, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._until: dict[str, float] = {}

    def seconds_left(self, digest: str) -> int | None:
        until = self._until.get(digest)
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            del self._until[digest]
            return None
        return max(1, math.ceil(left))

    def add(self, digest: str, seconds: int) -> None:
        if len(self._until) >= self._max_entries:
            self._until = {}
        self._until[digest] = time.monotonic() + seconds


slowed_links = _Slowed()
SLOWED_MESSAGE = (
    "Too many requests from this assessment link could not be carried out. "
    "Wait %(seconds)d seconds, then reload the page."
)


def _writing_session(arguments: dict[str, Any]) -> Session | None:
    """The endpoint's writing session (a test's shared session counts as one)."""
    for value in arguments.values():
        if isinstance(value, Session):
            bind = value.get_bind()
            if not (isinstance(bind, Engine) and bind.get_execution_options().get(READ_ONLY)):
                return value
    return None


def slows_repeated_conflicts(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a candidate API endpoint: its 409s are counted per link, and past
    ``TOKEN_CONFLICTS`` the link gets 429 with ``Retry-After`` instead."""

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("token")
        digest = token_hash(token) if isinstance(token, str) else None
        if digest is not None and (seconds := slowed_links.seconds_left(digest)):
            raise too_many(seconds, SLOWED_MESSAGE % {"seconds": seconds})
        try:
            return endpoint(*args, **kwargs)
        except Conflict:
            session = _writing_session(kwargs)
            if digest is None or session is None:
                raise
            # The failed work ends first, in this thread, and gives its connections back (a
            # thread that held one while asking for another could starve the pool); the
            # count is a transaction of its own.
            end_request_transactions()
            session.rollback()
            seconds = retry_after(session, limit=TOKEN_CONFLICTS, subject=digest)
            if seconds is None:
                record(session, limit=TOKEN_CONFLICTS, subject=digest)
                session.commit()
                raise
            session.commit()
            slowed_links.add(digest, seconds)
            raise too_many(seconds, SLOWED_MESSAGE % {"seconds": seconds}) from None

    return run


class CandidateApiRoute(SessionRoute):
    """The candidate API's routes: sessions end in the endpoint's thread, repeated 409s
    slow the link down."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # Reads stay open to a slowed link: the page can still show where the candidate is.
        writes = set(kwargs.get("methods") or ()) - {"GET", "HEAD"}
        if writes and not inspect.iscoroutinefunction(endpoint):
            endpoint = slows_repeated_conflicts(endpoint)
        super().__init__(path, endpoint, **kwargs)
