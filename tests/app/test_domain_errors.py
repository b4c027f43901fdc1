"""Errors services raise: the API answers the English sentence (with the field's name), and
a page shows the same sentence in its reader's language."""

import pytest
from fastapi.testclient import TestClient

from app.auth.models import Role
from app.core.errors import N_, Conflict, Invalid, Word, field_problem
from app.core.i18n import gettext_for
from tests.factories import create_user, login_browser


def test_the_api_detail_is_the_english_sentence_after_the_field_name():
    error = Invalid(N_("no user %(user)s in your organization"), field="manager_ids",
                    params={"user": 7})
    assert error.detail == "manager_ids: no user 7 in your organization"
    assert error.message_in("it") == "Nessun utente 7 nella tua organizzazione"
    assert error.message_in("en") == "No user 7 in your organization"
    assert error.field_errors(gettext_for("en")) == {
        "manager_ids": "No user 7 in your organization"}


def test_a_word_in_the_sentence_is_translated_with_it():
    error = Conflict(N_("This position is %(status)s; open it before inviting candidates."),
                     params={"status": Word("draft")})
    assert error.detail == "This position is draft; open it before inviting candidates."
    assert error.message_in("it") == (
        "Lo stato della posizione è «bozza»: aprila prima di invitare candidature.")


def test_a_field_problem_keeps_the_shape_of_request_validation_errors():
    error = field_problem("ratings.drive", N_("give a whole number from 1 to 5"))
    assert error.status_code == 422
    assert error.detail == [{"loc": ["body", "ratings", "drive"], "field": "ratings.drive",
                             "msg": "give a whole number from 1 to 5", "type": "value_error",
                             "message": "ratings.drive: give a whole number from 1 to 5"}]
    assert error.field_errors(gettext_for("en")) == {
        "ratings.drive": "Give a whole number from 1 to 5"}
    assert error.message_in("it") == "Indica un numero intero da 1 a 5"


def test_a_message_outside_the_catalog_is_shown_as_raised():
    assert Conflict("Something only English says.").message_in("it") == (
        "Something only English says.")
    assert Invalid([{"loc": ["body"], "field": "x", "msg": "bad"}]).message_in("it") == "Bad"


@pytest.fixture
def refusing_client(private_app):  # type: ignore[no-untyped-def]
    def refuse() -> None:
        raise Conflict(N_("This review already has an outcome."))

    private_app.add_api_route("/api/v1/_refuse", refuse)
    private_app.add_api_route("/_refuse", refuse)
    with TestClient(private_app) as client:
        yield client


def test_a_conflict_on_an_italian_browser_page_is_italian(refusing_client):
    page = refusing_client.get("/_refuse", params={"lang": "it"},
                               headers={"Accept": "text/html"})
    assert page.status_code == 409
    assert "<p>Questa revisione ha già un esito.</p>" in page.text
    assert "already has an outcome" not in page.text
    answer = refusing_client.get("/api/v1/_refuse", params={"lang": "it"})
    assert answer.status_code == 409
    assert answer.json() == {"detail": "This review already has an outcome."}


def test_a_missing_position_is_said_in_the_staff_members_language(client, session):
    login_browser(client, create_user(session, role=Role.hr, language="it"))
    page = client.get("/positions/999999", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "Posizione non trovata." in page.text
