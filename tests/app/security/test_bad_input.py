"""Bad input of every kind is a 4xx that names the field, never a 500: integers past 64
bits, money past its bound, line breaks in one-line fields, blank titles, bodies streamed
without a length; and a rounded zero never shows as "-0"."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    auth_headers,
    create_position,
    create_user,
    form_shown_again,
    login_browser,
)

PAST_64_BITS = 2**64
HUGE = 10**30


@pytest.fixture
def admin(session, client):  # type: ignore[no-untyped-def]
    """An admin with an API token, signed in on the client too, a manager, and a position."""
    user = create_user(session)
    from app.organizations.models import Organization

    organization = session.get(Organization, user.organization_id)
    manager = create_user(session, organization=organization, role="manager")
    position = create_position(session, actor=user, questionnaires=["english"])
    headers = auth_headers(client, user)
    login_browser(client, user)
    return headers, position, manager


# --- integers past 64 bits --------------------------------------------------------------------


@pytest.mark.parametrize("value", [PAST_64_BITS, -PAST_64_BITS, HUGE])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/v1/audit?offset={n}", None, "offset"),
        ("GET", "/api/v1/positions/{position}/candidates?offset={n}", None, "offset"),
        ("GET", "/api/v1/questionnaires/english?version={n}", None, "version"),
        ("GET", "/api/v1/questionnaires/english/item-analysis?version={n}", None, "version"),
        ("POST", "/api/v1/cost-comparison?position_id={n}", {}, "position_id"),
        ("POST", "/api/v1/positions", {"title": "T", "manager_ids": ["{n}"]}, "manager_ids.0"),
        ("PATCH", "/api/v1/positions/{position}", {"manager_ids": ["{n}"]}, "manager_ids.0"),
        ("POST", "/api/v1/cost-comparison", {"horizon_months": "{n}"}, "horizon_months"),
        ("POST", "/api/v1/cost-comparison", {"seed": "{n}"}, "seed"),
        ("POST", "/api/v1/cost-comparison", {"experienced": {"hiring_cost": "{n}"}},
         "experienced.hiring_cost"),
        ("POST", "/api/v1/positions/{position}/candidates",
         {"full_name": "A", "email": "a@example.com", "extra_time_pct": "{n}"},
         "extra_time_pct"),
    ],
)
def test_an_integer_past_64_bits_is_a_422_naming_the_field(
    client, admin, method, path, body, field, value
):
    headers, position, _manager = admin

    def filled(thing):  # type: ignore[no-untyped-def]
        if thing == "{n}":
            return value
        if isinstance(thing, dict):
            return {k: filled(v) for k, v in thing.items()}
        if isinstance(thing, list):
            return [filled(v) for v in thing]
        return thing

    url = path.format(n=value, position=position.id)
    response = client.request(method, url, headers=headers, json=filled(body))

    assert response.status_code == 422, response.text
    assert any(problem["field"] == field for problem in response.json()["detail"]), response.text


def test_a_manager_id_past_64_bits_on_the_position_form_is_shown_on_the_field(client, admin):
    from tests.factories import csrf_token

    _headers, position, _manager = admin
    form = {"csrf_token": csrf_token(client, f"/positions/{position.id}/edit"),
            "title": "Key Account Manager", "questionnaires": "english",
            "weight_languages": "1", "manager_ids": str(PAST_64_BITS)}
    response = client.post(f"/positions/{position.id}/edit", data=form,
                           headers={"Accept": "text/html"})
    form_shown_again(response)
    assert "Too large" in response.text


@pytest.mark.parametrize("offset", [str(PAST_64_BITS), "²", "-1"])
def test_a_page_number_past_any_range_is_a_422_page(client, admin, offset):
    _headers, position, _manager = admin
    response = client.get(f"/positions/{position.id}?offset={offset}",
                          headers={"Accept": "text/html"})
    assert response.status_code == 422


# --- money and counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target_monthly_revenue": 1e28}, "target_monthly_revenue"),
        ({"target_monthly_revenue": 1_000_000_001}, "target_monthly_revenue"),
        ({"target_monthly_revenue": 1e308}, "target_monthly_revenue"),
        ({"hiring_budget": 1e10}, "hiring_budget"),
        ({"experienced": {"base_salary_monthly": 2e9}}, "experienced.base_salary_monthly"),
        ({"grow_in_house": {"training_cost_total": 1e12}}, "grow_in_house.training_cost_total"),
        ({"experienced": {"hiring_cost": 1e9 + 1}}, "experienced.hiring_cost"),
        ({"horizon_months": 601}, "horizon_months"),
        ({"grow_in_house": {"ramp_months": 601}}, "grow_in_house.ramp_months"),
        ({"simulations": 200_001}, "simulations"),
    ],
)
def test_money_and_counts_past_their_bounds_are_a_422_naming_the_field(
    client, admin, body, field
):
    headers, position, _manager = admin
    compared = client.post("/api/v1/cost-comparison", headers=headers, json=body)
    assert compared.status_code == 422, compared.text
    assert compared.json()["detail"][0]["field"] == field
    saved = client.patch(f"/api/v1/positions/{position.id}", headers=headers,
                         json={"cost_assumptions": body})
    assert saved.status_code == 422, saved.text
    [problem] = saved.json()["detail"]
    assert problem["field"] == "cost_assumptions" and field in problem["message"]


def test_the_largest_amounts_still_compare_to_finite_numbers(client, admin):
    headers, _position, _manager = admin
    most = 1_000_000_000
    body = {"horizon_months": 600, "target_monthly_revenue": most, "hiring_budget": most,
            "experienced": {"base_salary_monthly": most, "hiring_cost": most,
                            "training_cost_total": most, "productivity": 10}}
    response = client.post("/api/v1/cost-comparison", headers=headers, json=body)
    assert response.status_code == 200
    assert response.json()["experienced"]["npv"] is not None


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_cost_page_names_a_sum_past_its_bound_in_the_page_language(client, admin, lang):
    from tests.app.costs.test_pages import form_of  # the page's own form, as posted

    _headers, position, _manager = admin
    page = f"/positions/{position.id}/costs?lang={lang}"
    data = {**form_of(client.get(page).text), "action": "calculate",
            "target_monthly_revenue": ["2000000000"]}
    response = client.post(page, data=data, headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert 'id="err-f-target_monthly_revenue"' in response.text
    expected = {"en": "must be ≤ 1,000,000,000, got 2,000,000,000",
                "it": "deve essere ≤ 1.000.000.000, non 2.000.000.000"}[lang]
    assert expected in response.text


# --- one-line fields and blank titles ---------------------------------------------------------

LINE_BREAKS = ["Mario\nRossi", "Mario\r\nBcc: x@example.com", "Mario\tRossi", "Mario\x00",
               "Mario\u2028Rossi", "Mario\x1b[31m", "Mario\u202eissoR"]


@pytest.mark.parametrize("name", LINE_BREAKS)
def test_one_line_fields_refuse_control_characters(client, admin, name):
    headers, position, _manager = admin
    cases = [
        ("POST", "/api/v1/positions", {"title": name}, "title"),
        ("PATCH", f"/api/v1/positions/{position.id}", {"territory": name}, "territory"),
        ("POST", f"/api/v1/positions/{position.id}/candidates",
         {"full_name": name, "email": "m@example.com"}, "full_name"),
        ("POST", "/api/v1/users", {"email": "new@example.com", "full_name": name,
                                   "role": "hr", "password": "a-long-pass-phrase"}, "full_name"),
    ]
    for method, path, body, field in cases:
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == 422, (path, response.text)
        [problem] = response.json()["detail"]
        assert problem["field"] == field and "one line" in problem["message"], problem


@pytest.mark.parametrize("title", ["", "   ", "\u00a0\u2003"])
def test_a_blank_title_is_a_422(client, admin, title):
    headers, position, _manager = admin
    created = client.post("/api/v1/positions", headers=headers, json={"title": title})
    changed = client.patch(f"/api/v1/positions/{position.id}", headers=headers,
                           json={"title": title})
    for response in (created, changed):
        assert response.status_code == 422
        assert response.json()["detail"][0]["field"] == "title"


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_invitation_form_says_so_in_the_page_language(client, admin, lang):
    from tests.factories import csrf_token

    _headers, position, _manager = admin
    page = f"/positions/{position.id}?lang={lang}"
    form = {"csrf_token": csrf_token(client, page), "full_name": "Mario\nBcc: x@example.com",
            "email": "mario@example.com", "language": "en"}
    response = client.post(f"/positions/{position.id}/candidates?lang={lang}", data=form,
                           headers={"Accept": "text/html"})
    response = form_shown_again(response)  # shown again on the pipeline, through a GET
    expected = {"en": "Use one line of text", "it": "Usa una sola riga"}[lang]
    assert expected in response.text


# --- a body without a length ------------------------------------------------------------------


def test_a_body_streamed_without_a_length_is_refused_like_one_with_it(client, admin):
    headers, _position, _manager = admin

    def chunks():  # no Content-Length: sent as it is produced
        for _ in range(250):
            yield b"x" * 5_000

    for path, kind in (("/api/v1/users", "application/json"),
                       ("/api/v1/auth/token", "application/x-www-form-urlencoded")):
        response = client.post(path, headers={**headers, "Content-Type": kind},
                               content=chunks())
        assert response.status_code == 413, (path, response.text)
        assert "larger than" in response.json()["detail"]


# --- no "-0" ----------------------------------------------------------------------------------


def test_an_amount_that_rounds_to_zero_never_shows_as_minus_zero(client, admin):
    """Thirty cents of hiring cost and nothing else: the experienced hire's NPV is -0.30 €."""
    headers, position, _manager = admin
    zero = {"base_salary_monthly": 0, "hiring_cost": 0, "training_cost_total": 0,
            "overhead_pct": 0}
    body = {"horizon_months": 1, "target_monthly_revenue": 0,
            "experienced": {**zero, "hiring_cost": 0.3}, "grow_in_house": zero}

    response = client.post("/api/v1/cost-comparison", headers=headers, json=body)

    assert response.status_code == 200
    reasons = " ".join(response.json()["reasons"])
    assert "€0" in reasons and "-0" not in reasons and "−0" not in reasons
    saved = client.patch(f"/api/v1/positions/{position.id}", headers=headers,
                         json={"cost_assumptions": body})
    assert saved.status_code == 200
    page = client.get(f"/positions/{position.id}/costs", headers={"Accept": "text/html"})
    assert page.status_code == 200
    shown = re.sub(r"<[^>]*>", " ", page.text)  # what a person reads, without the markup
    assert not re.search(r"(?<![\w-])[-−]\s?(€\s?)?0(?![\d.,])", shown), shown
    assert "€-0" not in shown and "€−0" not in shown


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_position_form_shows_a_line_break_next_to_its_field(client, admin, lang):
    from tests.factories import csrf_token

    _headers, position, _manager = admin
    form = {"csrf_token": csrf_token(client, f"/positions/{position.id}/edit"),
            "title": "Key Account Manager", "territory": "Nord\tSud",
            "questionnaires": "english", "weight_languages": "1"}
    response = client.post(f"/positions/{position.id}/edit?lang={lang}", data=form,
                           headers={"Accept": "text/html"})
    form_shown_again(response)
    assert 'id="err-territory"' in response.text
    expected = {"en": "Use one line of text", "it": "Usa una sola riga"}[lang]
    assert expected in response.text
