"""Bearer tokens: issue, use, expire, forge, revoke, rate limit."""

from datetime import timedelta

from sqlmodel import select

from app.auth.models import AuthSession, Role
from app.auth.security import token_hash
from app.core.clock import utcnow
from tests.factories import PASSWORD, auth_headers, create_user


def test_token_for_valid_credentials_reads_me(client, session):
    user = create_user(session, role=Role.hr, full_name="Giulia Rossi")
    headers = auth_headers(client, user)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["full_name"] == "Giulia Rossi"
    assert me.json()["role"] == "hr"
    assert "password_hash" not in me.json()


def test_unknown_user_and_wrong_password_get_the_same_answer(client, session):
    user = create_user(session)
    wrong_password = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "not-the-password"}
    )
    unknown_user = client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json() == {"detail": "Wrong e-mail or password."}


def test_email_is_case_insensitive(client, session):
    user = create_user(session, email="Mixed.Case@Example.com")
    response = client.post(
        "/api/v1/auth/token", data={"username": "MIXED.case@example.COM", "password": PASSWORD}
    )
    assert response.status_code == 200, user.email


def test_missing_token_is_401_with_bearer_challenge(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_forged_token_is_refused(client, session):
    create_user(session)
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer forged-token-value"})
    assert response.status_code == 401


def test_expired_token_is_refused(client, session):
    user = create_user(session)
    headers = auth_headers(client, user)
    token = headers["Authorization"].removeprefix("Bearer ")
    row = session.exec(
        select(AuthSession).where(AuthSession.token_hash == token_hash(token))
    ).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_session_cookie_is_not_a_bearer_token(client, session):
    """A cookie session's secret cannot be replayed as an API token (kinds are separate)."""
    user = create_user(session)
    from app.auth import service

    cookie_secret = service.open_session(session, user=user, kind="cookie", hours=1)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {cookie_secret}"})
    assert response.status_code == 401


def test_revoked_token_is_refused(client, session):
    user = create_user(session)
    headers = auth_headers(client, user)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_deactivated_user_loses_access(client, session):
    user = create_user(session)
    headers = auth_headers(client, user)
    user.is_active = False
    session.add(user)
    session.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_repeated_failures_from_one_address_make_it_wait_even_with_the_right_password(
    client, session
):
    from app.core.config import get_settings

    user = create_user(session)
    free = get_settings().login_max_failures // 2
    for _ in range(free):
        response = client.post(
            "/api/v1/auth/token", data={"username": user.email, "password": "guess-guess"}
        )
        assert response.status_code == 401
    blocked = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Try again in" in blocked.json()["detail"]


def test_token_endpoint_requires_both_fields(client):
    response = client.post("/api/v1/auth/token", data={"username": "a@example.com"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "password"
