"""The hire-vs-grow page: who sees it, the API's numbers, errors next to fields, saving."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.costs.pages import model_value, parse_number, shown_value
from app.positions.models import Position
from tests.app.reports.scenario import VISIBILITY, make_team
from tests.factories import auth_headers, login_browser

HTML = {"Accept": "text/html"}


@pytest.fixture
def team(session):
    return make_team(
        session,
        cost_assumptions={"target_monthly_revenue": 200_000, "experienced": {"ramp_months": 4}},
    )


class _Form(HTMLParser):
    """The named inputs and selects of a page, in order (several values per name kept)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "checkbox"):
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a["value"]))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def form_of(html: str) -> dict[str, list[str]]:
    parser = _Form()
    parser.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def numbers_of(html: str) -> dict[str, float | None]:
    """The machine-readable numbers the page prints beside what people read."""
    return {
        field: (float(value) if value else None)
        for field, value in re.findall(r'data-field="([^"]+)" data-value="([^"]*)"', html)
    }


def api_numbers(body: dict) -> dict[str, float | None]:
    out: dict[str, float | None] = {"npv_difference": body["npv_difference"]}
    for option in ("experienced", "grow_in_house"):
        for key in (
            "npv",
            "break_even_month",
            "peak_funding",
            "total_cost",
            "total_margin",
            "net_contribution",
        ):
            out[f"{option}.{key}"] = body[option][key]
    if body["monte_carlo"]:
        out["monte_carlo.p_experienced_better"] = body["monte_carlo"]["p_experienced_better"]
        for option in ("experienced", "grow_in_house"):
            for q in ("p10", "p50", "p90"):
                out[f"monte_carlo.{option}.{q}"] = body["monte_carlo"][option][q]
    return out


def _login(client, user):
    client.cookies.clear()
    login_browser(client, user)


def test_who_sees_the_page(client, team):
    path = f"/positions/{team.position.id}/costs"
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for role, user in team.users().items():
        _login(client, user)
        page = client.get(path, headers=HTML)
        assert page.status_code == VISIBILITY[role], role
        if page.status_code == 200:
            assert "Hire or grow" in page.text
            assert ("Save as the position" in page.text) is (role in ("admin", "hr")), role


def test_the_page_shows_the_apis_numbers(client, team):
    _login(client, team.manager)
    path = f"/positions/{team.position.id}/costs"
    page = client.get(path)
    api = client.get(
        f"/api/v1/positions/{team.position.id}/cost-comparison",
        headers=auth_headers(client, team.manager),
    ).json()
    assert numbers_of(page.text) == api_numbers(api)
    assert 'value="200000"' in page.text and "default: 150,000" in page.text
    assert "default: 6" in page.text  # the experienced ramp's documented default
    assert "<svg" in page.text and "Month by month" in page.text

    form = form_of(page.text)
    # The untouched form gives exactly the saved assumptions' numbers (no rounding on the way).
    again = client.post(path, data={**form, "action": "calculate"})
    assert again.status_code == 200
    assert numbers_of(again.text) == api_numbers(api)

    form.update(
        {
            "horizon_months": ["24"],
            "discount_rate_annual": ["8"],
            "gross_margin_pct": ["32,5"],
            "target_monthly_revenue": ["180,000"],
            "commission_base": ["margin"],
            "band_name": ["small", "medium", "large", ""],
            "band_share": ["20", "30", "50", ""],
            "band_rate": ["20", "12,5", "5", ""],
            "hiring_budget": ["60000"],
            "grow_in_house.productivity": ["80"],
            "grow_in_house.monthly_attrition": ["2,5"],
            "experienced.ramp_months": ["5"],
            "simulations": ["400"],
            "seed": ["7"],
        }
    )
    response = client.post(path, data={**form, "action": "calculate"})
    assert response.status_code == 200, response.text
    body = {
        "horizon_months": 24,
        "discount_rate_annual": 0.08,
        "gross_margin_pct": 0.325,
        "target_monthly_revenue": 180_000,
        "commission_base": "margin",
        "commission_bands": [
            {"name": "small", "share": 0.2, "rate": 0.2},
            {"name": "medium", "share": 0.3, "rate": 0.125},
            {"name": "large", "share": 0.5, "rate": 0.05},
        ],
        "hiring_budget": 60_000,
        "grow_in_house": {"productivity": 0.8, "monthly_attrition": 0.025},
        "experienced": {"ramp_months": 5},
        "simulations": 400,
        "seed": 7,
    }
    expected = client.post(
        "/api/v1/cost-comparison",
        params={"position_id": team.position.id},
        json=body,
        headers=auth_headers(client, team.manager),
    ).json()
    shown = numbers_of(response.text)
    assert shown == api_numbers(expected)
    assert "monte_carlo.grow_in_house.p90" in shown
    assert "Results for the inputs below (not saved)" in response.text
    assert "Budget rule" in response.text and "Ranges used" in response.text
    for reason in expected["reasons"]:
        assert reason.replace("'", "&#39;") in response.text
    # What was typed stays in the form.
    assert 'value="32,5"' in response.text and 'value="small"' in response.text


def test_bad_inputs_are_shown_next_to_their_fields(client, session, team):
    _login(client, team.hr)
    path = f"/positions/{team.position.id}/costs"
    form = form_of(client.get(path).text)
    form.update(
        {
            "experienced.ramp_months": ["0"],
            "grow_in_house.training_months": ["2,5"],
            "target_monthly_revenue": ["lots"],
            "discount_rate_annual": ["150"],
            "seed": [""],
            "band_name": ["medium", "large", "extra"],
            "band_share": ["40", "60", "10"],
            "band_rate": ["15", "5", ""],
        }
    )
    before = dict(team.position.cost_assumptions)
    for action in ("calculate", "save"):
        response = client.post(path, data={**form, "action": action}, headers=HTML)
        assert response.status_code == 422, response.text
        text = response.text
        assert 'id="err-f-experienced-ramp_months"' in text and "must be ≥ 1, got 0" in text
        assert 'id="err-f-grow_in_house-training_months"' in text
        assert "must be a whole number, got 2.5" in text
        assert 'id="err-f-target_monthly_revenue"' in text
        assert "must be a number, got &#39;lots&#39;" in text
        assert 'id="err-f-discount_rate_annual"' in text and "must be ≤ 1, got 1.5" in text
        assert 'id="err-f-seed"' in text
        assert 'id="err-band-rate-2"' in text and "is required" in text
        assert 'value="lots"' in text and 'value="2,5"' in text  # the form keeps the values
        assert "data-field=" not in text  # no results for inputs that do not validate
    session.refresh(team.position)
    assert team.position.cost_assumptions == before

    # A sum that is not 100 % is named on the bands.
    form.update(
        {
            "experienced.ramp_months": ["6"],
            "grow_in_house.training_months": ["3"],
            "target_monthly_revenue": ["150000"],
            "discount_rate_annual": ["10"],
            "seed": ["1"],
            "band_rate": ["15", "5", "3"],
        }
    )
    response = client.post(path, data={**form, "action": "calculate"}, headers=HTML)
    assert response.status_code == 422
    assert 'id="err-bands"' in response.text and "must sum to 1" in response.text

    # Empty rows are dropped: the wrong rate of the third row comes back as the second row.
    form.update(
        {
            "band_name": ["medium", "", "large"],
            "band_share": ["40", "", "60"],
            "band_rate": ["15", "", "150"],
        }
    )
    response = client.post(path, data={**form, "action": "calculate"}, headers=HTML)
    assert response.status_code == 422
    assert 'id="err-band-rate-1"' in response.text and "must be ≤ 1, got 1.5" in response.text
    assert 'id="band-name-1" name="band_name" value="large"' in response.text
    assert 'id="band-name-2" name="band_name" value=""' in response.text  # one to add


def test_saving_needs_hr_and_csrf_and_is_audited(client, session, team, monkeypatch):
    from app.scores import service as score_service

    rescored = []
    original = score_service.rescore_position
    monkeypatch.setattr(
        score_service,
        "rescore_position",
        lambda session, *, position, **kw: (
            rescored.append(position.id) or original(session, position=position, **kw)
        ),
    )
    path = f"/positions/{team.position.id}/costs"
    _login(client, team.manager)
    form = form_of(client.get(path).text)
    form["hiring_budget"] = ["5000"]
    assert client.post(path, data={**form, "action": "save"}, headers=HTML).status_code == 403

    _login(client, team.hr)
    form = form_of(client.get(path).text)
    form.update({"hiring_budget": ["5000"], "grow_in_house.ramp_months": ["10"]})
    no_csrf = {**form, "action": "save", "csrf_token": ["forged"]}
    assert client.post(path, data=no_csrf, headers=HTML).status_code == 422
    session.refresh(team.position)
    assert "hiring_budget" not in team.position.cost_assumptions and rescored == []

    response = client.post(path, data={**form, "action": "save"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?saved=1")
    position = session.get(Position, team.position.id)
    session.refresh(position)
    assert position.cost_assumptions["hiring_budget"] == 5_000
    assert position.cost_assumptions["grow_in_house"]["ramp_months"] == 10
    assert position.cost_assumptions["target_monthly_revenue"] == 200_000
    assert rescored == [position.id]
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "position.cost_assumptions")
    ).one()
    assert entry.actor_user_id == team.hr.id and entry.object_id == str(position.id)
    page = client.get(response.headers["location"])
    assert "Saved." in page.text and 'value="5000"' in page.text
    api = client.get(
        f"/api/v1/positions/{position.id}/cost-comparison", headers=auth_headers(client, team.hr)
    ).json()
    assert numbers_of(page.text) == api_numbers(api)
    assert api["recommendation"] == "grow_in_house"  # peak funding above a 5 k€ budget


def test_italian_page_and_numbers_as_typed():
    assert parse_number("0,3", "en") == parse_number("0.3", "it")
    assert parse_number("150.000", "it") == parse_number("150,000", "en") == 150_000
    assert parse_number("1.234,5", "it") == parse_number("1,234.5", "en")
    assert parse_number(" 30 % ", "en") == 30 and parse_number("", "en") is None
    for bad in ("abc", "1.2.3", "inf", "NaN", "sNaN"):
        with pytest.raises(ValueError):
            parse_number(bad, "en")
    assert model_value(parse_number("30", "en"), "percent") == 0.3
    assert model_value(parse_number("6", "en"), "whole") == 6
    attrition = 1 - 0.65 ** (1 / 12)
    for lang in ("en", "it"):
        text = shown_value(attrition, "percent", lang)
        assert model_value(parse_number(text, lang), "percent") == attrition


def test_italian_labels(client, team):
    _login(client, team.admin)
    page = client.get(f"/positions/{team.position.id}/costs?lang=it")
    assert page.status_code == 200
    assert "Assunzione di un esperto" in page.text and "predefinito: 6" in page.text
    assert 'value="0,4"' not in page.text and 'value="40"' in page.text


def test_reasons_and_the_legend_are_in_the_readers_language(client, session, team):
    import html

    _login(client, team.manager)
    page = html.unescape(client.get(f"/positions/{team.position.id}/costs?lang=it").text)
    assert "Ogni importo qui è un valore atteso" in page  # rows are expected values
    assert "ha il VAN più alto su 36 mesi" in page  # the reasons, worded in Italian
    for english in ("has the higher NPV", "breaks even in month", "needs peak funding"):
        assert english not in page


def test_a_blank_experienced_hiring_cost_follows_the_salary(client, session, team):
    _login(client, team.hr)
    path = f"/positions/{team.position.id}/costs"
    form = form_of(client.get(path).text)
    assert form["experienced.hiring_cost"] == [""]  # the position does not set it
    form.update({"experienced.base_salary_monthly": ["7000"], "action": ["save"]})
    assert client.post(path, data=form, follow_redirects=False).status_code == 303
    body = client.get(f"/api/v1/positions/{team.position.id}/cost-comparison",
                      headers=auth_headers(client, team.hr)).json()
    assert body["assumptions"]["experienced"]["hiring_cost"] == pytest.approx(16_800)
    form = form_of(client.get(path).text)
    assert form["experienced.hiring_cost"] == [""]
    form.update({"experienced.hiring_cost": ["9000"], "action": ["save"]})
    assert client.post(path, data=form, follow_redirects=False).status_code == 303
    body = client.get(f"/api/v1/positions/{team.position.id}/cost-comparison",
                      headers=auth_headers(client, team.hr)).json()
    assert body["assumptions"]["experienced"]["hiring_cost"] == 9_000


def test_an_implausible_amount_asks_to_confirm_and_italian_thousands_read_right(client, team):
    _login(client, team.hr)
    path = f"/positions/{team.position.id}/costs?lang=it"
    form = form_of(client.get(path).text)
    # "2.800" in Italian is two thousand eight hundred: plausible, no question.
    form["experienced.base_salary_monthly"] = ["2.800"]
    fine = client.post(path, data={**form, "action": "calculate"})
    assert fine.status_code == 200 and 'id="confirm-amounts-box"' not in fine.text
    # "28" euros a month is not a salary: the page asks, and says why.
    form["experienced.base_salary_monthly"] = ["28"]
    asked = client.post(path, data={**form, "action": "save"}, follow_redirects=False)
    assert asked.status_code == 422 and 'id="confirm-amounts-box"' in asked.text
    assert "è insolito qui" in asked.text and "2.800 è duemilaottocento" in asked.text
    confirmed = client.post(path, data={**form, "action": "save", "confirm_amounts": "yes"},
                            follow_redirects=False)
    assert confirmed.status_code == 303


def test_attrition_can_be_typed_as_yearly_turnover(client, session, team):
    from app.positions.models import Position

    _login(client, team.hr)
    path = f"/positions/{team.position.id}/costs"
    form = form_of(client.get(path).text)
    form["grow_in_house.yearly_turnover"] = ["20"]
    saved = client.post(path, data={**form, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    monthly = session.get(Position, team.position.id).cost_assumptions["grow_in_house"][
        "monthly_attrition"]
    assert abs((1 - (1 - monthly) ** 12) - 0.20) < 1e-9  # 20 % a year, compounded monthly
    form["grow_in_house.yearly_turnover"] = ["120"]
    bad = client.post(path, data={**form, "action": "calculate"})
    assert bad.status_code == 422 and "share who leave in a year" in bad.text
