"""Test database: real SQLite or PostgreSQL, migrated once with Alembic, each test rolled back.

Choose the backend with ``KAM_TEST_DATABASE=sqlite`` (default) or ``postgresql``
(``KAM_TEST_POSTGRES_URL``, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Every run creates its own throw-away database and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

BACKEND = os.environ.get("KAM_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "KAM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

os.environ["KAM_ENV"] = "test"
os.environ["KAM_SECRET_KEY"] = "test-secret-key-that-is-long-enough-for-anything"
os.environ["KAM_BASE_URL"] = "http://testserver"
os.environ.pop("KAM_SMTP_URL", None)


def pytest_report_header() -> str:
    return f"KAM test database backend: {BACKEND}"


class ThrowAwayDatabases:
    """Creates databases of the chosen backend and drops them all at the end.

    PostgreSQL databases a test is done with are dropped at once in a background thread
    (``drop_soon``), while the next tests run: each DROP DATABASE takes a checkpoint's time.
    """

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kam-test-dropdb")
        self._drops: list[Future[None]] = []

    def create(self) -> str:
        """A new, empty database; returns its URL."""
        name = f"kam_test_{uuid.uuid4().hex[:12]}"
        if BACKEND == "sqlite":
            return f"sqlite:///{self.tmp_dir / (name + '.db')}"
        if BACKEND != "postgresql":
            raise pytest.UsageError("KAM_TEST_DATABASE must be sqlite or postgresql")
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(
            hide_password=False
        )

    def drop_soon(self, url: str) -> None:
        """Drop the PostgreSQL database at ``url`` in the background (SQLite: nothing)."""
        name = make_url(url).database
        if name in self.created:
            self._drops.append(self._dropper.submit(self._drop, [name]))

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this run created."""
        self._dropper.shutdown(wait=True)
        for drop in self._drops:
            drop.result()  # a failed drop fails the run's teardown
        self._drop(list(self.created))

    @staticmethod
    def _drop(names: list[str]) -> None:
        if not names:
            return
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def hash_each_password_once() -> Iterator[None]:
    """Staff passwords are hashed with the production argon2id parameters, once per distinct
    password per run: thousands of test users share a handful of passwords, and each hash
    costs tens of milliseconds by design. Verification (sign-in) is never cached, and
    tests/app/security/test_hardening.py checks the parameters of a stored hash."""
    from app.auth import service as auth_service

    real = auth_service.hash_password
    hashes: dict[str, str] = {}

    def hash_password(password: str) -> str:
        if password not in hashes:
            hashes[password] = real(password)
        return hashes[password]

    patch = pytest.MonkeyPatch()
    patch.setattr(auth_service, "hash_password", hash_password)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowAwayDatabases]:
    factory = ThrowAwayDatabases(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


def use_database(url: str) -> None:
    """Point the app's settings at ``url``; the engine is built on next use."""
    from app.core.config import get_settings
    from app.core.db import swap_engine

    os.environ["KAM_DATABASE_URL"] = url
    get_settings.cache_clear()
    swap_engine(None)


@pytest.fixture(scope="session")
def engine(databases: ThrowAwayDatabases) -> Iterator[Engine]:
    """The run's database, migrated to head once, with the shipped questionnaire bank."""
    from app.bank import service as bank_service
    from app.core.db import get_engine
    from app.core.migrations import upgrade

    use_database(databases.create())
    engine = get_engine()
    with engine.begin() as connection:
        upgrade(connection)
    with Session(engine) as session:
        bank_service.publish(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def shared_app():  # type: ignore[no-untyped-def]
    """One application for the run: FastAPI compiles each router's routes on an app's first
    requests (pydantic models and validators), which cost more than most tests themselves.
    The app keeps no state of its own (rate limits, sessions and the outbox live in the
    database), and each test gets its own ``dependency_overrides`` (see ``app``)."""
    from app.main import create_app

    return create_app()


def _join_requests_to(application, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Make ``application``'s request sessions the test's ``session``."""
    from app.core.db import get_read_session, get_session, get_write_session

    def test_session() -> Iterator[Session]:
        yield session

    overrides = application.dependency_overrides
    overrides.clear()
    overrides[get_session] = test_session
    overrides[get_write_session] = test_session
    overrides[get_read_session] = test_session


@pytest.fixture
def app(shared_app, session: Session):  # type: ignore[no-untyped-def]
    """The application, its request sessions joined to the test's transaction.

    Shared by the run's tests: a test that adds routes or middleware uses ``private_app``."""
    routes, middleware = list(shared_app.routes), list(shared_app.user_middleware)
    _join_requests_to(shared_app, session)
    try:
        yield shared_app
    finally:
        shared_app.dependency_overrides.clear()
    assert shared_app.routes == routes and shared_app.user_middleware == middleware, (
        "this test changed the shared app: use the private_app fixture"
    )


@pytest.fixture
def private_app(session: Session):  # type: ignore[no-untyped-def]
    """An application of the test's own (to add routes to), joined to its transaction."""
    from app.main import create_app

    application = create_app()
    _join_requests_to(application, session)
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """An HTTP client for the app (httpx through Starlette's TestClient)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def fresh_database(databases: ThrowAwayDatabases, engine: Engine) -> Iterator[str]:
    """A separate empty database of the same backend (for CLI and migration tests)."""
    from app.core.config import get_settings
    from app.core.db import get_engine, swap_engine

    previous_url = get_settings().database_url
    url = databases.create()
    use_database(url)
    try:
        yield url
    finally:
        get_engine().dispose()
        os.environ["KAM_DATABASE_URL"] = previous_url
        get_settings.cache_clear()
        swap_engine(engine)
        databases.drop_soon(url)
