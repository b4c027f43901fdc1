"""My account: the completion e-mail switch and changing my own password."""

from __future__ import annotations

import re

from sqlmodel import select

from app.auth.models import AuthSession, User
from app.auth.security import verify_password
from tests.factories import PASSWORD, create_user, form_shown_again, login_browser

NEW = "a quiet harbour at dawn"


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_switching_the_completion_email_on_and_off(client, session):
    user = create_user(session, role="hr")
    login_browser(client, user)
    page = client.get("/account")
    assert page.status_code == 200 and 'id="notify_completions"' in page.text
    on = client.post("/account/notifications", data={"csrf_token": _csrf(page.text),
                                                     "notify_completions": "on"},
                     follow_redirects=False)
    assert on.status_code == 303 and on.headers["location"] == "/account?saved=notifications"
    session.expire_all()
    assert session.get(User, user.id).notify_completions is True
    page = client.get("/account?saved=notifications")
    assert "Your e-mail settings are saved." in page.text
    client.post("/account/notifications", data={"csrf_token": _csrf(page.text)})
    session.expire_all()
    assert session.get(User, user.id).notify_completions is False


def test_changing_my_password_checks_the_old_one_and_signs_out_elsewhere(client, session):
    user = create_user(session, role="manager")
    login_browser(client, user)
    other = client.__class__(client.app)
    login_browser(other, user)  # a second browser
    page = client.get("/account?lang=it")
    wrong = client.post("/account/password?lang=it", data={
        "csrf_token": _csrf(page.text), "current_password": "not it at all",
        "new_password": NEW, "new_password_again": NEW})
    form_shown_again(wrong)
    assert "La password attuale non è corretta." in wrong.text
    mismatch = client.post("/account/password?lang=en", data={
        "csrf_token": _csrf(page.text), "current_password": PASSWORD,
        "new_password": NEW, "new_password_again": NEW + "!"})
    assert "are not the same" in form_shown_again(mismatch).text
    weak = client.post("/account/password", data={
        "csrf_token": _csrf(page.text), "current_password": PASSWORD,
        "new_password": "short", "new_password_again": "short"})
    assert "at least 12 characters" in form_shown_again(weak).text
    assert 'id="new_password-error"' in weak.text
    done = client.post("/account/password", data={
        "csrf_token": _csrf(page.text), "current_password": PASSWORD,
        "new_password": NEW, "new_password_again": NEW}, follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, NEW)
    assert client.get("/account").status_code == 200  # still signed in here
    assert len(session.exec(select(AuthSession).where(AuthSession.user_id == user.id)).all()) == 1
    assert other.get("/account", follow_redirects=False).status_code == 303  # not there
