"""Test data: plain ``create_*(session, **overrides)`` functions."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.organizations import service as organization_service
from app.organizations.models import Organization

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def create_organization(session: Session, **overrides: Any) -> Organization:
    """An organization with a unique name."""
    name = overrides.pop("name", f"Org {next(_counter)}")
    return organization_service.create(session, name=name, **overrides)


def create_user(
    session: Session,
    *,
    organization: Organization | None = None,
    role: Role | str = Role.admin,
    password: str = PASSWORD,
    **overrides: Any,
) -> User:
    """A staff user (admin unless told otherwise) in a new or given organization."""
    organization = organization or create_organization(session)
    n = next(_counter)
    return auth_service.create_user(
        session,
        organization=organization,
        email=overrides.pop("email", f"user{n}@example.com"),
        full_name=overrides.pop("full_name", f"User {n}"),
        role=role,
        password=password,
        **overrides,
    )


def auth_headers(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for ``user``, obtained through the real token endpoint."""
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token printed in a page's forms."""
    import re

    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login_browser(client: TestClient, user: User, password: str = PASSWORD) -> None:
    """Sign ``user`` in through the login form, leaving the session cookie on the client."""
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


SCREENING = {
    "education": "master",
    "languages": [{"language": "en", "cefr_self": "B2"}],
    "years_sales": 6,
    "years_key_accounts": 4,
    "client_base_size": 25,
    "salary_expectation_monthly": 3800,
}


#: The six questionnaires of bank v1: most tests exercise the machinery on their fixed items.
V1_BANK = ["analysis", "business-sense", "commercial-knowledge", "communication", "english",
           "stress-resistance"]


def create_position(session: Session, *, actor: User, v2: bool = False, **overrides: Any):  # type: ignore[no-untyped-def]
    """A position on bank v1 (its six questionnaires, pinned to version 1) unless told
    otherwise; ``v2=True`` gives the default battery of bank v2, as a new position gets it."""
    from app.positions import service as position_service
    from app.positions.schemas import PositionCreate

    if not v2:
        keys = overrides.setdefault("questionnaires", list(V1_BANK))
        overrides.setdefault("questionnaire_versions", dict.fromkeys(keys, 1))
        if "english" not in keys:
            overrides.setdefault("language_hurdle", None)
    data = PositionCreate(title=overrides.pop("title", "Key Account Manager"), **overrides)
    return position_service.create(session, data=data, actor=actor)


def invite_candidate(session: Session, *, position, actor: User, **overrides: Any):  # type: ignore[no-untyped-def]
    """A candidate invited to ``position``; returns (candidate, token)."""
    from app.candidates import service as candidate_service
    from app.candidates.schemas import CandidateCreate

    n = next(_counter)
    data = CandidateCreate(
        full_name=overrides.pop("full_name", f"Candidate {n}"),
        email=overrides.pop("email", f"candidate{n}@example.com"),
        **overrides,
    )
    candidate, _invitation, token = candidate_service.invite(
        session, position=position, data=data, actor=actor, base_url="http://testserver"
    )
    return candidate, token


def form_shown_again(response):  # type: ignore[no-untyped-def]
    """A staff form posted with mistakes: the answer was a 303 to the form's page, and that
    page (a GET, so a reload never resubmits) shows the form again with the typed values and
    the errors (app/core/form_drafts.py). Returns the page."""
    assert [r.status_code for r in response.history] == [303], (response.status_code,
                                                                response.text[:500])
    assert response.request.method == "GET" and "draft=" in str(response.request.url)
    assert response.status_code == 200
    return response


def follow_draft(client: TestClient, response):  # type: ignore[no-untyped-def]
    """``form_shown_again`` for a post sent with ``follow_redirects=False``: the 303 to the
    form's page, then that page. Returns the page."""
    assert response.status_code == 303, (response.status_code, response.text[:500])
    assert "draft=" in response.headers["location"], response.headers["location"]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    return page
