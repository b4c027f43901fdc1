"""Rate limits held in the database (so every worker shares them): guessed invitation links,
invitations sent, failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.core.clock import utcnow
from app.core.config import get_settings
from app.ops import ratelimit
from app.ops.ratelimit import INVITATIONS, TOKEN_MISSES, Limit, RateEvent
from tests.factories import (
    PASSWORD,
    auth_headers,
    create_position,
    create_user,
    csrf_token,
    invite_candidate,
    login_browser,
)

UNKNOWN = "an-unknown-invitation-token-{n:04d}"


@pytest.fixture
def invited(session):  # type: ignore[no-untyped-def]
    """An HR user, an open position and one candidate's valid link."""
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    _candidate, token = invite_candidate(session, position=position, actor=hr)
    return hr, position, token


def _misses(session, subject: str = "testclient") -> int:  # type: ignore[no-untyped-def]
    key = TOKEN_MISSES.key(subject)
    return len(session.exec(select(RateEvent).where(RateEvent.key == key)).all())


# --- guessed invitation links -------------------------------------------------------------


def test_guessing_links_on_the_api_and_the_pages_ends_in_429(client, session, invited):
    _hr, _position, token = invited
    limit = TOKEN_MISSES.max_events
    for n in range(limit):  # API and pages count together
        path = (
            f"/api/v1/assessments/{UNKNOWN.format(n=n)}" if n % 2 else f"/a/{UNKNOWN.format(n=n)}"
        )
        assert client.get(path).status_code == 404
    blocked = client.get(f"/api/v1/assessments/{UNKNOWN.format(n=limit)}")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 600
    assert "Too many invalid assessment links" in blocked.json()["detail"]
    page = client.get(f"/a/{UNKNOWN.format(n=limit + 1)}?lang=it", headers={"Accept": "text/html"})
    assert page.status_code == 429
    assert "Troppi link" in page.text and page.headers["retry-after"]
    # Blocked guesses are not stored: an attacker cannot grow the table.
    assert _misses(session) == limit
    # A candidate with a valid link behind the same address is not slowed down.
    assert client.get(f"/api/v1/assessments/{token}").status_code == 200
    assert client.get(f"/a/{token}").status_code == 200
    # Another address is not affected either.
    elsewhere = TestClient(client.app, client=("198.51.100.7", 50000))
    assert elsewhere.get(f"/api/v1/assessments/{UNKNOWN.format(n=99)}").status_code == 404


def test_a_link_that_keeps_getting_409_is_slowed_down(client, session, invited):
    from app.ops.ratelimit import TOKEN_CONFLICTS
    from tests.factories import SCREENING

    _hr, _position, token = invited
    state = client.post(f"/api/v1/assessments/{token}/start",
                        json={"consent": True, "screening": SCREENING}).json()
    item = state["current_section"]["items"][0]
    assert client.post(f"/api/v1/assessments/{token}/submit").status_code == 200
    save = f"/api/v1/assessments/{token}/answers/{item['id']}"
    value = {"value": item["options"][0]["id"]}
    for _ in range(TOKEN_CONFLICTS.max_events):
        assert client.put(save, json=value).status_code == 409
    slowed = client.put(save, json=value)
    assert slowed.status_code == 429
    assert 0 < int(slowed.headers["retry-after"]) <= 60
    # Every write of the link waits now, without touching the database...
    assert client.post(f"/api/v1/assessments/{token}/submit").status_code == 429
    # ...but the page can still read where the candidate is.
    assert client.get(f"/api/v1/assessments/{token}").json()["status"] == "completed"


def test_withdrawn_and_valid_links_do_not_count(client, session, invited):
    hr, _position, token = invited
    headers = auth_headers(client, hr)
    for _ in range(3):
        assert client.get(f"/api/v1/assessments/{token}").status_code == 200
    from app.candidates.models import Candidate

    candidate = session.exec(select(Candidate)).all()[-1]
    client.post(f"/api/v1/candidates/{candidate.id}/revoke", headers=headers)
    assert client.get(f"/api/v1/assessments/{token}").status_code == 410
    assert _misses(session) == 0


def test_a_known_token_is_remembered_for_a_while_and_the_memory_is_bounded(monkeypatch):
    """The guard looks a valid token up once, then lets it through from memory until the
    entry expires; a full memory starts again empty rather than growing."""
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    known = ratelimit._KnownTokens(ttl_s=60, max_entries=2)
    known.add("a")
    assert "a" in known and "b" not in known
    clock[0] += 61
    assert "a" not in known
    known.add("b")  # the expired a still takes a place: the memory is full now
    known.add("c")  # ... so it starts again with c alone
    assert "c" in known and "b" not in known


def test_guesses_older_than_the_window_are_forgotten(client, session):
    old = utcnow() - TOKEN_MISSES.window - timedelta(seconds=1)
    session.add_all(
        RateEvent(key=TOKEN_MISSES.key("testclient"), created_at=old)
        for _ in range(TOKEN_MISSES.max_events)
    )
    session.flush()
    assert client.get(f"/api/v1/assessments/{UNKNOWN.format(n=1)}").status_code == 404
    # Recording a new miss dropped this address's expired rows.
    assert _misses(session) == 1
    assert ratelimit.purge(session) == 0


def test_purge_drops_what_every_limit_has_forgotten(session):
    from app.auth.models import LoginAttempt

    now = utcnow()
    longest = max(limit.window for limit in ratelimit.LIMITS)
    login_window = timedelta(minutes=get_settings().login_window_minutes)
    session.add(RateEvent(key="invite:user:1", created_at=now - longest - timedelta(seconds=1)))
    session.add(RateEvent(key="invite:user:1", created_at=now - timedelta(seconds=5)))
    session.add(
        LoginAttempt(
            email="a@example.com",
            ip="192.0.2.1",
            created_at=now - login_window - timedelta(seconds=1),
        )
    )
    session.add(LoginAttempt(email="a@example.com", ip="192.0.2.1", created_at=now))
    session.flush()
    assert ratelimit.purge(session, now=now) == 2
    assert len(session.exec(select(RateEvent)).all()) == 1
    assert len(session.exec(select(LoginAttempt)).all()) == 1


def test_retry_after_counts_down_from_the_oldest_event_in_the_window(session):
    limit = Limit("test", max_events=2, window=timedelta(minutes=10))
    now = utcnow()
    ratelimit.record(session, limit=limit, subject="s", now=now - timedelta(minutes=4))
    assert ratelimit.retry_after(session, limit=limit, subject="s", now=now) is None
    ratelimit.record(session, limit=limit, subject="s", now=now - timedelta(minutes=1))
    assert ratelimit.retry_after(session, limit=limit, subject="s", now=now) == 6 * 60
    assert ratelimit.retry_after(session, limit=limit, subject="other", now=now) is None


# --- invitations ------------------------------------------------------------------------------


@pytest.fixture
def small_invitation_limit(monkeypatch):  # type: ignore[no-untyped-def]
    """Three invitations an hour, so the test sends few e-mails."""
    limit = Limit(INVITATIONS.name, max_events=3, window=INVITATIONS.window)
    monkeypatch.setattr(ratelimit, "INVITATIONS", limit)
    return limit


def test_invitations_are_limited_per_user_across_api_resend_and_page(
    client, session, invited, small_invitation_limit
):
    hr, position, _token = invited
    headers = auth_headers(client, hr)
    url = f"/api/v1/positions/{position.id}/candidates"
    first = client.post(url, headers=headers, json={"full_name": "A", "email": "a@example.com"})
    assert first.status_code == 201
    # A refused invitation (bad input) does not count.
    assert client.post(url, headers=headers, json={"full_name": "B"}).status_code == 422
    resent = client.post(f"/api/v1/candidates/{first.json()['id']}/resend", headers=headers)
    assert resent.status_code == 200
    assert (
        client.post(
            url, headers=headers, json={"full_name": "C", "email": "c@example.com"}
        ).status_code
        == 201
    )
    blocked = client.post(url, headers=headers, json={"full_name": "D", "email": "d@example.com"})
    assert blocked.status_code == 429
    assert "at most 3 an hour" in blocked.json()["detail"]
    assert 0 < int(blocked.headers["retry-after"]) <= 3600
    again = client.post(f"/api/v1/candidates/{first.json()['id']}/resend", headers=headers)
    assert again.status_code == 429
    # The invitation form on the position page shares the budget.
    login_browser(client, hr)
    page = client.post(
        f"/positions/{position.id}/candidates",
        data={
            "full_name": "E",
            "email": "e@example.com",
            "csrf_token": csrf_token(client, f"/positions/{position.id}"),
        },
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 429
    # Another user of the same organization has a budget of their own.
    colleague = create_user(session, role="hr", organization=_organization(session, hr))
    other = client.post(
        url,
        headers=auth_headers(client, colleague),
        json={"full_name": "F", "email": "f@example.com"},
    )
    assert other.status_code == 201


def _organization(session, user):  # type: ignore[no-untyped-def]
    from app.organizations.models import Organization

    return session.get(Organization, user.organization_id)


def test_the_default_invitation_limit_is_200_an_hour(client, session, invited):
    hr, position, _token = invited
    now = utcnow()
    session.add_all(
        RateEvent(key=INVITATIONS.key(f"user:{hr.id}"), created_at=now - timedelta(minutes=59))
        for _ in range(200)
    )
    session.flush()
    response = client.post(
        f"/api/v1/positions/{position.id}/candidates",
        headers=auth_headers(client, hr),
        json={"full_name": "Late", "email": "late@example.com"},
    )
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 60


# --- sign-in ----------------------------------------------------------------------------------


def test_failed_sign_ins_on_the_page_and_the_api_count_together(client, session):
    user = create_user(session)
    free = get_settings().login_max_failures // 2  # then this address waits for this e-mail
    token = csrf_token(client)
    for n in range(free):
        if n % 2:
            response = client.post(
                "/api/v1/auth/token", data={"username": user.email, "password": "wrong-password"}
            )
        else:
            response = client.post(
                "/login",
                data={"email": user.email, "password": "wrong-password", "csrf_token": token},
            )
        assert response.status_code == 401, n
    # Now even the right password waits, on both (app/auth/throttle.py).
    api = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert api.status_code == 429
    assert int(api.headers["retry-after"]) > 0
    page = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) > 0
    assert "kam_session" not in page.cookies


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(client, session):
    from app.auth.models import LoginAttempt
    from app.auth.service import IP_FAILURE_FACTOR

    limit = get_settings().login_max_failures * IP_FAILURE_FACTOR
    session.add_all(
        LoginAttempt(email=f"nobody{n}@example.com", ip="testclient") for n in range(limit - 1)
    )
    session.flush()
    last = client.post("/api/v1/auth/token", data={"username": "x@example.com", "password": "x"})
    assert last.status_code == 401
    user = create_user(session)
    blocked = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert blocked.status_code == 429


def test_the_limit_holds_across_workers_on_a_real_database(fresh_database):
    """Committed counts in the database, as several workers would share them: the guard's
    own read-only lookup and its write each run in a transaction of their own."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        _candidate, token = invite_candidate(session, position=position, actor=hr)
    # Two app instances stand for two workers: each sees the other's guesses.
    with TestClient(create_app()) as first, TestClient(create_app()) as second:
        for n in range(TOKEN_MISSES.max_events):
            worker = first if n % 2 else second
            assert worker.get(f"/api/v1/assessments/{UNKNOWN.format(n=n)}").status_code == 404
        assert first.get(f"/a/{UNKNOWN.format(n=99)}").status_code == 429
        assert second.get(f"/api/v1/assessments/{token}").status_code == 200
        start = second.post(
            f"/api/v1/assessments/{token}/start",
            json={
                "consent": True,
                "screening": {
                    "education": "master",
                    "languages": [],
                    "years_sales": 1,
                    "years_key_accounts": 0,
                    "client_base_size": 3,
                },
            },
        )
        assert start.status_code == 200, start.text
    with session_scope(read_only=True) as session:
        assert _misses(session) == TOKEN_MISSES.max_events
    # The worker's housekeeping forgets them once every window has passed.
    from app.worker.maintenance import run_once

    run_once(now=utcnow() + max(limit.window for limit in ratelimit.LIMITS))
    with session_scope(read_only=True) as session:
        assert _misses(session) == 0
