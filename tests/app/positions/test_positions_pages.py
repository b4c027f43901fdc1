"""Position pages for HR: create with defaults, errors next to fields, invite with a link."""

import re

from sqlmodel import select

from app.auth.models import Role
from app.positions.models import Position
from tests.factories import (
    create_organization,
    create_position,
    create_user,
    csrf_token,
    form_shown_again,
    login_browser,
)


def _form(token, **overrides):
    data = {"csrf_token": token, "title": "KAM Nord-Est", "territory": "Veneto",
            "questionnaires": ["analysis", "commercial-knowledge"],
            "weight_analysis": "0,5", "weight_commercial_knowledge": "0.5",
            "language_hurdle": "", "invitation_expiry_days": "10", "ranking_mode": "fit"}
    data.update(overrides)
    return data


def test_hr_creates_a_position_from_the_form(client, session):
    login_browser(client, create_user(session, role=Role.hr))
    page = client.get("/positions/new")
    assert page.status_code == 200
    assert "Sackett" in page.text
    response = client.post("/positions/new", data=_form(csrf_token(client, "/positions/new")),
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    position = session.exec(select(Position)).one()
    assert position.weights == {"analysis": 0.5, "commercial_knowledge": 0.5}
    assert position.invitation_expiry_days == 10
    detail = client.get(response.headers["location"])
    assert "KAM Nord-Est" in detail.text


def test_weights_not_summing_to_one_are_shown_next_to_the_field(client, session):
    login_browser(client, create_user(session, role=Role.hr))
    token = csrf_token(client, "/positions/new")
    response = client.post("/positions/new", data=_form(token, weight_analysis="0.3"))
    form_shown_again(response)
    assert 'id="err-weights"' in response.text
    assert "The weights must add up to 1 (100 %): now they add up to" in response.text
    assert session.exec(select(Position)).first() is None


def test_managers_cannot_open_the_form(client, session):
    login_browser(client, create_user(session, role=Role.manager))
    assert client.get("/positions/new", headers={"Accept": "text/html"}).status_code == 403


def test_invite_shows_the_link_once_when_no_mail_server_is_set(client, session):
    organization = create_organization(session)
    hr = create_user(session, organization=organization, role=Role.hr)
    position = create_position(session, actor=hr, questionnaires=["english"])
    login_browser(client, hr)
    token = csrf_token(client, f"/positions/{position.id}")
    page = client.post(f"/positions/{position.id}/candidates", data={
        "csrf_token": token, "full_name": "Paolo Verdi", "email": "paolo@example.com",
        "language": "it", "extra_time_pct": "25"})
    assert page.status_code == 200
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', page.text).group(1)
    assert "/a/" in link
    assert "server log" in page.text
    assert client.get(f"/positions/{position.id}").text.count(link) == 0


def test_invite_with_a_bad_email_keeps_the_values(client, session):
    hr = create_user(session, role=Role.hr)
    position = create_position(session, actor=hr, questionnaires=["english"])
    login_browser(client, hr)
    token = csrf_token(client, f"/positions/{position.id}")
    page = client.post(f"/positions/{position.id}/candidates", data={
        "csrf_token": token, "full_name": "Paolo Verdi", "email": "not-an-email",
        "language": "it", "extra_time_pct": "0"})
    page = form_shown_again(page)
    assert 'value="Paolo Verdi"' in page.text


def test_another_organizations_position_page_is_404(client, session):
    other_hr = create_user(session, role=Role.hr)
    position = create_position(session, actor=other_hr, questionnaires=["english"])
    login_browser(client, create_user(session, role=Role.admin))
    response = client.get(f"/positions/{position.id}", headers={"Accept": "text/html"})
    assert response.status_code == 404


def test_weights_that_do_not_add_up_get_a_sentence_with_the_total(client, session):
    import re as _re

    from tests.factories import create_user as _create_user
    from tests.factories import login_browser as _login_browser

    hr = _create_user(session, role="hr")
    _login_browser(client, hr)
    page = client.get("/positions/new?lang=it").text
    assert 'id="weights-total"' in page and "Totale dei pesi: 1" in page
    csrf = _re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/positions/new?lang=it", data={
        "csrf_token": csrf, "title": "KAM Sud", "questionnaires": ["commercial-knowledge",
                                                                   "english"],
        "language_hurdle": "B2", "invitation_expiry_days": "14", "ranking_mode": "fit",
        "weight_commercial_knowledge": "0,9", "weight_languages": "0,2"})
    form_shown_again(answer)
    assert "I pesi devono sommare a 1 (100 %): ora sommano a 1,1 (110 %)." in answer.text
    assert "must sum to" not in answer.text  # never the validator's own words


def _italian_hr(client, session):
    login_browser(client, create_user(session, role=Role.hr, language="it"))
    return csrf_token(client, "/positions/new")


def test_an_italian_hurdle_the_battery_does_not_test_is_explained_in_italian_by_the_field(
    client, session
):
    token = _italian_hr(client, session)
    response = client.post("/positions/new", data=_form(
        token, questionnaires=["analysis", "english"], weight_analysis="1",
        weight_commercial_knowledge="0", hurdle_language="it", language_hurdle="C1"))
    form_shown_again(response)
    hurdle_error = re.search(r'<p class="field-error" id="err-language_hurdle">([^<]*)</p>',
                             response.text)
    assert hurdle_error is not None, response.text
    assert hurdle_error.group(1) == (
        "La posizione richiede Italiano C1, quindi la batteria deve verificare questa lingua; "
        "aggiungi il questionario &#39;italian&#39; o togli il requisito")
    assert "language_hurdle:" not in response.text  # never the raw key
    assert session.exec(select(Position)).first() is None


def test_a_level_the_italian_test_cannot_tell_apart_is_refused_in_italian(client, session):
    token = _italian_hr(client, session)
    response = client.post("/positions/new", data=_form(
        token, questionnaires=["analysis", "italian"], weight_analysis="1",
        weight_commercial_knowledge="0", hurdle_language="it", language_hurdle="C1"))
    form_shown_again(response)
    assert "Non si può ancora richiedere Italiano C1: chi ha valutato" in response.text
    assert "scegli un livello più basso" in response.text
    assert "cannot be required" not in response.text


def test_a_battery_without_questionnaires_is_refused_in_italian_by_the_field(client, session):
    token = _italian_hr(client, session)
    data = _form(token, hurdle_language="it", language_hurdle="C1")
    del data["questionnaires"]
    response = client.post("/positions/new", data=data)
    form_shown_again(response)
    assert re.search(r'id="err-questionnaires">Scegli almeno un questionario</p>',
                     response.text), response.text


def test_the_api_keeps_answering_in_english_for_the_same_form(client, session):
    from tests.factories import auth_headers

    headers = auth_headers(client, create_user(session, role=Role.hr, language="it"))
    body = {"title": "KAM Nord-Est", "questionnaires": ["analysis", "english"],
            "weights": {"analysis": 1}, "language_hurdle": {"language": "it", "level": "C1"}}
    answer = client.post("/api/v1/positions", headers=headers, json=body)
    assert answer.status_code == 422
    assert answer.json() == {"detail": (
        "language_hurdle: the position requires Italian C1, so its battery must test "
        "Italian; add the 'italian' questionnaire or remove the hurdle")}
    empty = client.post("/api/v1/positions", headers=headers,
                        json={**body, "questionnaires": [], "language_hurdle": None})
    assert empty.status_code == 422
    assert empty.json() == {"detail": "questionnaires: choose at least one questionnaire"}


def test_a_weight_no_questionnaire_measures_is_explained_in_italian_not_as_a_sum(
    client, session
):
    token = _italian_hr(client, session)
    response = client.post("/positions/new", data=_form(
        token, questionnaires=["analysis"], weight_analysis="0,5",
        weight_commercial_knowledge="0,5"))
    form_shown_again(response)
    error = re.search(r'id="err-weights">([^<]*)<', response.text).group(1)
    assert error.startswith("Nessuno dei questionari scelti misura "), error
    assert "commercial_knowledge" not in error  # the competency's name, not its key
    assert "ora sommano a" not in response.text


def test_the_italian_form_writes_minutes_and_weights_with_a_decimal_comma(client, session):
    login_browser(client, create_user(session, role=Role.hr))
    english = client.get("/positions/new?lang=en").text
    italian = client.get("/positions/new?lang=it").text

    minutes_en = re.findall(r"· (\d+(?:\.\d+)?) min<", english)
    assert any("." in m for m in minutes_en)  # some module takes a half minute
    assert re.findall(r"· (\d+(?:,\d+)?) min<", italian) == [
        m.replace(".", ",") for m in minutes_en]
    assert 'id="w-commercial_knowledge" name="weight_commercial_knowledge" inputmode="decimal" ' \
           'size="5" value="0,25"' in italian
    assert "<td>0,25</td>" in italian and "<td>0.25</td>" in english
    assert 'id="ranking_fit_weight"' in italian and 'value="0,5"' in italian


def test_an_italian_form_saves_as_shown(client, session):
    """The weights the Italian page writes (0,25) are read back as numbers when saved."""
    login_browser(client, create_user(session, role=Role.hr))
    page = client.get("/positions/new?lang=it").text
    fields = dict(re.findall(r'name="(weight_[a-z_]+)" inputmode="decimal" size="5" '
                             r'value="([^"]*)"', page))
    checked = re.findall(r'name="questionnaires" value="([^"]+)" data-seconds="\d+" checked', page)
    answer = client.post("/positions/new?lang=it", data={
        "csrf_token": csrf_token(client), "title": "KAM Centro",
        "questionnaires": checked, "language_hurdle": "",
        "invitation_expiry_days": "14", "ranking_mode": "mix", "ranking_fit_weight": "0,5",
        **fields}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    position = session.exec(select(Position).where(Position.title == "KAM Centro")).one()
    assert abs(sum(position.weights.values()) - 1) < 1e-9
    assert position.ranking["fit_weight"] == 0.5


def test_weights_on_a_competency_no_questionnaire_measures_say_which(client, session):
    """Weights adding up to 1 are not told they do not add up to 1."""
    login_browser(client, create_user(session, role=Role.hr))
    page = client.get("/positions/new?lang=it").text
    fields = dict(re.findall(r'name="(weight_[a-z_]+)" inputmode="decimal" size="5" '
                             r'value="([^"]*)"', page))
    answer = client.post("/positions/new?lang=it", data={
        "csrf_token": csrf_token(client), "title": "KAM Isole",
        "questionnaires": ["analysis", "commercial-knowledge"], "language_hurdle": "",
        "invitation_expiry_days": "14", "ranking_mode": "fit", **fields})
    form_shown_again(answer)
    message = re.search(r'<p class="field-error" id="err-weights">([^<]+)</p>', answer.text)[1]
    assert message.startswith("Nessuno dei questionari scelti misura ")
    assert "Resistenza allo stress" in message and "sommano" not in message
