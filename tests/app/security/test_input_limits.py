"""Numbers beyond the database's range are the caller's mistake (4xx), never a 500."""

from __future__ import annotations

import pytest

from app.ops.limits import MAX_ID
from tests.factories import auth_headers, create_position, create_user, login_browser

HUGE = 99_999_999_999  # past PostgreSQL INTEGER and, squared, past SQLite's 64 bits
HUGER = 10**30  # past SQLite's INTEGER too


@pytest.fixture
def admin(session, client):  # type: ignore[no-untyped-def]
    """An admin with an API token, signed in on the client too, and a position."""
    user = create_user(session)
    position = create_position(session, actor=user, questionnaires=["english"])
    headers = auth_headers(client, user)
    login_browser(client, user)
    return headers, position


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/positions/{HUGER}",
        f"/api/v1/positions/{HUGE}",
        f"/api/v1/candidates/{HUGER}/report",
        f"/api/v1/users/{HUGE}",
        f"/api/v1/norms/english/{HUGER}/export",
        f"/candidates/{HUGER}",
        f"/positions/{HUGE}/edit",
        f"/positions/{-HUGER}",
    ],
)
def test_an_id_past_the_range_is_not_found(client, admin, path):
    headers, _position = admin
    response = client.get(
        path, headers=headers if path.startswith("/api/") else {}, follow_redirects=False
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/questionnaires/english?version={huge}"),
        ("GET", "/api/v1/questionnaires/english/item-analysis?version={huge}"),
        ("POST", "/api/v1/cost-comparison?position_id={huge}"),
        ("GET", "/api/v1/positions/{position}/compare?ids={huge},1"),
        ("GET", "/positions/{position}/compare?ids={huge}&ids=1"),
    ],
)
def test_a_number_past_the_range_in_a_query_is_a_4xx(client, admin, method, path):
    headers, position = admin
    url = path.format(huge=HUGE, position=position.id)
    response = client.request(
        method,
        url,
        json={} if method == "POST" else None,
        headers=headers if url.startswith("/api/") else {},
    )
    assert 400 <= response.status_code < 500, response.text


def test_the_largest_id_is_an_ordinary_miss(client, admin):
    headers, _position = admin
    response = client.get(f"/api/v1/positions/{MAX_ID}", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such position."}
