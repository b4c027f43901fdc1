"""The SQLite discipline and the request sessions."""

import threading

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.auth.models import LoginAttempt
from app.core.db import get_engine, session_scope
from app.core.migrations import upgrade
from tests.conftest import BACKEND

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite pragmas")


@sqlite_only
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(session):
    from sqlalchemy.exc import IntegrityError

    from app.auth.models import User

    session.add(User(organization_id=987654, email="orphan@example.com", full_name="O",
                     role="hr", password_hash="x"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_concurrent_writers_all_commit(fresh_database):
    """Twenty threads writing at once: every row lands, no 'database is locked'."""
    upgrade()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with session_scope() as session:
                    session.add(LoginAttempt(email=f"t{n}-{i}@example.com", ip="127.0.0.1"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(read_only=True) as session:
        assert len(session.exec(select(LoginAttempt)).all()) == 200


def test_read_only_sessions_see_committed_data(fresh_database):
    upgrade()
    with session_scope() as session:
        session.add(LoginAttempt(email="r@example.com", ip="1.2.3.4"))
    with session_scope(read_only=True) as session:
        assert session.exec(text("SELECT count(*) FROM login_attempt")).one()[0] == 1
    assert get_engine().pool.size() >= 1


_WRITER = """
import sys, threading, time
import app.core.db
from app.auth.models import LoginAttempt
from app.core.db import session_scope

# A short busy timeout, so that a process starved of the lock fails within the test.
app.core.db.SQLITE_BUSY_TIMEOUT_MS = 300

errors = []

def write(n):
    try:
        for i in range(40):
            with session_scope() as session:
                session.add(LoginAttempt(email=f"p{sys.argv[1]}-{n}-{i}@example.com", ip="::1"))
                session.flush()
                time.sleep(0.003)  # a request's work inside its transaction
    except BaseException as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("\\n".join(errors))
sys.exit(1 if errors else 0)
"""


@sqlite_only
def test_writers_in_several_processes_all_commit(fresh_database):
    """Two processes (as `kam serve --workers 2`) with eight writing threads each: the
    processes queue on the database's write-lock file, so neither starves the other into
    'database is locked' (with the busy timeout alone, one process's threads hand the lock
    to each other while the other's busy handler sleeps and gives up)."""
    import os
    import subprocess
    import sys

    upgrade()
    env = {**os.environ, "KAM_DATABASE_URL": fresh_database, "KAM_WORKER_THREADS": "8"}
    processes = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(p)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for p in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    with session_scope(read_only=True) as session:
        assert len(session.exec(select(LoginAttempt)).all()) == 2 * 8 * 40


def _sync_dependencies(dependant):  # type: ignore[no-untyped-def]
    """Every sync, non-generator callable among a route's dependencies, recursively."""
    import inspect

    for sub in dependant.dependencies:
        call = sub.call
        if call is not None and not (
            inspect.iscoroutinefunction(call) or inspect.isgeneratorfunction(call)
            or inspect.isasyncgenfunction(call)
        ):
            yield call
        yield from _sync_dependencies(sub)


def test_every_route_ends_its_transactions_in_the_thread_that_ran_it(shared_app):
    """A request's transaction must end where the work ran: the endpoint through
    ``SessionRoute``, each sync dependency that takes a session through
    ``@ends_transactions``; no async endpoint takes a session. Otherwise the async teardown
    needs a second thread of the pool while the first still holds the write lock
    (tests/app/faults/test_error_paths_release.py shows what that did to the service)."""
    import inspect

    from fastapi import routing

    from app.core.db import SessionRoute

    missing, checked = [], 0
    for context in routing.iter_route_contexts(shared_app.routes):
        route = context.original_route
        if not isinstance(route, routing.APIRoute):
            continue
        checked += 1
        if not isinstance(route, SessionRoute):
            missing.append(f"{route.path}: not a SessionRoute")
        endpoint_parameters = inspect.signature(route.endpoint).parameters.values()
        if inspect.iscoroutinefunction(route.endpoint) and any(
            "Session" in str(parameter.annotation) for parameter in endpoint_parameters
        ):
            missing.append(f"{route.path}: async endpoint with a session (it would block "
                           "the event loop on every query): make it sync")
        dependant = getattr(context, "dependant", None) or route.dependant
        for call in _sync_dependencies(dependant):
            takes_session = any(
                "Session" in str(parameter.annotation)
                for parameter in inspect.signature(call).parameters.values()
            )
            if takes_session and not getattr(call, "__kam_ends_transactions__", False):
                missing.append(f"{route.path}: dependency {call.__qualname__}")
    assert checked > 50, "the app's routes were not found"
    assert not missing, "\n".join(sorted(set(missing)))


def test_each_request_has_its_own_list_of_sessions(engine):
    """An in-process client runs every request in one task; the sessions of one request
    must not pile up into the next one's list (each request would close them all)."""
    import asyncio

    import httpx
    from fastapi import FastAPI

    from app.core.db import RequestSessions, SessionDep, SessionRoute, _request_sessions

    app = FastAPI()
    app.router.route_class = SessionRoute
    seen: list[int] = []

    @app.get("/count")
    def count(session: SessionDep) -> int:
        seen.append(len(_request_sessions.get() or []))
        return 1

    app.add_middleware(RequestSessions)

    async def three_requests() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(3):
                assert (await client.get("/count")).status_code == 200

    asyncio.run(three_requests())
    assert seen == [1, 1, 1]
    assert _request_sessions.get() is None
