"""Sign-in pages: session cookie, CSRF, rotation, sign-out, language."""

from sqlmodel import select

from app.auth.models import AuthSession
from tests.factories import PASSWORD, create_user, csrf_token, login_browser


def test_anonymous_dashboard_redirects_to_login(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_login_shows_an_empty_but_real_dashboard(client, session):
    user = create_user(session, full_name="Ada Admin")
    login_browser(client, user)
    page = client.get("/")
    assert page.status_code == 200
    assert "Ada Admin" in page.text
    assert "No positions yet." in page.text


def test_session_cookie_flags(client, session):
    user = create_user(session)
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = next(h for h in response.headers.get_list("set-cookie") if "kam_session=" in h)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http in tests


def test_secure_flag_when_served_over_https(app, session, monkeypatch):
    from fastapi.testclient import TestClient

    from app.core.config import get_settings

    monkeypatch.setenv("KAM_BASE_URL", "https://kam.example.com")
    get_settings.cache_clear()
    try:
        client = TestClient(app, base_url="https://testserver")
        user = create_user(session)
        token = csrf_token(client)
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = next(h for h in response.headers.get_list("set-cookie") if "kam_session=" in h)
        assert "Secure" in cookie
        assert response.headers["strict-transport-security"].startswith("max-age=")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_login_without_csrf_token_is_refused(client, session):
    user = create_user(session)
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD},
                           headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert "Reload the page" in response.text
    assert "kam_session" not in response.cookies


def test_csrf_token_from_another_browser_is_refused(client, session, app):
    from fastapi.testclient import TestClient

    user = create_user(session)
    other = TestClient(app)
    stolen = csrf_token(other)
    client.get("/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 422


def test_wrong_password_on_the_page_shows_the_same_message_as_unknown_user(client, session):
    user = create_user(session)
    token = csrf_token(client)
    wrong = client.post("/login", data={"email": user.email, "password": "nope-nope-nope",
                                        "csrf_token": token})
    unknown = client.post("/login", data={"email": "ghost@example.com", "password": PASSWORD,
                                          "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.text
    assert "Wrong e-mail or password." in unknown.text


def test_each_login_gets_a_new_session_token(client, session):
    user = create_user(session)
    login_browser(client, user)
    first = client.cookies.get("kam_session")
    login_browser(client, user)
    second = client.cookies.get("kam_session")
    assert first and second and first != second
    # The first session was closed when the second began.
    assert len(session.exec(select(AuthSession).where(AuthSession.kind == "cookie")).all()) == 1


def test_logout_ends_the_session(client, session):
    user = create_user(session)
    login_browser(client, user)
    old_cookie = client.cookies.get("kam_session")
    token = csrf_token(client, "/")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set("kam_session", old_cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_next_parameter_cannot_leave_the_site(client, session):
    user = create_user(session)
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token,
              "next": "//evil.example.com/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_language_switch_to_italian(client, session):
    page = client.get("/login?lang=it")
    assert "Accedi" in page.text
    assert client.cookies.get("kam_lang") == "it"
    assert 'lang="it"' in client.get("/login").text


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Page not found" in response.text
