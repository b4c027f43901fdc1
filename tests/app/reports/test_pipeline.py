"""The pipeline: statuses, filters, search, sorting, paging, ranking, rescoring, volume."""

from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.assessments import service as assessment_service
from app.assessments.models import Attempt
from app.assessments.schemas import StartRequest
from app.candidates import decisions as decision_service
from app.candidates import service as candidate_service
from app.candidates.models import Invitation
from app.core.clock import utcnow
from app.scores.models import Score
from scoring import score_candidate
from tests.app.reports.scenario import (
    VISIBILITY,
    complete,
    import_norms,
    make_team,
    stored_answers,
    synthetic_norms,
)
from tests.factories import SCREENING, auth_headers, invite_candidate


def _pipeline(client, headers, position_id, **params):
    return client.get(f"/api/v1/positions/{position_id}/candidates", headers=headers,
                      params=params)


def _ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_pipeline_visibility(client, session, team):
    complete(session, position=team.position, actor=team.hr)
    for role, user in team.users().items():
        response = _pipeline(client, auth_headers(client, user), team.position.id)
        assert response.status_code == VISIBILITY[role], role
    assert _pipeline(client, {}, team.position.id).status_code == 401


def test_every_status_and_the_status_filter(client, session, team):
    invited, _ = invite_candidate(session, position=team.position, actor=team.hr)
    expired, _ = invite_candidate(session, position=team.position, actor=team.hr)
    for invitation in session.exec(select(Invitation).where(Invitation.candidate_id == expired.id)):
        invitation.expires_at = utcnow() - timedelta(days=1)
        session.add(invitation)
    revoked, _ = invite_candidate(session, position=team.position, actor=team.hr)
    candidate_service.revoke(session, candidate=revoked)
    started, token = invite_candidate(session, position=team.position, actor=team.hr)
    assessment_service.start(
        session, ctx=assessment_service.resolve(session, token=token),
        data=StartRequest(consent=True, screening=SCREENING), ip=None, user_agent=None,
    )
    completed, _ = complete(session, position=team.position, actor=team.hr)
    session.flush()
    headers = auth_headers(client, team.hr)
    body = _pipeline(client, headers, team.position.id).json()
    assert body["total"] == 5 and body["limit"] == 50 and body["offset"] == 0
    statuses = {item["id"]: item["status"] for item in body["items"]}
    assert statuses == {invited.id: "invited", expired.id: "expired", revoked.id: "revoked",
                        started.id: "in_progress", completed.id: "completed"}
    assert _ids(_pipeline(client, headers, team.position.id, status="expired")) == [expired.id]
    both = _ids(_pipeline(client, headers, team.position.id, status="invited,expired"))
    assert set(both) == {invited.id, expired.id}
    item = next(i for i in body["items"] if i["id"] == completed.id)
    assert set(item) >= {"id", "full_name", "email", "status", "fit_score", "band", "cefr",
                         "knockouts_passed", "flags_count", "expected_npv", "costed_option",
                         "latest_decision", "is_demo", "created_at", "rank"}
    assert item["fit_unit"] == "percent" and item["costed_option"] == "experienced"
    assert item["expected_npv"] is None  # no composite z before norms
    bad = _pipeline(client, headers, team.position.id, status="hired")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "status"


@pytest.fixture
def five(session, team):
    """Five completed candidates: names, abilities, key-account years and flags differ."""
    team.position.knockouts = {"min_years_key_accounts": 5}
    people = [
        ("Mario Rossi", "mario@example.com", 0.9, 6, None),
        ("Giulia Bianchi", "giulia@rossi-consulting.example", 0.3, 2, {"paste_attempts": 2}),
        ("Anna Verdi", "anna@example.com", 0.6, 8, None),
        ("Luca Neri", "luca@example.com", 0.45, 1, None),
        ("Sara Galli", "sara@example.com", 0.75, 4, {"focus_losses": 9}),
    ]
    made = {}
    for i, (name, email, ability, years, integrity) in enumerate(people):
        candidate, _ = complete(
            session, position=team.position, actor=team.hr, ability=ability, seed=i,
            full_name=name, email=email, integrity=integrity,
            screening={**SCREENING, "years_key_accounts": years},
        )
        made[name.split()[0]] = candidate
    return made


def test_filters_and_search(client, session, team, five):
    headers = auth_headers(client, team.hr)
    pid = team.position.id
    passed = _ids(_pipeline(client, headers, pid, knockouts_passed="true"))
    assert set(passed) == {five["Mario"].id, five["Anna"].id}
    failed = _ids(_pipeline(client, headers, pid, knockouts_passed="false"))
    assert set(failed) == {five["Giulia"].id, five["Luca"].id, five["Sara"].id}
    flagged = _ids(_pipeline(client, headers, pid, flagged="true"))
    assert set(flagged) == {five["Giulia"].id, five["Sara"].id}
    assert len(_ids(_pipeline(client, headers, pid, flagged="false"))) == 3
    # Name or e-mail, any case; % and _ are literal characters.
    assert set(_ids(_pipeline(client, headers, pid, q="ROSSI"))) == {
        five["Mario"].id, five["Giulia"].id}
    assert _ids(_pipeline(client, headers, pid, q="anna@")) == [five["Anna"].id]
    assert _ids(_pipeline(client, headers, pid, q="%")) == []
    rows = _pipeline(client, headers, pid).json()["items"]
    band = rows[0]["band"]
    by_band = _ids(_pipeline(client, headers, pid, band=band))
    assert set(by_band) == {r["id"] for r in rows if r["band"] == band}
    assert _pipeline(client, headers, pid, band="E").status_code == 422


def test_sorting_and_paging(client, session, team, five):
    headers = auth_headers(client, team.hr)
    pid = team.position.id
    invited, _ = invite_candidate(session, position=team.position, actor=team.hr,
                                  full_name="Zeno Ultimo")
    session.flush()
    rows = _pipeline(client, headers, pid).json()["items"]
    scored = [r for r in rows if r["fit_score"] is not None]
    # Default: the position's ranking (fit), best first, the unscored last without a rank.
    assert [r["rank"] for r in scored] == sorted(r["rank"] for r in scored)
    assert [r["fit_score"] for r in scored] == sorted((r["fit_score"] for r in scored),
                                                      reverse=True)
    assert rows[-1]["id"] == invited.id and rows[-1]["rank"] is None
    fits = _pipeline(client, headers, pid, sort="fit").json()["items"]
    assert [r["fit_score"] for r in fits[:5]] == sorted(r["fit_score"] for r in scored)
    assert fits[-1]["fit_score"] is None  # nulls last in both directions
    names = [r["full_name"] for r in _pipeline(client, headers, pid, sort="name").json()["items"]]
    assert names == sorted(names, key=str.lower)
    desc = [r["full_name"] for r in _pipeline(client, headers, pid, sort="-name").json()["items"]]
    assert desc == names[::-1]
    created = _ids(_pipeline(client, headers, pid, sort="-created"))
    assert created[0] == invited.id
    everyone = _ids(_pipeline(client, headers, pid, sort="name"))
    paged = []
    for offset in (0, 2, 4):
        page = _pipeline(client, headers, pid, sort="name", limit=2, offset=offset).json()
        assert page["total"] == 6 and page["limit"] == 2 and page["offset"] == offset
        paged += [item["id"] for item in page["items"]]
    assert paged == everyone
    for bad in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"sort": "salary"}):
        response = _pipeline(client, headers, pid, **bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["field"] == next(iter(bad))


def test_latest_decision_is_shown(client, session, team, five):
    decision_service.record(session, candidate=five["Anna"], decision="hold", note="",
                            actor=team.manager)
    decision_service.record(session, candidate=five["Anna"], decision="advance", note="",
                            actor=team.hr)
    rows = _pipeline(client, auth_headers(client, team.manager), team.position.id).json()["items"]
    anna = next(r for r in rows if r["id"] == five["Anna"].id)
    assert anna["latest_decision"]["decision"] == "advance"
    assert anna["latest_decision"]["user_name"] == team.hr.full_name
    assert next(r for r in rows if r["id"] == five["Luca"].id)["latest_decision"] is None


def test_new_weights_rerank_from_stored_scores_without_a_retake(client, session):
    team = make_team(session, weights={"commercial_knowledge": 0.9, "languages": 0.1})
    knows, _ = complete(session, position=team.position, actor=team.hr, seed=1,
                        ability={"commercial_knowledge": 0.95, "languages": 0.1})
    speaks, speaks_attempt = complete(
        session, position=team.position, actor=team.hr, seed=2,
        ability={"commercial_knowledge": 0.1, "languages": 0.95})
    headers = auth_headers(client, team.hr)
    assert _ids(_pipeline(client, headers, team.position.id)) == [knows.id, speaks.id]
    attempts = session.exec(select(func.count()).select_from(Attempt)).one()
    response = client.patch(f"/api/v1/positions/{team.position.id}", headers=headers,
                            json={"weights": {"commercial_knowledge": 0.1, "languages": 0.9}})
    assert response.status_code == 200, response.text
    assert _ids(_pipeline(client, headers, team.position.id)) == [speaks.id, knows.id]
    assert session.exec(select(func.count()).select_from(Attempt)).one() == attempts
    score = session.exec(select(Score).where(Score.attempt_id == speaks_attempt.id)).one()
    from app.assessments.battery import Battery
    from questionnaires.keys import item_keys

    keys = item_keys(Battery.load(session, speaks_attempt.questionnaire_versions)
                     .questionnaires.values())
    expected = score_candidate(keys, stored_answers(session, speaks_attempt),
                               weights={"commercial_knowledge": 0.1, "languages": 0.9})
    assert score.fit_score == expected.composite.fit
    assert score.band == expected.composite.band
    assert score.composite["weights"] == {"commercial_knowledge": 0.1, "languages": 0.9}
    assert score.composite["hurdles"] == [
        {**{key: h[key] for key in ("rule", "competency", "required", "actual", "unit",
                                    "passed")},
         "language": "en" if h["rule"] == "language" else None}  # the position's hurdle language
        for h in expected.composite.to_dict()["hurdles"]
    ]


def test_npv_and_mix_rankings(client, session, team):
    people = [(0.9, 1), (0.8, 6), (0.6, 9), (0.4, 5), (0.7, 0)]
    for i, (ability, years) in enumerate(people):
        complete(session, position=team.position, actor=team.hr, ability=ability, seed=10 + i,
                 screening={**SCREENING, "years_key_accounts": years})
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"]))
    headers = auth_headers(client, team.hr)
    pid = team.position.id
    client.patch(f"/api/v1/positions/{pid}", headers=headers, json={"ranking": {"mode": "npv"}})
    rows = _pipeline(client, headers, pid).json()["items"]
    assert all(r["fit_unit"] == "T" and r["expected_npv"] is not None for r in rows)
    assert [r["expected_npv"] for r in rows] == sorted((r["expected_npv"] for r in rows),
                                                       reverse=True)
    assert {r["costed_option"] for r in rows} == {"experienced", "grow_in_house"}
    client.patch(f"/api/v1/positions/{pid}", headers=headers,
                 json={"ranking": {"mode": "mix", "fit_weight": 0.7}})
    rows = _pipeline(client, headers, pid).json()["items"]
    fit_rank = {r["id"]: 1 + sorted(-x["fit_score"] for x in rows).index(-r["fit_score"])
                for r in rows}
    npv_rank = {r["id"]: 1 + sorted(-x["expected_npv"] for x in rows).index(-r["expected_npv"])
                for r in rows}
    mix = {i: 0.7 * fit_rank[i] + 0.3 * npv_rank[i] for i in fit_rank}
    assert [r["id"] for r in rows] == sorted(mix, key=lambda i: (mix[i], fit_rank[i]))
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
