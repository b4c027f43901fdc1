"""Sessions, password hashing, security headers, cookies and redirects (OWASP ASVS level 2)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.auth.models import AuthSession, User
from app.auth.security import token_hash
from app.core.config import get_settings
from tests.factories import PASSWORD, create_user, csrf_token, login_browser

CSP_REQUIRED = (
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)


@pytest.fixture
def https(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The app served at an https:// base URL, and a client that speaks https."""
    monkeypatch.setenv("KAM_BASE_URL", "https://kam.example.com")
    get_settings.cache_clear()
    yield TestClient(app, base_url="https://testserver")
    monkeypatch.undo()
    get_settings.cache_clear()


# --- sessions and passwords -----------------------------------------------------------------


def test_sign_in_replaces_a_planted_session_and_the_csrf_cookie(client, session):
    user = create_user(session)
    # An attacker who planted a cookie (session fixation) gains nothing: it is replaced...
    client.cookies.set(
        "kam_session", "planted-by-an-attacker-0123456789", domain="testserver.local"
    )
    login_browser(client, user)
    assert client.cookies.get("kam_session") != "planted-by-an-attacker-0123456789"
    # ...and a session the attacker did own before is closed when the victim signs in on it.
    old = client.cookies.get("kam_session")
    old_csrf = client.cookies.get("kam_csrf")
    login_browser(client, user)
    assert client.cookies.get("kam_session") != old
    assert client.cookies.get("kam_csrf") != old_csrf
    stored = session.exec(select(AuthSession.token_hash).where(AuthSession.kind == "cookie"))
    assert token_hash(old) not in set(stored)


def test_session_tokens_are_stored_hashed(client, session):
    user = create_user(session)
    login_browser(client, user)
    cookie = client.cookies.get("kam_session")
    assert len(cookie) >= 43  # 256 bits, URL-safe base64
    stored = set(session.exec(select(AuthSession.token_hash)))
    assert cookie not in stored and token_hash(cookie) in stored


def test_passwords_are_argon2id_with_owasp_parameters(session):
    user = create_user(session)
    stored = session.get(User, user.id).password_hash
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match, stored
    memory_kib, iterations, parallelism = map(int, match.groups())
    assert memory_kib >= 19 * 1024  # OWASP Password Storage Cheat Sheet: m >= 19 MiB
    assert iterations >= 2
    assert parallelism == 1


# --- headers ----------------------------------------------------------------------------------


def _check_headers(response, *, https: bool = False) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    )
    assert headers["x-frame-options"] == "DENY"
    csp = headers["content-security-policy"]
    for directive in CSP_REQUIRED:
        assert directive in csp, (response.url, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    if https:
        hsts = headers["strict-transport-security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    else:
        assert "strict-transport-security" not in headers


SAMPLES = [
    ("GET", "/login", None),  # a page
    ("GET", "/no-such-page", None),  # a page-shaped 404
    ("GET", "/static/kam.css", None),
    ("GET", "/healthz", None),
    ("GET", "/api/v1/me", None),  # a JSON 401
    ("GET", "/api/v1/no-such-endpoint", None),  # a JSON 404
    ("POST", "/api/v1/auth/token", {"username": "x@example.com", "password": "nope"}),
    ("GET", "/a/not-a-real-invitation-token-at-all", None),  # the candidate's 404 page
    ("GET", "/api/v1/assessments/not-a-real-invitation-token", None),
]


@pytest.mark.parametrize(("method", "path", "form"), SAMPLES)
def test_security_headers_on_pages_api_and_errors(client, method, path, form):
    response = client.request(
        method,
        path,
        data=form,
        headers={"Accept": "text/html"} if not path.startswith("/api/") else {},
    )
    assert response.status_code < 500
    _check_headers(response)


def test_hsts_on_pages_and_api_when_served_over_https(https, session):
    for path in ("/login", "/api/v1/me", "/healthz", "/static/kam.css"):
        _check_headers(https.get(path), https=True)


def test_candidate_pages_are_never_cached_or_indexed(client, session):
    from tests.factories import create_position, invite_candidate

    admin = create_user(session)
    position = create_position(session, actor=admin, questionnaires=["english"])
    _candidate, token = invite_candidate(session, position=position, actor=admin)
    response = client.get(f"/a/{token}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"] == "noindex"
    # The link must not travel to another site in a Referer header.
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")


# --- cookies ----------------------------------------------------------------------------------


def _cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def _sign_in(client: TestClient, user: User):  # type: ignore[no-untyped-def]
    return client.post(
        "/login?lang=it",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_cookie_is_httponly_samesite_and_secure_over_https(request, client, session, scheme):
    browser = request.getfixturevalue("https") if scheme == "https" else client
    user = create_user(session)
    first = _cookies(browser.get("/login"))
    signed_in = _cookies(_sign_in(browser, user))
    cookies = {**first, **signed_in}
    assert {"kam_csrf", "kam_session", "kam_lang"} <= set(cookies)
    for name, header in cookies.items():
        assert "HttpOnly" in header, name
        assert "SameSite=lax" in header or "SameSite=strict" in header, name
        assert ("Secure" in header) == (scheme == "https"), name
        assert "Path=/" in header, name
    session_cookie = cookies["kam_session"]
    assert "Max-Age=" in session_cookie  # ends with the session, never "forever"


# --- redirects --------------------------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.example.com/",
    "https://evil.example.com/",
    "http:evil.example.com",
    "/\\evil.example.com",
    "\\\\evil.example.com",
    "/\t/evil.example.com",
    "/\n/evil.example.com",
    " //evil.example.com",
    "javascript:alert(1)",
    "/%2F%2Fevil.example.com",
    "%2F%2Fevil.example.com",
    "/.//evil.example.com",
]


def _lands_on(location: str) -> str:
    """Where a browser goes: it drops tabs and newlines and reads a backslash as a slash."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip().replace("\\", "/")
    return urlsplit(urljoin("https://kam.example.com/login", cleaned)).netloc


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_after_sign_in_never_leaves_the_site(client, session, target):
    user = create_user(session)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _lands_on(response.headers["location"]) == "kam.example.com"
    # Signed in already, the login page redirects straight on: the same rule.
    again = client.get("/login", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303
    assert _lands_on(again.headers["location"]) == "kam.example.com"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_refuses_without_relying_on_url_quoting(target):
    from app.auth.pages import safe_next

    chosen = safe_next(target)
    assert _lands_on(chosen) == "kam.example.com"
    assert "\\" not in chosen and not re.search(r"[\x00-\x1f]", chosen)


def test_next_keeps_a_path_on_the_site(client, session):
    user = create_user(session)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client),
            "next": "/positions?status=open",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/positions?status=open"


def test_sign_in_redirect_names_only_the_path_asked_for(client):
    response = client.get("//evil.example.com/positions", follow_redirects=False)
    assert response.status_code in (303, 404)
    if response.status_code == 303:
        assert _lands_on(response.headers["location"]) == "kam.example.com"
