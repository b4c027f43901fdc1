"""A request that fails never holds the database for anyone else.

Bursts of requests that all end in an error (unknown links, saves to a submitted attempt,
changes to a position that does not exist) run against a real server on a real database with
its real thread pool. Before the fix, each failed request kept its transaction (on SQLite the
write lock) until a teardown that needed another thread of the same pool, which the queued
requests held while waiting for that very lock: the whole service froze for minutes. Now a
failed request ends its transaction in the thread that ran it, so right after the burst the
health probe, a staff page and a live candidate's save answer at once.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from app.bank import service as bank_service
from app.core.db import session_scope
from app.core.migrations import upgrade
from app.ops.ratelimit import TOKEN_MISSES, RateEvent
from tests.factories import PASSWORD, SCREENING, create_position, create_user, invite_candidate
from tests.live_server import TLS, running_server

BURST = 40
# Generous for a health probe or one save (milliseconds when the service is free), short
# against the minutes a stalled service took.
PROMPT_S = 1.0


@dataclass
class Live:
    base_url: str
    hr_email: str
    position_id: int
    live_token: str
    live_item: dict
    submitted_token: str
    submitted_item_id: str


def _start(client: httpx.Client, base_url: str, token: str) -> dict:
    response = client.post(f"{base_url}/api/v1/assessments/{token}/start",
                           json={"consent": True, "screening": SCREENING})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def live(fresh_database: str) -> Iterator[Live]:
    """A server with one running attempt, one submitted attempt and an HR user."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["stress-resistance"])
        _, live_token = invite_candidate(session, position=position, actor=hr)
        _, submitted_token = invite_candidate(session, position=position, actor=hr)
        hr_email, position_id = hr.email, position.id
    with running_server() as base_url, httpx.Client(timeout=30, verify=TLS) as client:
        live_item = _start(client, base_url, live_token)["current_section"]["items"][0]
        submitted = _start(client, base_url, submitted_token)["current_section"]["items"][0]
        done = client.post(f"{base_url}/api/v1/assessments/{submitted_token}/submit")
        assert done.status_code == 200, done.text
        yield Live(base_url, hr_email, position_id, live_token, live_item, submitted_token,
                   submitted["id"])


def _burst(requests: list[tuple[str, str, dict]]) -> list[int]:
    """Send the requests all at once, each on its own connection; their status codes."""

    def send(request: tuple[str, str, dict]) -> int:
        method, url, kwargs = request
        with httpx.Client(timeout=60, verify=TLS) as client:
            return client.request(method, url, **kwargs).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


@contextmanager
def _signed_in(base_url: str, email: str) -> Iterator[httpx.Client]:
    """A browser-like client with a staff session cookie."""
    with httpx.Client(base_url=base_url, timeout=30, verify=TLS) as client:
        page = client.get("/login", timeout=30)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "no CSRF token on the login page"
        response = client.post("/login", timeout=30, data={
            "email": email, "password": PASSWORD, "csrf_token": csrf.group(1), "next": "/"})
        assert response.status_code == 303, response.text
        yield client


def _probes(live: Live, client: httpx.Client, staff: httpx.Client) -> list:
    """Health, a staff page and a live candidate's save."""
    item = live.live_item
    value = item["options"][0]["id"] if item.get("options") else item["scale"]["min"]
    return [
        ("/healthz", lambda: client.get("/healthz")),
        ("staff page", lambda: staff.get("/positions")),
        ("live save", lambda: client.put(
            f"/api/v1/assessments/{live.live_token}/answers/{item['id']}",
            json={"value": value})),
    ]


@contextmanager
def _prompt_probes(live: Live) -> Iterator[list]:
    """The probes, each run once first (a page's first request compiles its template), so
    that afterwards they measure the service, not warming up."""
    with (httpx.Client(base_url=live.base_url, timeout=30, verify=TLS) as client,
          _signed_in(live.base_url, live.hr_email) as staff):
        probes = _probes(live, client, staff)
        for name, call in probes:
            assert call().status_code == 200, name
        yield probes


def _assert_answer_promptly(probes: list) -> None:
    """Each probe answers 200 within PROMPT_S."""
    for name, call in probes:
        began = time.monotonic()
        response = call()
        took = time.monotonic() - began
        assert response.status_code == 200, (name, response.status_code, response.text)
        assert took < PROMPT_S, f"{name} took {took:.2f} s after the burst"


def test_unknown_links_do_not_stall_the_service(live: Live) -> None:
    urls = [f"{live.base_url}/api/v1/assessments/{secrets.token_urlsafe(32)}/answers/x1"
            for _ in range(BURST)]
    with _prompt_probes(live) as probes:
        statuses = _burst([("PUT", url, {"json": {"value": 1}}) for url in urls])
        _assert_answer_promptly(probes)
    # 404 until the address has guessed too often, then 429: never a 5xx.
    assert set(statuses) <= {404, 429}, statuses
    # Every miss answered 404 was counted (concurrent guesses may pass the limit by a few).
    with session_scope(read_only=True) as session:
        counted = session.exec(select(func.count()).select_from(RateEvent)
                               .where(RateEvent.key == TOKEN_MISSES.key("127.0.0.1"))).one()
    assert counted == statuses.count(404) >= TOKEN_MISSES.max_events


def test_saves_to_a_submitted_attempt_do_not_stall_the_service(live: Live) -> None:
    url = (f"{live.base_url}/api/v1/assessments/{live.submitted_token}"
           f"/answers/{live.submitted_item_id}")
    with _prompt_probes(live) as probes:
        statuses = _burst([("PUT", url, {"json": {"value": 3}})] * BURST)
        _assert_answer_promptly(probes)
    assert set(statuses) <= {409, 429}, statuses
    assert 409 in statuses


def test_changes_to_an_unknown_position_do_not_stall_the_service(live: Live) -> None:
    token = httpx.post(f"{live.base_url}/api/v1/auth/token", verify=TLS, timeout=30,
                       data={"username": live.hr_email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    missing = live.position_id + 10_000
    url = f"{live.base_url}/api/v1/positions/{missing}"
    with _prompt_probes(live) as probes:
        statuses = _burst([("PATCH", url, {"json": {"title": "Renamed"}, "headers": headers})]
                          * BURST)
        _assert_answer_promptly(probes)
    assert statuses == [404] * BURST, statuses
