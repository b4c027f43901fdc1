"""The bank in the database: published once, immutable, served to staff with keys."""

import shutil
from pathlib import Path

import pytest

from app.bank import service as bank_service
from app.core.errors import Conflict
from questionnaires.loader import BANK_DIR
from tests.factories import auth_headers, create_user


def test_publishing_again_changes_nothing(session):
    outcomes = bank_service.publish(session)
    assert {o.status for o in outcomes} == {"unchanged"}


def test_an_edited_published_version_is_refused_with_a_bump_hint(session, tmp_path):
    edited = tmp_path / "bank"
    shutil.copytree(BANK_DIR, edited, ignore=shutil.ignore_patterns("*.json"))
    path = Path(edited / "commercial-knowledge.v1.yaml")
    path.write_text(path.read_text().replace("time_limit_s: 330", "time_limit_s: 331"))
    with pytest.raises(Conflict, match="bump the version to 3"):  # v2 is published too
        bank_service.publish(session, directory=edited)


def test_staff_see_questionnaires_with_scoring_keys(client, session):
    headers = auth_headers(client, create_user(session, role="manager"))
    listing = client.get("/api/v1/questionnaires", headers=headers).json()
    assert {q["key"] for q in listing} >= {"analysis", "english"}
    english = client.get("/api/v1/questionnaires/english", headers=headers).json()
    item = english["sections"][0]["items"][0]
    assert item["competency"] == "languages"
    assert item["cefr"] in {"A2", "B1", "B2", "C1"}
    assert sum(option["score"] for option in item["options"]) == 1
    analysis = client.get("/api/v1/questionnaires/analysis?language=it", headers=headers).json()
    numeric = analysis["sections"][0]["items"][0]
    assert "answer" in numeric and "tolerance" in numeric


def test_unknown_questionnaire_or_version_is_404(client, session):
    headers = auth_headers(client, create_user(session))
    assert client.get("/api/v1/questionnaires/astrology", headers=headers).status_code == 404
    assert client.get("/api/v1/questionnaires/english?version=99",
                      headers=headers).status_code == 404


def test_competency_model(client, session):
    headers = auth_headers(client, create_user(session, role="hr"))
    body = client.get("/api/v1/competencies", headers=headers).json()
    weights = {c["key"]: c["default_weight"] for c in body["competencies"]}
    assert weights["commercial_knowledge"] == 0.25
    assert abs(sum(weights.values()) - 1) < 1e-9
    assert body["default_language_hurdle"] == "B2"
    assert client.get("/api/v1/competencies").status_code == 401
