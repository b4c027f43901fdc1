"""Staff in the pages: add a colleague (set-password link by e-mail), change a role,
deactivate and reactivate; forgot password with a single-use, expiring link."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from app.auth.models import AuthSession, PasswordLink, User
from app.auth.security import verify_password
from app.outbox.models import OutboxMessage
from tests.factories import create_user, form_shown_again, login_browser

NEW = "a quiet harbour at dawn"


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _link_in_mail(session, to: str) -> str:
    mails = [m for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
             if m.payload["to"] == to]
    assert mails, f"no e-mail to {to}"
    return re.search(r"/set-password/([A-Za-z0-9_-]+)", mails[-1].payload["text"]).group(1)


def test_an_admin_adds_a_colleague_who_sets_a_password_by_link(client, session):
    admin = create_user(session, role="admin")
    login_browser(client, admin)
    page = client.get("/admin/staff")
    assert page.status_code == 200 and "Add a colleague" in page.text
    bad = client.post("/admin/staff", data={"csrf_token": _csrf(page.text), "full_name": "",
                                            "email": "nope", "role": "boss"})
    form_shown_again(bad)
    assert "Write the colleague&#39;s name." in bad.text
    assert "Choose a role: admin, HR or hiring manager." in bad.text
    added = client.post("/admin/staff", data={
        "csrf_token": _csrf(page.text), "full_name": "Cleo Collega",
        "email": "Cleo@Example.com", "role": "hr", "language": "it"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/admin/staff?done=added"
    colleague = session.exec(select(User).where(User.email == "cleo@example.com")).one()
    assert colleague.role == "hr" and colleague.language == "it"
    again = client.post("/admin/staff", data={
        "csrf_token": _csrf(page.text), "full_name": "Cleo Due",
        "email": "cleo@example.com", "role": "hr"})
    assert "already has a user with the e-mail" in form_shown_again(again).text
    token = _link_in_mail(session, "cleo@example.com")
    anonymous = client.__class__(client.app)
    form = anonymous.get(f"/set-password/{token}")
    assert form.status_code == 200 and "cleo@example.com" in form.text
    weak = anonymous.post(f"/set-password/{token}", data={
        "csrf_token": _csrf(form.text), "password": "short", "password_again": "short"})
    assert "at least 12 characters" in form_shown_again(weak).text
    done = anonymous.post(f"/set-password/{token}", data={
        "csrf_token": _csrf(form.text), "password": NEW, "password_again": NEW},
        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login?password=set"
    session.expire_all()
    assert verify_password(session.get(User, colleague.id).password_hash, NEW)
    # Single use.
    assert anonymous.get(f"/set-password/{token}").status_code == 410
    assert "Your password is set" in anonymous.get("/login?password=set").text


def test_roles_and_deactivation_from_the_page(client, session):
    admin = create_user(session, role="admin")
    organization_id = admin.organization_id
    from app.organizations.models import Organization

    other = create_user(session, role="manager",
                        organization=session.get(Organization, organization_id))
    other_client = client.__class__(client.app)
    login_browser(other_client, other)
    login_browser(client, admin)
    page = client.get("/admin/staff").text
    changed = client.post(f"/admin/staff/{other.id}/role",
                          data={"csrf_token": _csrf(page), "role": "hr"}, follow_redirects=False)
    assert changed.status_code == 303
    session.expire_all()
    assert session.get(User, other.id).role == "hr"
    own = client.post(f"/admin/staff/{admin.id}/role", data={"csrf_token": _csrf(page),
                                                            "role": "hr"})
    assert own.status_code == 409
    off = client.post(f"/admin/staff/{other.id}/active",
                      data={"csrf_token": _csrf(page), "active": "no"}, follow_redirects=False)
    assert off.headers["location"] == "/admin/staff?done=deactivated"
    assert other_client.get("/account", follow_redirects=False).status_code == 303
    assert not session.exec(select(AuthSession).where(AuthSession.user_id == other.id)).all()
    on = client.post(f"/admin/staff/{other.id}/active",
                     data={"csrf_token": _csrf(page), "active": "yes"}, follow_redirects=False)
    assert on.headers["location"] == "/admin/staff?done=activated"
    session.expire_all()
    assert session.get(User, other.id).is_active
    hr_client = client.__class__(client.app)
    login_browser(hr_client, session.get(User, other.id))
    assert hr_client.get("/admin/staff").status_code == 403


def test_forgot_password_answers_the_same_and_the_link_expires(client, session):
    user = create_user(session, role="hr")
    page = client.get("/forgot-password")
    known = client.post("/forgot-password", data={"csrf_token": _csrf(page.text),
                                                  "email": user.email.upper()},
                        follow_redirects=False)
    unknown = client.post("/forgot-password", data={"csrf_token": _csrf(page.text),
                                                    "email": "nobody@example.com"},
                          follow_redirects=False)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"] == "/forgot-password?sent=1"
    assert "If an account uses this e-mail" in client.get("/forgot-password?sent=1").text
    assert not [m for m in session.exec(select(OutboxMessage)).all()
                if m.payload["to"] == "nobody@example.com"]
    token = _link_in_mail(session, user.email)
    link = session.exec(select(PasswordLink).where(PasswordLink.user_id == user.id)).one()
    assert link.purpose == "reset"
    assert timedelta(minutes=59) < link.expires_at - link.created_at <= timedelta(hours=1)
    link.expires_at = link.created_at  # an hour later
    session.add(link)
    session.flush()
    assert client.get(f"/set-password/{token}").status_code == 410
    # At most three links an hour per address; the answer stays the same.
    for _ in range(4):
        client.post("/forgot-password", data={"csrf_token": _csrf(page.text),
                                              "email": user.email})
    links = session.exec(select(PasswordLink).where(PasswordLink.user_id == user.id)).all()
    assert len(links) == 3
    assert "Forgot your password?" in client.get("/login").text


def test_times_show_in_the_organizations_time_zone(client, session):
    from app.organizations.models import Organization
    from tests.factories import create_position, invite_candidate

    admin = create_user(session, role="admin")
    login_browser(client, admin)
    page = client.get("/admin/staff").text
    assert '<option value="UTC" selected>' in page
    # The form is on the page once, and the tab's title is only the title.
    assert page.count('id="time-zone"') == 1
    assert "<title>Staff · KAM Assess</title>" in page
    bad = client.post("/admin/organization/time-zone",
                      data={"csrf_token": _csrf(page), "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    done = client.post("/admin/organization/time-zone",
                       data={"csrf_token": _csrf(page), "time_zone": "Europe/Rome"},
                       follow_redirects=False)
    assert done.status_code == 303
    session.expire_all()
    assert session.get(Organization, admin.organization_id).settings["time_zone"] == \
        "Europe/Rome"
    position = create_position(session, actor=admin, questionnaires=["english"])
    candidate, _token = invite_candidate(session, position=position, actor=admin)
    card = client.get(f"/candidates/{candidate.id}").text
    invited = re.search(r'data-date="invited">([^<]+)<', card).group(1)
    assert invited.endswith(("CET", "CEST")), invited
    mail = next(m for m in session.exec(select(OutboxMessage)).all()
            if m.payload["to"] == candidate.email)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T", mail.payload["text"])
