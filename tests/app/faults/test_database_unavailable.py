"""The database goes away under a running app: 503 with a retry hint, then recovery.

Every backend: each kind of "database unavailable" error SQLAlchemy raises becomes a 503 with
``Retry-After`` (JSON under /api, a page elsewhere), never a 500.

PostgreSQL: the app talks to the database through a TCP proxy that the test cuts and
restores (a database restart, seen from the app). Saves fail with 503 while it is down and
succeed again once it is back, with no restart of the app: the pool's pre-ping throws away
the dead connections and opens new ones.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.errors import UNAVAILABLE
from tests.app.faults.proxy import CuttableProxy
from tests.conftest import BACKEND, use_database

RAISED = {
    "operational": OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    "interface": InterfaceError("SELECT 1", {}, Exception("connection already closed")),
    "disconnection": DisconnectionError("connection invalidated"),
    "pool-timeout": PoolTimeout("QueuePool limit of size 20 overflow 0 reached"),
}


@pytest.fixture
def failing_client(private_app):  # type: ignore[no-untyped-def]
    """An app with routes that raise each database error (API and page)."""
    app = private_app

    def failing(error: Exception):  # type: ignore[no-untyped-def]
        def fail() -> None:
            raise error

        return fail

    for name, error in RAISED.items():
        app.add_api_route(f"/api/v1/_fail/{name}", failing(error))
        app.add_api_route(f"/_fail/{name}", failing(error))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("name", sorted(RAISED))
def test_database_errors_are_503_with_retry_after_on_the_api(failing_client, name):
    response = failing_client.get(f"/api/v1/_fail/{name}")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"detail": UNAVAILABLE}


def test_database_errors_are_a_503_page_for_browsers(failing_client):
    response = failing_client.get("/_fail/operational", headers={"Accept": "text/html"},
                                  params={"lang": "it"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("text/html")
    assert "momentaneamente non disponibile" in response.text


@pytest.fixture
def proxied_database(fresh_database):  # type: ignore[no-untyped-def]
    """A migrated database the app reaches through a cuttable proxy."""
    from app.bank import service as bank_service
    from app.core.db import get_engine, session_scope
    from app.core.migrations import upgrade

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    url = make_url(fresh_database)
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432)).start()
    get_engine().dispose()
    use_database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False))
    try:
        yield proxy
    finally:
        get_engine().dispose()  # close the proxied connections before the proxy goes
        proxy.stop()
        use_database(fresh_database)


@pytest.mark.skipif(BACKEND != "postgresql", reason="a network hop to cut: PostgreSQL")
def test_postgresql_outage_gives_503_then_recovers_without_restarting_the_app(proxied_database):
    from app.main import create_app
    from tests.app.ops.conftest import start_attempts, stored_answers

    proxy = proxied_database
    plan = start_attempts(1)[0]
    first, second, third = plan[0], plan[1], plan[2]

    def save(client: TestClient, job) -> object:  # type: ignore[no-untyped-def]
        return client.put(f"/api/v1/assessments/{job.token}/answers/{job.item_id}",
                          json={"value": job.value}, headers={"User-Agent": "kam-ops-tests"})

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert save(client, first).status_code == 200

        proxy.cut()
        down = save(client, second)
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"] == "5"
        assert down.json() == {"detail": UNAVAILABLE}
        assert client.get("/readyz").status_code == 503
        page = client.get(f"/a/{second.token}", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "briefly unavailable" in page.text

        proxy.restore()
        assert client.get("/readyz").status_code == 200
        assert save(client, second).status_code == 200
        assert save(client, third).status_code == 200

    stored = stored_answers(os.environ["KAM_DATABASE_URL"])
    assert {job.item_id for job in (first, second, third)} <= {
        item for (_attempt, item) in stored}
