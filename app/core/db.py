"""Engine, sessions and the SQLite discipline (WAL, busy timeout, BEGIN IMMEDIATE).

SQLite: every connection runs in WAL mode with foreign keys on and a 5 s busy timeout.
pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves:
``BEGIN IMMEDIATE`` for sessions that write (they take the write lock up front, so two
writers queue on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade), plain deferred ``BEGIN`` for read-only sessions so readers
never wait for writers.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import logging
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import Engine, MetaData, Table, create_engine, event
from sqlalchemy.orm import Mapped
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, SQLModel, col

from app.core.config import Settings, get_settings

# The constraint naming convention is set in app/__init__.py, before any table exists.
metadata: MetaData = SQLModel.metadata

READ_ONLY = "kam_read_only"
SQLITE_BUSY_TIMEOUT_MS = 5000
GATE_WAIT_S = 30


class _WriteGate:
    """One writing transaction at a time per SQLite file, handed over without sleeping.

    SQLite's busy handler polls: a writer that finds the lock taken sleeps 1, 2, 5, 10 ... up
    to 100 ms and tries again, so under load most of a save's time is spent asleep while the
    lock sits free (measured: 92 saves/s and p95 1.6 s with 100 candidates on one worker).
    Writers therefore queue before ``BEGIN IMMEDIATE``: the threads of a process on a lock,
    which hands over the moment it is released, and the processes (``kam serve --workers N``)
    on an ``flock`` of ``<database>-writelock`` that the current holder retries every
    millisecond. Without the file lock a process whose threads hand the write lock to each
    other starves the other process's poller, which then fails with "database is locked".

    A writer that has waited ``GATE_WAIT_S`` goes ahead to ``BEGIN IMMEDIATE`` anyway (and
    SQLite's busy timeout decides), so nothing waits here forever. That is longer than the
    busy timeout because a queue that moves is no reason to fail: under overload a save
    answered late beats a "database is locked".
    """

    def __init__(self, lock_path: str | None) -> None:
        self._lock = threading.Lock()
        self._owner: Any = None
        self._lock_path = lock_path
        self._fd: int | None = None
        self._holds_file = False

    def enter(self, dbapi_connection: Any) -> None:
        """Wait for our turn (at most ``GATE_WAIT_S``) before beginning to write."""
        deadline = time.monotonic() + GATE_WAIT_S
        if not self._lock.acquire(timeout=GATE_WAIT_S):
            return
        self._owner = dbapi_connection
        fd = self._file()
        while fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.001)
                continue
            self._holds_file = True
            return

    def leave(self, dbapi_connection: Any) -> None:
        """The transaction of ``dbapi_connection`` has ended: let the next writer in."""
        if self._owner is not None and self._owner is dbapi_connection:
            self._owner = None
            if self._holds_file and self._fd is not None:
                self._holds_file = False
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()

    def _file(self) -> int | None:
        if self._fd is None and self._lock_path is not None:
            try:
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                self._lock_path = None  # a read-only directory: the busy timeout alone
        return self._fd


_gates: dict[str, _WriteGate] = {}
_gates_lock = threading.Lock()


def _gate_for(engine: Engine) -> _WriteGate:
    """The gate of the engine's database file, shared by every engine of this process."""
    database = engine.url.database
    key = str(database or ":memory:")
    on_disk = database is not None and database not in ("", ":memory:") and (
        not database.startswith("file:")
    )
    with _gates_lock:
        if key not in _gates:
            _gates[key] = _WriteGate(f"{database}-writelock" if on_disk else None)
        return _gates[key]


def _raw(connection: Any) -> Any:
    return getattr(connection, "dbapi_connection", connection)


def _install_write_gate(engine: Engine) -> None:
    gate = _gate_for(engine)
    dialect = engine.dialect
    commit, rollback, close = dialect.do_commit, dialect.do_rollback, dialect.do_close

    # The dialect instance belongs to this engine alone; COMMIT, ROLLBACK (also the pool's
    # reset on return) and close all end the transaction, after which the gate opens.
    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    def do_close(dbapi_connection: Any) -> None:
        try:
            close(dbapi_connection)
        finally:
            gate.leave(_raw(dbapi_connection))

    # Ignored: the dialect's methods are wrapped on purpose (per engine), which mypy forbids.
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    dialect.do_close = do_close  # type: ignore[method-assign]

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY, False):
            conn.exec_driver_sql("BEGIN")
            return
        raw = _raw(conn.connection)
        gate.enter(raw)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(raw)
            raise


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite; _on_begin emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    _install_write_gate(engine)


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` with a pool sized to the thread pool."""
    url = settings.database_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None and path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            poolclass=QueuePool,
            pool_size=settings.worker_threads,
            max_overflow=0,
            pool_timeout=30,
        )
        _install_sqlite_hooks(engine)
        return engine
    return create_engine(
        url,
        pool_size=settings.worker_threads,
        max_overflow=0,
        pool_timeout=30,
        pool_pre_ping=True,
    )


_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine, built from the settings on first use."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings())
    return _engine


def swap_engine(engine: Engine | None) -> Engine | None:
    """Replace the process-wide engine (None: build anew on next use); returns the old one."""
    global _engine
    previous, _engine = _engine, engine
    return previous


_read_only_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def _read_only(engine: Engine) -> Engine:
    # One option-engine per engine: making one per request costs more than the read itself.
    bound = _read_only_engines.get(engine)
    if bound is None:
        bound = _read_only_engines[engine] = engine.execution_options(**{READ_ONLY: True})
    return bound


def pk(row: Any) -> int:
    """The primary key of a stored row. SQLModel types ``id`` as ``int | None`` (None until
    the first flush); a row read from the database, or flushed, has one."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return int(row.id)


def id_of(model: Any) -> Mapped[int]:
    """SQL: the ``id`` column of a table model, for selecting ids. SQLModel types it
    ``int | None`` (None on a row until its first flush); read back, a primary key is never
    NULL."""
    column: Mapped[int] = col(model.id)
    return column


def table_of(model: Any) -> Table:
    """The Core table of a table model (SQLModel sets ``__table__`` without declaring it)."""
    table: Table = model.__table__
    return table


def session_for(engine: Engine, *, read_only: bool = False) -> Session:
    """A session; read-only ones open deferred transactions on SQLite."""
    return Session(bind=_read_only(engine) if read_only else engine, expire_on_commit=False)


@contextmanager
def session_scope(
    *, read_only: bool = False, engine: Engine | None = None
) -> Iterator[Session]:
    """A unit of work outside a request (CLI, worker): commit on success, roll back on error;
    on ``engine``, else the service's."""
    session = session_for(engine or get_engine(), read_only=read_only)
    try:
        yield session
        if not read_only:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- request sessions ------------------------------------------------------------------------
#
# Sync handlers and dependencies run in the AnyIO thread pool (``KAM_WORKER_THREADS`` threads,
# one database connection each). A request's transaction, and on SQLite the process's write
# gate, must end in the thread that ran the work: ending it later, in the dependency's async
# teardown, needs a thread of that same pool, which under load is held by requests queued on
# the very lock the failed request still holds, and the whole service freezes (seen: minutes,
# after twenty concurrent 404s). So every session a request opens is registered here, and
#
# * every endpoint runs through ``SessionRoute``, which closes the request's sessions in the
#   endpoint's own thread whatever ends it (return, HTTPException, any exception);
# * sync dependencies that touch a session are decorated with ``@ends_transactions``, which
#   does the same when the dependency returns or raises;
# * the async teardown only finds sessions without a transaction; should one still hold one
#   (a missed dependency), it is closed on a thread outside the request pool, shielded from
#   cancellation (a client that disconnects), and logged as a bug.

log = logging.getLogger("kam.db")

_request_sessions: ContextVar[list[Session] | None] = ContextVar(
    "kam_request_sessions", default=None
)
# Closing a forgotten transaction must never wait for a thread of the request pool.
_closer = anyio.CapacityLimiter(2)

P = ParamSpec("P")
R = TypeVar("R")


class RequestSessions:
    """Pure ASGI middleware: each request gets its own list of sessions.

    A server runs each request in a task of its own, but an in-process client (httpx's
    ASGITransport) runs them all in one task: without a fresh list per request, the list
    would keep every session ever opened and each request would close them all again.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _request_sessions.set([])
        try:
            await self.app(scope, receive, send)
        finally:
            _request_sessions.reset(token)


def _register(session: Session) -> Session:
    sessions = _request_sessions.get()
    if sessions is None:
        # Outside RequestSessions (a dependency called directly): a list for this context,
        # which the endpoint's thread copies.
        sessions = []
        _request_sessions.set(sessions)
    sessions.append(session)
    return session


def end_request_transactions() -> None:
    """End every transaction of the current request's sessions, in this thread.

    Closing rolls back whatever was not committed and returns the connection (on SQLite the
    write gate opens); the session stays usable, and objects already loaded keep their values.
    """
    for session in _request_sessions.get() or ():
        session.close()


def ends_transactions(call: Callable[P, R]) -> Callable[P, R]:
    """Decorate a sync dependency that uses a request session: when it returns or raises, the
    request's transactions end in its thread (the endpoint opens its own afterwards)."""

    @functools.wraps(call)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        finally:
            end_request_transactions()

    # Ignored: a marker attribute on a function, read by the SessionRoute check.
    run.__kam_ends_transactions__ = True  # type: ignore[attr-defined]
    return run


class SessionRoute(APIRoute):
    """An API route whose endpoint ends the request's transactions in its own thread.

    Every router of the app uses it (``APIRouter(route_class=SessionRoute)``); a test checks.
    Async endpoints must not touch a session (they would block the event loop); they are
    left as they are.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = ends_transactions(endpoint)
        super().__init__(path, endpoint, **kwargs)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Request-scoped session: read-only for GET/HEAD, writing otherwise. The handler commits."""
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    session = _register(session_for(get_engine(), read_only=read_only))
    try:
        yield session
    finally:
        await _close(session)


async def get_read_session() -> AsyncIterator[Session]:
    """A read-only session whatever the method: on SQLite its transaction takes no write
    lock, so a writing handler can check everything before it begins to write."""
    session = _register(session_for(get_engine(), read_only=True))
    try:
        yield session
    finally:
        await _close(session)


async def get_write_session() -> AsyncIterator[Session]:
    """A writing session for the few GET handlers that change state (e.g. finalizing on access)."""
    session = _register(session_for(get_engine()))
    try:
        yield session
    finally:
        await _close(session)


async def _close(session: Session) -> None:
    """Close a request's session after the response.

    The session dependencies are async so that making and closing a session costs no trip
    through the thread pool. By now the endpoint (``SessionRoute``) or the dependency
    (``@ends_transactions``) has ended the transaction in its own thread, so closing does no
    I/O. A transaction still open here is a bug: it is closed all the same, on a thread
    outside the request pool and shielded from cancellation, so the gate opens at once.
    """
    if not session.in_transaction():
        session.close()
        return
    log.error("a request ended with its database transaction still open; closing it aside")
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(session.close, limiter=_closer)


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
