"""CSRF: every state-changing form refuses a missing or foreign token and writes nothing; the
API refuses a change that rests on the browser's session cookie alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from app.assessments.models import Answer, Attempt
from app.audit.models import AuditEntry
from app.auth.models import AuthSession
from app.auth.security import csrf_for, new_token
from app.candidates.models import Candidate, Decision
from app.core.config import get_settings
from app.positions.models import Position
from tests.app.security.test_authorization_matrix import (
    RULES,
    _value,
    app_routes,
    concrete_path,
    is_api,
)
from tests.app.security.world import World, kept_cookies, open_world, rolled_back

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
WATCHED = (AuditEntry, AuthSession, Answer, Attempt, Candidate, Decision, Position)
REFUSAL = "not sent from this site"


@pytest.fixture
def world(session, app, client) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """Organization A and its signed-in callers."""
    with open_world(session, app, client) as opened:
        yield opened


def form_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every page route that changes something (the JSON API is not a form)."""
    return [(m, p) for m, p in app_routes(app) if m in UNSAFE and not is_api(p)]


def counts(session: Session) -> dict[str, int]:
    """Rows of the tables a form could write to."""
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in WATCHED
    }


def test_the_form_routes_are_the_expected_ones(app):
    routes = form_routes(app)
    assert ("POST", "/login") in routes
    assert ("POST", "/a/{token}/start") in routes
    assert all(method == "POST" for method, _path in routes), "forms only POST"


def test_every_form_refuses_a_bad_csrf_token_and_writes_nothing(world, app, session):
    foreign = csrf_for(get_settings().secret_key, new_token())  # another browser's token
    browser = world.browsers["admin"]
    accepted = []
    for method, path in form_routes(app):
        rule = RULES[(method, path)]
        for token in (None, "", foreign, world.csrf("admin")[:-1]):
            data = dict(_value(rule.form, world) or {})
            if token is not None:
                data["csrf_token"] = token
            with rolled_back(session), kept_cookies(browser):
                before = counts(session)
                response = browser.request(
                    method, concrete_path(path, rule, world), data=data, follow_redirects=False
                )
                after = counts(session)
            if response.status_code != 422 or REFUSAL not in response.text or before != after:
                changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
                accepted.append(
                    f"{method} {path} with {token!r}: {response.status_code}, wrote {changed}"
                )
    assert not accepted, "\n".join(accepted)
    # The control: the same browser with its own token gets through.
    response = browser.post(
        f"/candidates/{world.completed_ids[0]}/decision",
        data={"decision": "hold", "note": "ok", "confirm": "1",
              "csrf_token": world.csrf("admin")},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_api_change_with_only_the_session_cookie_needs_the_csrf_header(world):
    browser = world.browsers["hr"]
    body = {"full_name": "Cookie Only", "email": "cookie@example.com"}
    path = f"/api/v1/positions/{world.position_id}/candidates"
    refused = browser.post(path, json=body, headers={"Accept": "application/json"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    wrong = browser.post(path, json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    accepted = browser.post(path, json=body, headers={"X-CSRF-Token": world.csrf("hr")})
    assert accepted.status_code == 201, accepted.text
    # Reading with the cookie stays as it was (the audit page links to a CSV on the API).
    assert browser.get("/api/v1/me", headers={"Accept": "application/json"}).status_code == 200
    # A bearer token needs no CSRF header: no browser sends it by itself.
    bearer = world.api.post(
        path, json={**body, "email": "bearer@example.com"}, headers=world.api_headers["hr"]
    )
    assert bearer.status_code == 201
