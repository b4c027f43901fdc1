"""Psychometrics pages: admins only, the norm service's numbers, rebuild/export/import through
the pages, and the item analysis with its review flags."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.bank.models import NormTable as NormRow
from app.norms import service as norm_service
from app.organizations.models import Organization
from tests.app.reports.scenario import bulk_completed, complete, make_team, synthetic_norms
from tests.factories import csrf_token, form_shown_again, login_browser

KEYS = ["commercial-knowledge", "stress-resistance"]
HTML = {"Accept": "text/html"}
PAGE = "/admin/psychometrics"


@pytest.fixture
def team(session):
    return make_team(session, questionnaires=KEYS)


def _login(client, user):
    client.cookies.clear()
    login_browser(client, user)


def _card(html: str, key: str, version: int = 1) -> str:
    """The section of the status page about ``version`` of ``key`` (the team takes v1)."""
    start = html.index(f'id="v-{key}-{version}"')
    end = html.find('<section class="card psy-card"', start)
    return html[start : end if end > 0 else None]


def _field(card: str, name: str) -> str:
    return re.search(rf'data-field="{name}">([^<]*)<', card).group(1)


def test_only_admins_of_the_organization(client, session, team):
    bulk_completed(session, position=team.position, n=3)
    paths = [PAGE, f"{PAGE}/english/1/items", f"{PAGE}/commercial-knowledge/1/items"]
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith("/login")
    for role, user in team.users().items():
        _login(client, user)
        expected = 200 if role in ("admin", "outsider") else 403
        for path in paths:
            response = client.get(path, headers=HTML)
            assert response.status_code == expected, (role, path)
            if expected == 403:
                assert "Not allowed" in response.text
        if expected == 403:
            token = csrf_token(client, "/")
            rebuild = client.post(f"{PAGE}/rebuild", data={"csrf_token": token}, headers=HTML)
            assert rebuild.status_code == 403
    # The other organization's admin sees its own (empty) group, never ours.
    _login(client, team.outsider)
    card = _card(client.get(PAGE).text, "commercial-knowledge", version=2)  # the newest
    assert _field(card, "completed_attempts") == "0"
    items = client.get(f"{PAGE}/commercial-knowledge/1/items").text
    assert re.search(r'data-field="n">0<', items)
    assert client.get(f"{PAGE}/nonsense/1/items", headers=HTML).status_code == 404


def test_status_rebuild_and_export_through_the_pages(client, session, team):
    bulk_completed(session, position=team.position, n=24)
    _login(client, team.admin)
    org = team.admin.organization_id
    page = client.get(PAGE)
    assert page.status_code == 200
    card = _card(page.text, "commercial-knowledge")
    assert _field(card, "completed_attempts") == "24"
    assert "No norm table yet." in card and "rebuild due" in card
    assert client.get(f"{PAGE}/commercial-knowledge/1/export", headers=HTML).status_code == 404

    token = csrf_token(client, PAGE)
    refused = client.post(f"{PAGE}/rebuild", data={"csrf_token": "forged"}, headers=HTML)
    assert refused.status_code == 422
    assert session.exec(select(NormRow).where(NormRow.organization_id == org)).first() is None
    response = client.post(f"{PAGE}/rebuild", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Norm tables rebuilt: 2." in page.text
    status = {e["questionnaire_key"]: e for e in norm_service.status(session, organization_id=org)
              if e["questionnaire_version"] == 1}
    for key in KEYS:
        card = _card(page.text, key)
        assert _field(card, "completed_attempts") == str(status[key]["completed_attempts"])
        assert _field(card, "message") == status[key]["message"]
        assert "no norms" in card and "computed" in card
        assert status[key]["message"] == "norms not yet established (n = 24 of 100)"
        for scale in status[key]["scales"]:
            assert f"{scale['alpha']:.2f}" in card
            if scale["alpha_low"]:
                assert f"low: below {scale['alpha_threshold']:.2f}" in card
    assert "UTC" in _card(page.text, KEYS[0])  # the organization has no time zone yet
    organization = session.get(Organization, org)
    organization.settings = {**(organization.settings or {}), "time_zone": "Europe/Rome"}
    session.add(organization)
    session.commit()
    local = _card(client.get(PAGE).text, KEYS[0])
    assert "UTC" not in local and ("CET" in local or "CEST" in local)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "norms.rebuild")).one()
    assert entry.actor_user_id == team.admin.id

    exported = client.get(f"{PAGE}/commercial-knowledge/1/export")
    assert exported.status_code == 200
    assert (
        'filename="norms-commercial-knowledge-v1.json"' in (exported.headers["content-disposition"])
    )
    assert exported.json() == norm_service.export(
        session, organization_id=org, key="commercial-knowledge", version=1
    )

    # Another organization imports the file through its page.
    _login(client, team.outsider)
    token = csrf_token(client, PAGE)
    response = client.post(
        f"{PAGE}/import",
        data={"csrf_token": token},
        files={"table": ("norms.json", exported.content, "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "Norm table imported for commercial-knowledge v1." in page.text
    card = _card(page.text, "commercial-knowledge")
    assert "imported" in card and "n = 24" in card
    assert session.exec(
        select(AuditEntry).where(
            AuditEntry.action == "norms.import", AuditEntry.actor_user_id == team.outsider.id
        )
    ).one()


def test_import_refusals_are_shown(client, session, team):
    _login(client, team.admin)
    token = csrf_token(client, PAGE)
    (good,) = synthetic_norms(session, keys=["english"], n=120)
    cases = [
        (
            json.dumps({**good, "scoring_version": "2.0.0"}).encode(),
            "scoring_version: the table was built by scoring 2.0.0",
        ),
        (
            json.dumps({**good, "questionnaire_version": 99}).encode(),
            "questionnaire_version: no questionnaire &#39;english&#39; version 99 in the bank",
        ),
        (b"not json at all", "The file is not JSON"),
        (b"", "The file is not JSON"),
    ]
    for content, message in cases:
        response = client.post(
            f"{PAGE}/import",
            data={"csrf_token": token},
            files={"table": ("t.json", content, "application/json")},
        )
        shown = form_shown_again(response).text
        assert "The norm table was not imported" in shown and message in shown
    missing = client.post(f"{PAGE}/import", data={"csrf_token": token})
    assert "Choose a norm table file" in form_shown_again(missing).text
    forged = client.post(
        f"{PAGE}/import",
        data={"csrf_token": "x"},
        headers=HTML,
        files={"table": ("t.json", json.dumps(good).encode(), "text/plain")},
    )
    assert forged.status_code == 422
    org = team.admin.organization_id
    assert session.exec(select(NormRow).where(NormRow.organization_id == org)).first() is None


def test_item_analysis_lists_the_flags(client, session, team):
    for seed in range(2):
        complete(
            session, position=team.position, actor=team.hr, ability=0.5 + 0.2 * seed, seed=seed
        )
    bulk_completed(session, position=team.position, n=18)
    org = team.admin.organization_id
    analysis = norm_service.analyse_items(
        session, organization_id=org, key="commercial-knowledge", version=1
    )
    assert analysis["n"] == 20 and analysis["flagged"] > 0
    _login(client, team.admin)
    page = client.get(f"{PAGE}/commercial-knowledge/1/items")
    assert page.status_code == 200
    assert re.search(r'data-field="n">20<', page.text)
    assert re.search(rf'data-field="flagged">{analysis["flagged"]}<', page.text)
    labels = {
        "low_discrimination": "r &lt; 0.20",
        "negative_discrimination": "check the key",
        "too_hard": "p outside 0.20–0.80",
        "too_easy": "p outside 0.20–0.80",
        "weak_distractor": "distractor chosen by under 5 %",
        "no_variance": "no variance",
    }
    rows = dict(re.findall(r'<tr data-item="([^"]+)"[^>]*>(.*?)</tr>', page.text, re.S))
    assert set(rows) == {item["item_id"] for item in analysis["items"]}
    for item in analysis["items"]:
        for flag in item["flags"]:
            assert labels[flag["code"]] in rows[item["item_id"]], item["item_id"]
    by_flag = client.get(f"{PAGE}/commercial-knowledge/1/items?sort=flag").text
    order = re.findall(r'<tr data-item="[^"]+"( data-flagged="true")?>', by_flag)
    flagged = [bool(mark) for mark in order]
    assert flagged == sorted(flagged, reverse=True) and any(flagged)
