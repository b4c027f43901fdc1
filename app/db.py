"""Engine, sessions and the SQLite discipline (WAL, busy timeout, BEGIN IMMEDIATE).

SQLite: every connection runs in WAL mode with foreign keys on and a 5 s busy timeout.
pysqlite's own transaction handling is switched off so that we emit BEGIN ourselves:
``BEGIN IMMEDIATE`` for sessions that write (they take the write lock up front, so two
writers queue on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade), plain deferred ``BEGIN`` for read-only sessions so readers
never wait for writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, SQLModel

from app.config import Settings, get_settings

# The constraint naming convention is set in app/__init__.py, before any table exists.
metadata: MetaData = SQLModel.metadata

READ_ONLY = "kam_read_only"
SQLITE_BUSY_TIMEOUT_MS = 5000


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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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


def session_for(engine: Engine, *, read_only: bool = False) -> Session:
    """A session; read-only ones open deferred transactions on SQLite."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return Session(bind=bind, expire_on_commit=False)


@contextmanager
def session_scope(*, read_only: bool = False) -> Iterator[Session]:
    """A unit of work outside a request (CLI, worker): commit on success, roll back on error."""
    session = session_for(get_engine(), read_only=read_only)
    try:
        yield session
        if not read_only:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped session: read-only for GET/HEAD, writing otherwise. The handler commits."""
    read_only = request.method in ("GET", "HEAD", "OPTIONS")
    session = session_for(get_engine(), read_only=read_only)
    try:
        yield session
    finally:
        session.close()


def get_write_session() -> Iterator[Session]:
    """A writing session for the few GET handlers that change state (e.g. finalizing on access)."""
    session = session_for(get_engine())
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
