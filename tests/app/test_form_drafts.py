"""Staff forms with mistakes: POST → 303 → GET, the typed values and the errors carried by a
short-lived signed cookie scoped to the form's page (app/core/form_drafts.py)."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from app.core import form_drafts
from app.positions.models import Position
from tests.factories import (
    PASSWORD,
    auth_headers,
    create_user,
    csrf_token,
    login_browser,
)

HTML = {"Accept": "text/html"}
TOO_MUCH = {"csrf_token": "", "title": "KAM Centro", "questionnaires": ["analysis",
            "commercial-knowledge"], "weight_analysis": "0,6",
            "weight_commercial_knowledge": "0,5", "language_hurdle": "",
            "invitation_expiry_days": "10", "ranking_mode": "fit"}
ITALIAN_ERROR = "I pesi devono sommare a 1 (100 %): ora sommano a 1,1 (110 %)."


def _post_new_position(client, session, **changes):  # type: ignore[no-untyped-def]
    login_browser(client, create_user(session, role="hr"))
    form = {**TOO_MUCH, "csrf_token": csrf_token(client, "/positions/new?lang=it"), **changes}
    return client.post("/positions/new?lang=it", data=form, follow_redirects=False)


def _set_cookie(answer) -> SimpleCookie:  # type: ignore[no-untyped-def]
    jar: SimpleCookie = SimpleCookie()
    for header in answer.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def test_a_form_with_mistakes_answers_303_and_the_page_shows_values_and_errors(client, session):
    answer = _post_new_position(client, session)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/positions/new"
    assert parse_qs(location.query)["lang"] == ["it"] and "draft" in parse_qs(location.query)
    [morsel] = [m for name, m in _set_cookie(answer).items() if name.startswith("kam_draft_")]
    assert morsel["path"] == "/positions/new" and morsel["httponly"]
    assert morsel["samesite"] == "lax" and int(morsel["max-age"]) == form_drafts.LIFETIME
    assert session.exec(select(Position)).first() is None  # nothing saved

    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert ITALIAN_ERROR in page.text and 'id="err-weights"' in page.text
    assert 'value="KAM Centro"' in page.text and 'value="0,6"' in page.text  # Italian: 0,6
    # A reload is the same GET: the same form, no resubmission.
    assert ITALIAN_ERROR in client.get(answer.headers["location"]).text


def test_opening_the_page_afresh_shows_a_clean_form_and_drops_the_draft(client, session):
    answer = _post_new_position(client, session)
    fresh = client.get("/positions/new?lang=it")
    assert ITALIAN_ERROR not in fresh.text and 'value="KAM Centro"' not in fresh.text
    dropped = [m for name, m in _set_cookie(fresh).items() if name.startswith("kam_draft_")]
    assert dropped and dropped[0]["max-age"] == "0"
    assert ITALIAN_ERROR not in client.get(answer.headers["location"]).text


def test_a_tampered_or_expired_draft_is_ignored(client, session):
    answer = _post_new_position(client, session)
    [(name, morsel)] = [(n, m) for n, m in _set_cookie(answer).items()
                        if n.startswith("kam_draft_")]
    draft = form_drafts.decode(morsel.value)
    assert draft is not None and draft["context"]["values"]["title"] == "KAM Centro"
    forged = form_drafts.encode({**draft, "context": {"values": {"title": "Forged"},
                                                      "errors": {}}})
    assert forged is not None
    encoded, _signature = forged.rsplit(".", 1)
    _body, signature = morsel.value.rsplit(".", 1)
    client.cookies.set(name, f"{encoded}.{signature}", path="/positions/new")
    page = client.get(answer.headers["location"]).text
    assert "Forged" not in page and ITALIAN_ERROR not in page

    expired = form_drafts.encode({**draft, "expires": int(time.time()) - 1})
    client.cookies.set(name, expired, path="/positions/new")
    assert ITALIAN_ERROR not in client.get(answer.headers["location"]).text


def test_passwords_never_go_into_the_cookie(client, session):
    user = create_user(session, role="manager")
    login_browser(client, user)
    page = client.get("/account")
    answer = client.post("/account/password?lang=it&tab=x", data={
        "csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0],
        "current_password": PASSWORD, "new_password": "short", "new_password_again": "short",
    }, follow_redirects=False)
    # The form lives on /account: the redirect goes there, keeping only the language.
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/account?lang=it&draft=")
    [morsel] = [m for name, m in _set_cookie(answer).items() if name.startswith("kam_draft_")]
    assert "short" not in str(form_drafts.decode(morsel.value))
    assert PASSWORD not in str(form_drafts.decode(morsel.value))
    assert "almeno 12 caratteri" in client.get(answer.headers["location"]).text


def test_stored_values_leave_out_password_fields_and_the_csrf_token():
    kept = form_drafts._without_secrets({"email": "a@b.it", "password": "x",
                                         "new_password_again": "y", "csrf_token": "z"})
    assert kept == {"email": "a@b.it"}


def test_a_draft_too_big_for_a_cookie_keeps_the_422_answer(client, session):
    login_browser(client, create_user(session, role="hr"))
    long_note = "x" * 4000
    assert form_drafts.encode({"values": {"note": long_note}}) is None
    answer = client.post("/positions/new", data={
        **TOO_MUCH, "csrf_token": csrf_token(client, "/positions/new"),
        "territory": "Nord " * 700}, follow_redirects=False)
    assert answer.status_code == 422 and 'id="err-weights"' in answer.text


def test_the_json_api_still_answers_422(client, session):
    hr = create_user(session, role="hr")
    answer = client.post("/api/v1/positions", headers=auth_headers(client, hr), json={
        "title": "KAM", "questionnaires": ["analysis", "commercial-knowledge"],
        "weights": {"analysis": 0.6, "commercial_knowledge": 0.5}})
    assert answer.status_code == 422 and "set-cookie" not in answer.headers


def test_the_language_link_of_a_draft_page_opens_the_form_afresh(client, session):
    answer = _post_new_position(client, session)
    page = client.get(answer.headers["location"]).text
    # The messages are Italian: the English link shows the form afresh, not the draft.
    assert '<a href="?lang=en" hreflang="en"' in page


def test_a_form_with_other_context_keys_keeps_them_too(client, session):
    """The fairness settings keep their values under "settings" (draft_keys names it)."""
    admin = create_user(session, role="admin")
    login_browser(client, admin)
    page = client.get("/admin/fairness-settings")
    answer = client.post("/admin/fairness-settings", data={
        "csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0],
        "audit_retention_months": "500", "oversight_contact": "Ufficio HR, stanza 4",
        "self_identification": "gender"}, follow_redirects=False)
    assert answer.status_code == 303
    shown = client.get(answer.headers["location"]).text
    assert "Enter a whole number of months from 1 to 120." in shown
    assert 'value="Ufficio HR, stanza 4"' in shown
