"""Norms: status, rebuild from completed attempts, export/import, automatic rebuilds, item
analysis; admins only, one organization never sees another's."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.bank.models import NormTable as NormRow
from app.norms import service as norm_service
from app.scores.models import Score
from scoring import SCORING_VERSION, NormTable
from tests.app.reports.scenario import bulk_completed, complete, make_team, synthetic_norms
from tests.factories import auth_headers

KEYS = ["commercial-knowledge", "stress-resistance"]


@pytest.fixture
def team(session):
    return make_team(session, questionnaires=KEYS)


def _status(client, user):
    return client.get("/api/v1/norms", headers=auth_headers(client, user))


def _entry(body, key):
    return next(q for q in body["questionnaires"] if q["questionnaire_key"] == key)


def test_only_admins_see_norms_and_item_analysis(client, team):
    for role, user in team.users().items():
        headers = auth_headers(client, user)
        expected = 200 if role in ("admin", "outsider") else 403
        assert client.get("/api/v1/norms", headers=headers).status_code == expected, role
        analysis = client.get("/api/v1/questionnaires/english/item-analysis", headers=headers)
        assert analysis.status_code == expected, role
        assert client.post("/api/v1/norms/rebuild", headers=headers).status_code == expected
        export = client.get("/api/v1/norms/english/1/export", headers=headers)
        assert export.status_code == (404 if expected == 200 else 403), role  # no table yet
        imported = client.post("/api/v1/norms/import", headers=headers, json={})
        assert imported.status_code == (422 if expected == 200 else 403), role
    assert client.get("/api/v1/norms").status_code == 401


def test_before_any_attempt_norms_are_not_established(client, team):
    body = _status(client, team.admin).json()
    assert body["min_n"] == 100
    entry = _entry(body, "english")
    assert entry["status"] == "none" and entry["n"] == 0 and entry["table"] is None
    assert entry["message"] == "norms not yet established (n = 0 of 100)"


def test_rebuild_establishes_norms_and_rescores_the_positions(client, session, team):
    _candidate, attempt = complete(session, position=team.position, actor=team.hr, ability=0.7)
    bulk_completed(session, position=team.position, n=119)
    before = _entry(_status(client, team.admin).json(), "commercial-knowledge")
    assert before["completed_attempts"] == 120 and before["rebuild_due"] is True
    response = client.post("/api/v1/norms/rebuild", headers=auth_headers(client, team.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(r["questionnaire_key"] for r in body["rebuilt"]) == KEYS
    entry = _entry(body, "commercial-knowledge")
    assert entry["status"] == "provisional" and entry["n"] == 120
    assert entry["message"] == "provisional norms (n = 120)"
    assert entry["table"]["source"] == "computed" and entry["rebuild_due"] is False
    scale = entry["scales"][0]
    assert scale["competency"] == "commercial_knowledge" and scale["n"] == 120
    assert 0 < scale["alpha"] < 1 and scale["alpha_low"] is (scale["alpha"] < 0.7)
    stress = _entry(body, "stress-resistance")["scales"][0]
    assert stress["alpha_threshold"] in (0.5, 0.7)
    # The one scored attempt was rescored against the new norms: fit is a T-score now.
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).one()
    assert score.fit_unit == "T" and score.composite_z is not None
    assert score.expected_npv is not None
    assert score.scales["commercial_knowledge"]["norm_status"] == "provisional"
    assert session.exec(
        select(AuditEntry).where(AuditEntry.action == "norms.rebuild")
    ).one().actor_user_id == team.admin.id
    # Another organization sees none of it.
    other = _entry(_status(client, team.outsider).json(), "commercial-knowledge")
    assert other["completed_attempts"] == 0 and other["table"] is None


def test_norm_min_n_comes_from_the_settings(client, session, team, monkeypatch):
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "norm_min_n", 20)
    bulk_completed(session, position=team.position, n=25)
    norm_service.rebuild(session, organization_id=team.admin.organization_id)
    entry = _entry(_status(client, team.admin).json(), "commercial-knowledge")
    assert entry["status"] == "provisional" and entry["min_n"] == 20


def test_export_import_round_trip(client, session, team):
    bulk_completed(session, position=team.position, n=30)
    norm_service.rebuild(session, organization_id=team.admin.organization_id)
    exported = client.get("/api/v1/norms/commercial-knowledge/1/export",
                          headers=auth_headers(client, team.admin))
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    table = exported.json()
    assert table["questionnaire_key"] == "commercial-knowledge"
    assert table["questionnaire_version"] == 1 and table["scoring_version"] == SCORING_VERSION
    # The other organization has no table, and cannot read ours.
    outsider = auth_headers(client, team.outsider)
    assert client.get("/api/v1/norms/commercial-knowledge/1/export",
                      headers=outsider).status_code == 404
    imported = client.post("/api/v1/norms/import", headers=outsider, json=table)
    assert imported.status_code == 201, imported.text
    assert imported.json()["source"] == "imported" and imported.json()["n"] == 30
    again = client.get("/api/v1/norms/commercial-knowledge/1/export", headers=outsider).json()
    assert again == table
    assert NormTable.from_dict(again).to_dict() == table
    entry = _entry(_status(client, team.outsider).json(), "commercial-knowledge")
    assert entry["table"]["source"] == "imported" and entry["n"] == 30
    # An automatic rebuild leaves an imported table alone; a manual one can replace it.
    other_org = team.outsider.organization_id
    assert norm_service.is_due(40, session.get(NormRow, imported.json()["id"]), 100) is False
    assert norm_service.rebuild(session, organization_id=other_org) == []


def test_import_refuses_tables_it_cannot_use(client, session, team):
    headers = auth_headers(client, team.admin)
    (good,) = synthetic_norms(session, keys=["english"], n=120)
    cases = [
        ({**good, "questionnaire_version": 99}, "questionnaire_version"),
        ({**good, "questionnaire_key": "charisma"}, "questionnaire_version"),
        ({**good, "questionnaire_version": "1"}, "questionnaire_version"),
        ({**good, "scoring_version": "2.0.0"}, "scoring_version"),
        ({**good, "format": "csv"}, "format"),
        ({**good, "scales": {}}, "scales"),
        ({**good, "questionnaire_key": "analysis"}, "scales.languages"),
        ({**good, "scales": {"languages": {**good["scales"]["languages"], "n": 3}}},
         "scales['languages'].n"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/norms/import", headers=headers, json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["detail"][0]["field"] == field
    assert client.post("/api/v1/norms/import", headers=headers, json=good).status_code == 201
    assert client.post("/api/v1/norms/import", headers=headers, json=[good]).status_code == 422


def test_automatic_rebuilds_follow_the_growth_rule(session, team):
    org = team.admin.organization_id
    bulk_completed(session, position=team.position, n=20, seed=1)
    assert norm_service.due(session, organization_id=org) == [
        ("commercial-knowledge", 1), ("stress-resistance", 1)]
    assert len(norm_service.rebuild_due(session, organization_id=org)) == 2
    assert norm_service.due(session, organization_id=org) == []
    bulk_completed(session, position=team.position, n=1, seed=2)
    assert norm_service.due(session, organization_id=org) == []  # 21 < 1.1 × 20
    bulk_completed(session, position=team.position, n=1, seed=3)
    assert len(norm_service.due(session, organization_id=org)) == 2  # 22 ≥ 1.1 × 20
    assert {row.n for row in norm_service.rebuild_all_due(session)} == {22}
    assert org in norm_service.organizations_with_attempts(session)
    row = NormRow(organization_id=org, questionnaire_key="x", questionnaire_version=1, n=95,
                  source="computed", data={})
    assert norm_service.is_due(100, row, 100) is True  # crosses KAM_NORM_MIN_N
    assert norm_service.is_due(99, row, 100) is False
    assert norm_service.is_due(1, None, 100) is True and norm_service.is_due(0, None, 100) is False


def test_the_worker_rebuilds_a_due_table_once_it_is_ten_minutes_old(session, team):
    """A hiring day grows the group by 10 % every few minutes; each rebuild rescores every
    candidate under the write lock, so the worker waits until the table in force is ten
    minutes old (and checks with a read first)."""
    from app.core.clock import utcnow
    from app.worker.maintenance import NORM_REBUILD_INTERVAL

    org = team.admin.organization_id
    bulk_completed(session, position=team.position, n=20, seed=1)
    assert len(norm_service.rebuild_due(session, organization_id=org)) == 2
    bulk_completed(session, position=team.position, n=5, seed=2)  # 25 ≥ 1.1 × 20: due
    now = utcnow()
    assert norm_service.any_due(session) is True
    assert norm_service.any_due(session, settled_before=now - NORM_REBUILD_INTERVAL) is False
    assert norm_service.rebuild_all_due(
        session, settled_before=now - NORM_REBUILD_INTERVAL) == []
    later = now + NORM_REBUILD_INTERVAL + timedelta(seconds=1)
    assert norm_service.any_due(session, settled_before=later - NORM_REBUILD_INTERVAL) is True
    assert {row.n for row in norm_service.rebuild_all_due(
        session, settled_before=later - NORM_REBUILD_INTERVAL)} == {25}


def test_item_analysis_shape(client, session, team):
    bulk_completed(session, position=team.position, n=40)
    headers = auth_headers(client, team.admin)
    response = client.get("/api/v1/questionnaires/commercial-knowledge/item-analysis?version=1",
                          headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["questionnaire_key"] == "commercial-knowledge"
    assert body["questionnaire_version"] == 1 and body["n"] == 40
    assert len(body["items"]) == 14
    item = body["items"][0]
    assert set(item) >= {"item_id", "competency", "type", "n_answered", "p", "r_it",
                         "alpha_if_deleted", "option_frequencies", "flags", "review"}
    assert item["n_answered"] == 40 and 0 <= item["p"] <= 1
    assert sum(item["option_frequencies"].values()) == pytest.approx(1)
    assert body["flagged"] == sum(1 for i in body["items"] if i["review"])
    assert body["thresholds"]["r_min"] == 0.2
    assert body["rows_used_per_scale"]["commercial_knowledge"] == 40
    empty = client.get("/api/v1/questionnaires/english/item-analysis?version=1",
                       headers=headers).json()
    assert empty["n"] == 0 and empty["flagged"] == 0
    assert client.get("/api/v1/questionnaires/nope/item-analysis",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/questionnaires/english/item-analysis?version=7",
                      headers=headers).status_code == 404
