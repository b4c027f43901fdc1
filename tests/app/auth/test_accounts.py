"""Staff accounts: nothing about another organization's users can be learned, sign-in
throttling slows guessers without locking out the owner, passwords follow NIST SP 800-63B,
and a deactivated user is out at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.audit.models import AuditEntry
from app.auth import passwords
from app.auth.models import LoginAddress, LoginAttempt
from app.core.clock import utcnow
from app.core.config import get_settings
from tests.factories import PASSWORD, auth_headers, create_user, csrf_token, login_browser

OWNER_IP, STRANGER_IP = "198.51.100.7", "203.0.113.66"


def _client(app, ip: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(ip, 50000))


def _token(client: TestClient, email: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token",
                       data={"username": email, "password": password, **extra})


# --- one organization learns nothing about another's users ------------------------------------


def test_an_email_used_in_another_organization_is_created_like_any_other(client, session):
    theirs = create_user(session)  # another organization's user
    ours = create_user(session)
    body = {"email": theirs.email.upper(), "full_name": "Same Person", "role": "hr",
            "password": "another-long-password"}

    created = client.post("/api/v1/users", headers=auth_headers(client, ours), json=body)

    assert created.status_code == 201, created.text
    assert created.json()["organization_id"] == ours.organization_id
    assert created.json()["email"] == theirs.email
    # Each account signs in with its own password, into its own organization.
    mine = _token(client, theirs.email, "another-long-password")
    assert mine.status_code == 200
    me = client.get("/api/v1/me",
                    headers={"Authorization": f"Bearer {mine.json()['access_token']}"})
    assert me.json()["organization_id"] == ours.organization_id
    other = _token(client, theirs.email)
    assert other.status_code == 200
    me = client.get("/api/v1/me",
                    headers={"Authorization": f"Bearer {other.json()['access_token']}"})
    assert me.json()["organization_id"] == theirs.organization_id


def test_the_same_password_in_two_organizations_asks_which_one(client, session, app):
    first = create_user(session)
    second = create_user(session, email=first.email)
    from app.organizations.models import Organization

    slug = session.get(Organization, second.organization_id).slug

    ambiguous = _token(client, first.email)
    chosen = _token(client, first.email, organization=slug)

    assert ambiguous.status_code == 409 and slug in ambiguous.json()["detail"]
    assert chosen.status_code == 200
    me = client.get("/api/v1/me",
                    headers={"Authorization": f"Bearer {chosen.json()['access_token']}"})
    assert me.json()["id"] == second.id
    # The sign-in page offers the organizations as a choice.
    token = csrf_token(client)
    page = client.post("/login", data={"email": first.email, "password": PASSWORD,
                                       "csrf_token": token}, follow_redirects=False)
    assert page.status_code == 409 and f'value="{slug}"' in page.text
    signed_in = client.post("/login", data={"email": first.email, "password": PASSWORD,
                                            "organization": slug, "csrf_token": token},
                            follow_redirects=False)
    assert signed_in.status_code == 303


# --- sign-in throttling -----------------------------------------------------------------------


def test_a_strangers_bad_tries_do_not_lock_the_owner_out_of_their_own_address(app, session):
    owner = create_user(session)
    with _client(app, OWNER_IP) as home, _client(app, STRANGER_IP) as stranger:
        assert _token(home, owner.email).status_code == 200  # the owner's usual address
        statuses = [_token(stranger, owner.email, "guess-number-one").status_code
                    for _ in range(10)]
        assert statuses[:5] == [401] * 5 and 429 in statuses  # the stranger is slowed

        assert _token(home, owner.email).status_code == 200  # the owner is not


def test_guesses_from_many_addresses_slow_down_new_addresses_for_that_account(app, session):
    owner = create_user(session)
    limit = get_settings().login_max_failures
    now = utcnow()
    session.add_all(LoginAttempt(email=owner.email, ip=f"203.0.113.{n}",
                                 created_at=now - timedelta(seconds=n)) for n in range(limit))
    session.flush()
    with _client(app, "192.0.2.200") as new_address, _client(app, OWNER_IP) as home:
        refused = _token(new_address, owner.email)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        # An address the owner signed in from before is not slowed by the others' failures.
        session.add(LoginAddress(user_id=owner.id, ip=OWNER_IP))
        session.flush()
        assert _token(home, owner.email).status_code == 200


def test_delays_grow_with_every_failure_and_end(app, session):
    owner = create_user(session)
    free = get_settings().login_max_failures // 2
    with _client(app, STRANGER_IP) as stranger:
        waits = []
        for extra in range(4):
            now = utcnow()
            session.exec(LoginAttempt.__table__.delete())
            session.add_all(LoginAttempt(email=owner.email, ip=STRANGER_IP, created_at=now)
                            for _ in range(free + extra))
            session.flush()
            refused = _token(stranger, owner.email)
            assert refused.status_code == 429
            waits.append(int(refused.headers["retry-after"]))
        assert waits == sorted(waits) and waits[-1] > waits[0]
        # Once the delay has passed, the right password gets in.
        session.exec(LoginAttempt.__table__.delete())
        session.add_all(LoginAttempt(email=owner.email, ip=STRANGER_IP,
                                     created_at=utcnow() - timedelta(seconds=30))
                        for _ in range(free + 1))
        session.flush()
        assert _token(stranger, owner.email).status_code == 200


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass", "at least 12 characters"),
        ("zzzzzzzzzzzzzzzz", "single character repeated"),
        ("password1234", "list of common and breached passwords"),
        ("qwertyuiop12", "list of common and breached passwords"),
        ("abcdefghijklmn", "sequence"),
        ("passwordpassword", "repeats a short pattern"),
        ("new.colleague.2024", "e-mail address or name"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(client, session, password, reason):
    admin = create_user(session)
    body = {"email": "new.colleague@example.com", "full_name": "New Colleague", "role": "hr",
            "password": password}
    response = client.post("/api/v1/users", headers=auth_headers(client, admin), json=body)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["field"] == "password" and reason in problem["message"], problem


def test_a_long_unusual_password_is_accepted():
    for password in ("correct-horse-battery", "Key accounts in Milano", "tre gatti sul tetto"):
        assert passwords.problem(password) is None, password


def test_the_reasons_exist_in_italian():
    from app.core.i18n import gettext_for

    _ = gettext_for("it")
    for message in (passwords.TOO_SHORT, passwords.ONE_CHARACTER, passwords.COMMON, passwords.WEAK,
                    *passwords.PATTERNS.values()):
        assert _(message) != message, message


# --- deactivation -------------------------------------------------------------------------


def test_a_deactivated_user_is_out_at_once_everywhere(client, session, app):
    admin = create_user(session)
    from app.organizations.models import Organization

    hr = create_user(session, organization=session.get(Organization, admin.organization_id),
                     role="hr")
    hr_api = auth_headers(client, hr)
    with TestClient(app) as browser:
        browser.headers["Accept"] = "text/html"
        login_browser(browser, hr)
        assert browser.get("/positions").status_code == 200

        changed = client.patch(f"/api/v1/users/{hr.id}", headers=auth_headers(client, admin),
                               json={"is_active": False})

        assert changed.status_code == 200 and changed.json()["is_active"] is False
        assert client.get("/api/v1/me", headers=hr_api).status_code == 401
        page = browser.get("/positions", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert _token(client, hr.email).status_code == 401  # like a wrong password
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).one()
    assert entry.object_id == str(hr.id) and entry.actor_user_id == admin.id

    again = client.patch(f"/api/v1/users/{hr.id}", headers=auth_headers(client, admin),
                         json={"is_active": True})
    assert again.json()["is_active"] is True and _token(client, hr.email).status_code == 200


def test_nobody_deactivates_themselves_or_another_organizations_user(client, session):
    admin = create_user(session)
    outsider = create_user(session)
    headers = auth_headers(client, admin)
    own = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"is_active": False})
    theirs = client.patch(f"/api/v1/users/{outsider.id}", headers=headers,
                          json={"is_active": False})
    assert own.status_code == 409 and theirs.status_code == 404


def test_the_reason_is_given_in_the_admins_language(client, session):
    admin = create_user(session, language="it")
    body = {"email": "nuovo@example.com", "full_name": "Nuovo", "role": "hr",
            "password": "password1234"}
    response = client.post("/api/v1/users", headers=auth_headers(client, admin), json=body)
    assert response.status_code == 422
    assert "elenco di password comuni" in response.json()["detail"][0]["message"]
