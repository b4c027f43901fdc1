"""The candidate report: equal to scoring/ on the stored answers, visible to the right people."""

import pytest
from sqlmodel import select

from app.assessments.battery import Battery
from app.candidates import decisions as decision_service
from app.core.config import get_settings
from app.positions import service as position_service
from app.scores.models import Score
from app.scores.service import composite_norms, name_hurdle_language, norms_for
from questionnaires.keys import item_keys
from scoring import SCORING_VERSION, candidate_utility, score_candidate
from tests.app.reports.scenario import (
    VISIBILITY,
    complete,
    import_norms,
    stored_answers,
    synthetic_norms,
)
from tests.factories import auth_headers, invite_candidate


def _expected(session, team, attempt):
    """What scoring/ says for the stored answers, the norms in force, the position and the
    norm group its weighted sum is re-standardized against."""
    position = team.position
    keys = item_keys(Battery.load(session, attempt.questionnaire_versions).questionnaires.values())
    norms = norms_for(session, organization_id=attempt.organization_id,
                      versions=attempt.questionnaire_versions)
    expected = score_candidate(
        keys, stored_answers(session, attempt), norms=norms or None, weights=position.weights,
        minimums=position.minimums or None, language_hurdle=position.hurdle_level,
        min_n=get_settings().norm_min_n,
        composite_norms=composite_norms(session, position=position),
    ).to_dict()
    # The app adds one thing scoring/ does not know: the language the hurdle is measured in.
    expected["composite"] = name_hurdle_language(expected["composite"], position.hurdle_language)
    return expected


def _report(client, user, candidate_id):
    return client.get(f"/api/v1/candidates/{candidate_id}/report",
                      headers=auth_headers(client, user))


def test_a_candidate_who_has_not_finished_gets_a_report_without_scores(client, session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    response = _report(client, team.hr, candidate.id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "invited"
    assert body["scored"] is False
    assert body["competencies"] is None and body["composite"] is None
    assert body["utility"] is None and body["attempt"] is None
    assert body["candidate"]["id"] == candidate.id
    assert body["decisions"] == []


def test_report_numbers_equal_scoring_on_the_stored_answers_before_norms(client, session, team):
    candidate, attempt = complete(session, position=team.position, actor=team.hr, ability=0.7)
    body = _report(client, team.manager, candidate.id).json()
    expected = _expected(session, team, attempt)
    assert body["status"] == "completed" and body["scored"] is True
    assert body["competencies"] == expected["competencies"]
    assert body["composite"] == expected["composite"]
    assert body["cefr"] == expected["cefr"]
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).one()
    assert score.scales == expected["competencies"]  # the snapshot taken at submit
    assert score.fit_score == expected["composite"]["fit_score"] and score.fit_unit == "percent"
    assert score.composite_z is None and score.expected_npv is None
    assert body["hurdles"] == expected["composite"]["hurdles"]
    entry = body["competencies"]["commercial_knowledge"]
    for field in ("raw", "percent", "percentile", "t_score", "band", "ci90", "alpha"):
        assert field in entry
    assert entry["percentile"] is None and entry["band_unit"] == "percent"
    assert entry["norm_status"] == "none"
    assert body["composite"]["basis"] == "percent"
    assert body["composite"]["explanation"]["terms"]
    assert body["questionnaire_versions"] == {"commercial-knowledge": 1, "english": 1}
    assert body["scoring_version"] == SCORING_VERSION
    assert body["screening"]["years_key_accounts"] == 4
    # No composite z before norms: no productivity or NPV, but the option is known and why.
    assert body["utility"]["available"] is False
    assert body["utility"]["option"] == "experienced"
    assert "4 years" in body["utility"]["option_reason"]
    assert body["knockouts_passed"] is True and body["knockouts"] == []


def test_report_with_norms_has_percentiles_bands_and_utility(client, session, team):
    candidate, attempt = complete(session, position=team.position, actor=team.hr, ability=0.8,
                                  integrity={"paste_attempts": 3})
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"]))
    body = _report(client, team.admin, candidate.id).json()
    expected = _expected(session, team, attempt)
    assert body["competencies"] == expected["competencies"]
    assert body["composite"] == expected["composite"]
    entry = body["competencies"]["commercial_knowledge"]
    assert entry["norm_status"] == "provisional" and entry["norm_n"] == 150
    assert entry["norm_message"] == "provisional norms (n = 150)"
    assert entry["percentile"] is not None and entry["band_unit"] == "T"
    low, high = entry["ci90"]
    assert low < entry["t_score"] < high
    assert entry["alpha"] == pytest.approx(0.8) and entry["alpha_low"] is False
    assert body["composite"]["basis"] == "z"
    assert [n["status"] for n in body["norms"]] == ["provisional", "provisional"]
    utility = body["utility"]
    z = body["composite"]["composite_z"]
    applied = candidate_utility(z, 4, position_service.cost_assumptions(team.position))
    assert utility["available"] is True and utility["option"] == "experienced"
    assert utility["npv"] == pytest.approx(applied.npv, rel=1e-12)
    assert utility["options"]["experienced"]["npv"] == pytest.approx(applied.npv, rel=1e-12)
    assert set(utility["options"]) == {"experienced", "grow_in_house"}
    # Flags come from the snapshot taken at submit; the pipeline row equals the report.
    score = session.exec(select(Score).where(Score.attempt_id == attempt.id)).one()
    assert body["flags"] == score.flags and any(f["code"] for f in body["flags"])
    assert score.flags_count == len(score.flags)
    # The snapshot was renormed when the norms were imported: it equals the live report.
    assert score.scales == expected["competencies"]
    assert score.fit_score == body["composite"]["fit_score"]
    assert score.band == body["composite"]["band"] and score.fit_unit == "T"
    assert score.composite_z == body["composite"]["composite_z"]
    assert score.composite["hurdles_passed"] == body["composite"]["hurdles_passed"]
    assert score.expected_npv == pytest.approx(utility["npv"], rel=1e-9)
    assert score.costed_option == "experienced"
    assert score.expected_productivity == pytest.approx(utility["expected_productivity"])


def test_report_shows_knockouts_and_decisions(client, session, team):
    team.position.knockouts = {"min_years_key_accounts": 5}
    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    decision_service.record(session, candidate=candidate, decision="hold", note="call back",
                            actor=team.manager)
    body = _report(client, team.hr, candidate.id).json()
    assert body["knockouts_passed"] is False
    assert body["knockouts"][0]["rule"] == "min_years_key_accounts"
    assert body["decisions"][0]["decision"] == "hold"
    assert body["decisions"][0]["user_name"] == team.manager.full_name


def test_report_visibility(client, session, team):
    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    for role, user in team.users().items():
        assert _report(client, user, candidate.id).status_code == VISIBILITY[role], role
    assert _report(client, team.admin, 999_999).status_code == 404
    assert client.get(f"/api/v1/candidates/{candidate.id}/report").status_code == 401


def test_the_typed_report_keeps_every_field_and_is_documented(client, session, team):
    from app.reports import service as report_service
    from app.reports.schemas import CandidateReport

    candidate, _attempt = complete(session, position=team.position, actor=team.hr, ability=0.7)
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"]))
    body = _report(client, team.hr, candidate.id).json()
    # The response model drops nothing the service builds (its models forbid unknown keys,
    # so a new key without a description fails here rather than vanishing from the API).
    built = report_service.report(session, candidate=candidate)
    assert body == CandidateReport.model_validate(built).model_dump(mode="json")
    assert set(body) == set(built) and set(body["composite"]) == set(built["composite"])
    schema = client.get("/openapi.json").json()
    path = schema["paths"]["/api/v1/candidates/{candidate_id}/report"]["get"]
    ref = path["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/CandidateReport")
    report = schema["components"]["schemas"]["CandidateReport"]["properties"]
    assert {"composite", "competencies", "knockouts", "utility", "flags"} <= set(report)
    composite = schema["components"]["schemas"]["Composite"]["properties"]
    assert {"fit_score", "band", "hurdles", "explanation"} <= set(composite)
