"""DIF from live attempts: a planted biased item is found between language versions and its
common odds ratio matches statsmodels' StratifiedTable; clean items are mostly category A."""

from __future__ import annotations

import random

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from app.assessments.battery import Battery
from app.fairness import dif
from questionnaires.schema import ChoiceItem
from tests.app.reports.scenario import complete, generated_answers, make_team


@pytest.fixture
def planted(session):
    team = make_team(session, questionnaires=["commercial-knowledge"],
                     weights={"commercial_knowledge": 1.0})
    versions = team.position.questionnaire_versions
    battery = Battery.load(session, versions)
    choice_ids = [i for i, (_s, item) in battery.items.items() if isinstance(item, ChoiceItem)]
    biased = choice_ids[3]
    rng = random.Random(7)
    for n in range(120):
        language = "it" if n % 2 else "en"
        ability = min(0.95, max(0.05, rng.gauss(0.55, 0.2)))
        answers = generated_answers(battery, ability=ability, seed=1000 + n)
        item = battery.items[biased][1]
        ranked = sorted(item.options, key=lambda o: o.score, reverse=True)
        # The planted bias: the English version of this item misleads most English takers.
        if language == "en" and rng.random() < 0.75:
            answers[biased] = ranked[1].id
        _candidate, attempt = complete(session, position=team.position, actor=team.hr,
                                       answers=answers)
        attempt.language = language
        session.add(attempt)
    session.flush()
    return team, biased


def test_the_planted_item_is_found_and_matches_statsmodels(session, planted):
    team, biased = planted
    result = dif.analyse(session, organization_id=team.admin.organization_id,
                         key="commercial-knowledge", version=1, asked=[])

    (comparison,) = result["comparisons"]
    assert (comparison["attribute"], {comparison["reference"], comparison["focal"]}) == (
        "test_language", {"it", "en"})
    by_item = {item["item"]: item for item in comparison["items"]}
    found = by_item[biased]
    assert found["category"] == "C"
    focal_is_en = comparison["focal"] == "en"
    assert found["favours"] == ("reference" if focal_is_en else "focal")
    clean = [i for i in comparison["items"] if i["item"] != biased]
    assert sum(i["category"] == "A" for i in clean) >= 0.8 * len(clean)
    assert biased in result["flagged"]

    # The same strata through statsmodels: the pooled (Mantel–Haenszel) odds ratio.
    group = dif.norm_service.load_group(session, organization_id=team.admin.organization_id,
                                        key="commercial-knowledge", version=1)
    keys = group.keys
    binary = np.nan_to_num(dif._dichotomous(group.item_scores, np.asarray(keys.item_max)))
    j = keys.ids.index(biased)
    same = np.flatnonzero(keys.scale_of_item == keys.scale_of_item[j])
    matching = binary[:, same].sum(axis=1)
    languages = dif._groups(session, group.attempt_ids, [])["test_language"]
    tables = []
    for level in np.unique(matching):
        rows = matching == level
        ref = rows & np.array([g == comparison["reference"] for g in languages])
        foc = rows & np.array([g == comparison["focal"] for g in languages])
        if ref.sum() and foc.sum():
            a, c = binary[ref, j].sum(), binary[foc, j].sum()
            tables.append([[a, ref.sum() - a], [c, foc.sum() - c]])
    pooled = StratifiedTable([np.array(t, float) for t in tables]).oddsratio_pooled
    assert found["alpha_mh"] == pytest.approx(pooled, rel=1e-9)


def test_groups_too_small_are_skipped_not_guessed(session, planted):
    team, _biased = planted
    result = dif.analyse(session, organization_id=team.admin.organization_id,
                         key="commercial-knowledge", version=1, asked=[], min_group=100)
    assert result["comparisons"] == []
    assert result["skipped"][0]["n_reference"] == 60


def test_item_analysis_shows_the_flagged_item_on_the_api_and_the_page(client, session,
                                                                     planted):
    from tests.factories import auth_headers, login_browser

    team, biased = planted
    body = client.get("/api/v1/questionnaires/commercial-knowledge/item-analysis",
                      headers=auth_headers(client, team.admin), params={"version": 1}).json()
    assert biased in body["dif"]["flagged"]
    login_browser(client, team.admin)
    page = client.get("/admin/psychometrics/commercial-knowledge/1/items")
    assert page.status_code == 200
    assert "Possible item bias (DIF C" in page.text


def test_people_given_forms_of_different_length_are_matched_on_their_share():
    given = np.array([[True, True, False, False], [True, True, True, True],
                      [True, True, True, True]])
    binary = np.array([[1.0, 1.0, np.nan, np.nan], [1.0, 1.0, 0.0, 0.0],
                       [1.0, 1.0, 1.0, 1.0]])
    # All right on 2 of 2 is the same stratum as all right on 4 of 4; 2 of 4 is lower.
    assert dif._matching(binary, given).tolist() == [4.0, 2.0, 4.0]
    same = np.ones((2, 3), dtype=bool)
    assert dif._matching(np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]), same).tolist() == [2, 1]
