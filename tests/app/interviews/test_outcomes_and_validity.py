"""Outcomes of hires, their reminders, the validity dashboard and the suggested weights."""

import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
import pingouin
from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates import decisions as decision_service
from app.candidates.models import Candidate, Decision
from app.interviews import outcomes as outcome_service
from app.interviews import reliability as reliability_service
from app.interviews.models import InterviewAssignment, Outcome, OutcomeReminder
from app.outbox.models import OutboxMessage
from app.positions.models import Position
from app.scores.models import Score
from tests.app.reports.scenario import complete
from tests.factories import auth_headers


def _post(client, user, path, body):
    return client.post(path, headers=auth_headers(client, user), json=body)


def _hire(session, team, candidate):
    decision_service.record(session, candidate=candidate, decision="hire", note="Hired.",
                            actor=team.hr)


def test_outcomes_are_recorded_for_hires_only_and_move_the_stage(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    path = f"/api/v1/candidates/{candidate.id}/outcomes"
    body = {"months": 6, "performance": 4, "quota_attainment_pct": 92.5}
    assert _post(client, team.hr, path, body).status_code == 409
    _hire(session, team, candidate)
    assert _post(client, team.manager, path, body).status_code == 403
    response = _post(client, team.hr, path, body)
    assert response.status_code == 201, response.text
    assert response.json()["performance"] == 4
    assert session.get(Candidate, candidate.id).stage == "outcome"
    again = _post(client, team.hr, path, {**body, "performance": 5})  # a correction
    assert again.status_code == 201 and again.json()["id"] == response.json()["id"]
    left = _post(client, team.hr, path, {"months": 12, "still_employed": False})
    assert left.status_code == 422 and "left_on" in left.text
    gone = _post(client, team.hr, path, {"months": 12, "still_employed": False,
                                         "left_on": "2027-09-30", "performance": 2})
    assert gone.status_code == 201, gone.text
    for bad, field in (({"months": 9}, "months"), ({"months": 6, "performance": 7}, "performance"),
                       ({"months": 6, "performance_by_competency": {"astrology": 3}},
                        "astrology"),
                       ({"months": 6, "quota_attainment_pct": -1}, "quota_attainment_pct")):
        response = _post(client, team.hr, path, bad)
        assert response.status_code == 422 and field in response.text, bad
    listed = client.get(path, headers=auth_headers(client, team.manager)).json()
    assert listed["hired"] is True
    assert [f["outcome"]["performance"] for f in listed["follow_ups"]] == [5, 2]
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "outcome.record")).all()


def test_reminders_are_queued_once_through_the_outbox_when_a_follow_up_is_due(session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    _hire(session, team, candidate)
    hired = session.exec(select(Decision).where(Decision.candidate_id == candidate.id)).one()
    assert outcome_service.queue_reminders(session, now=hired.created_at) == 0
    later = hired.created_at + timedelta(days=190)
    assert outcome_service.queue_reminders(session, now=later) == 1
    assert outcome_service.queue_reminders(session, now=later) == 0  # once
    [message] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")
                             .where(OutboxMessage.payload["reference"]["kind"].as_string()
                                    == "outcome_reminder")).all()
    assert message.payload["to"] == team.hr.email
    assert "6-month" in message.payload["subject"]
    session.add(Outcome(organization_id=candidate.organization_id,
                        position_id=candidate.position_id, candidate_id=candidate.id, months=12,
                        performance=3))
    session.flush()
    # 12 months recorded already: no reminder for it.
    assert outcome_service.queue_reminders(session, now=hired.created_at
                                           + timedelta(days=400)) == 0
    assert len(session.exec(select(OutcomeReminder)).all()) == 1


def _rated(session, position, candidate_id, interviewer_id, value):
    keys = [k for k, w in position.weights.items() if w > 0]
    session.add(InterviewAssignment(
        organization_id=position.organization_id, position_id=position.id,
        candidate_id=candidate_id, interviewer_id=interviewer_id,
        ratings={k: int(value) for k in keys}, submitted_at=session.get(
            Position, position.id).created_at))


def test_position_icc_matches_pingouin(session, team):
    position = team.position
    rng = np.random.default_rng(5)
    raters = [team.admin.id, team.hr.id, team.manager.id]
    table = []
    for i in range(12):
        candidate = Candidate(organization_id=position.organization_id, position_id=position.id,
                              full_name=f"C{i}", email=f"c{i}@example.com")
        session.add(candidate)
        session.flush()
        true = rng.integers(1, 6)
        for rater in raters:
            value = int(np.clip(true + rng.integers(-1, 2), 1, 5))
            _rated(session, position, candidate.id, rater, value)
            table.append({"target": i, "rater": rater, "rating": value})
    session.flush()
    result = reliability_service.position_reliability(session, position=position)["overall"]
    with warnings.catch_warnings():
        # pingouin 0.7 still calls DataFrame.dropna(inplace=True), which pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="The inplace keyword")
        icc = pingouin.intraclass_corr(pd.DataFrame(table), targets="target", raters="rater",
                                       ratings="rating").set_index("Type")
    assert abs(result["icc1"] - icc.loc["ICC(1,1)", "ICC"]) < 1e-10
    assert abs(result["icc1k"] - icc.loc["ICC(1,k)", "ICC"]) < 1e-10
    assert result["n_candidates"] == 12 and result["k"] == 3
    low, high = icc.loc["ICC(1,1)", "CI95"]
    assert abs(result["ci95"]["icc1"][0] - low) < 0.01
    assert abs(result["ci95"]["icc1"][1] - high) < 0.01


def test_a_small_panel_pool_is_flagged(session, team):
    result = reliability_service.position_reliability(session, position=team.position)
    assert result["overall"]["icc1"] is None and result["overall"]["warnings"] == ["too_few"]


def _cohort(session, team, n, seed=0):
    """``n`` hires whose 6-month performance follows their composite z, plus interviews."""
    rng = np.random.default_rng(seed)
    hires = []
    for i in range(n):
        candidate, _ = complete(session, position=team.position, actor=team.hr,
                                ability=float(rng.uniform(0.2, 0.95)), seed=i,
                                email=f"hire{seed}-{i}@example.com")
        hires.append(candidate)
    scores = {s.candidate_id: s.fit_score for s in session.exec(select(Score))}
    mean, sd = np.mean(list(scores.values())), np.std(list(scores.values()), ddof=1)
    for candidate in hires:
        z = (scores[candidate.id] - mean) / sd
        _hire(session, team, candidate)
        for rater in (team.hr.id, team.manager.id):
            _rated(session, team.position, candidate.id, rater,
                   np.clip(round(3 + z + rng.normal(0, 0.5)), 1, 5))
        session.add(Outcome(organization_id=candidate.organization_id,
                            position_id=candidate.position_id, candidate_id=candidate.id,
                            months=6, performance=int(np.clip(round(3 + z), 1, 5)),
                            quota_attainment_pct=float(100 + 20 * z + rng.normal(0, 8))))
    session.flush()
    return hires


def test_validity_dashboard_is_for_admins_with_n_ci_and_the_small_n_warning(
    client, session, team
):
    _cohort(session, team, 8)
    path = f"/api/v1/positions/{team.position.id}/validity"
    assert client.get(path, headers=auth_headers(client, team.hr)).status_code == 403
    assert client.get(path, headers=auth_headers(client, team.outsider)).status_code == 404
    response = client.get(path, headers=auth_headers(client, team.admin),
                          params={"correct": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["n_hires"] == 8
    quota = next(c for c in body["correlations"]
                 if c["predictor"] == "composite" and c["outcome"] == "quota_6")
    assert quota["n"] == 8 and quota["small_n"] is True
    assert quota["r"] > 0.5 and quota["ci95"][0] < quota["r"] < quota["ci95"][1]
    assert quota["corrected"] is None or quota["corrected"]["u"] > 0
    twelve = next(c for c in body["correlations"]
                  if c["predictor"] == "composite" and c["outcome"] == "performance_12")
    assert twelve["r"] is None and twelve["n"] == 0


def test_suggested_weights_are_shown_and_applied_only_with_a_reason(client, session, team):
    _cohort(session, team, 8)
    complete(session, position=team.position, actor=team.hr, ability=0.5, seed=99,
             email="open@example.com")
    path = f"/api/v1/positions/{team.position.id}/suggested-weights"
    assert client.get(path, headers=auth_headers(client, team.hr)).status_code == 403
    response = client.get(path, headers=auth_headers(client, team.admin),
                          params={"outcome": "quota_6"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["suggestion"] is not None, body
    suggestion = body["suggestion"]
    assert suggestion["n"] == 8 and abs(suggestion["shrinkage"] - 8 / 108) < 1e-12
    assert abs(sum(suggestion["weights"].values()) - 1) < 1e-9
    before = dict(session.get(Position, team.position.id).weights)
    blank = _post(client, team.admin, path + "/apply", {"outcome": "quota_6", "reason": ""})
    assert blank.status_code == 422
    assert session.get(Position, team.position.id).weights == before
    applied = _post(client, team.admin, path + "/apply",
                    {"outcome": "quota_6", "reason": "Eight hires agree with the test."})
    assert applied.status_code == 200, applied.text
    after = session.get(Position, team.position.id).weights
    assert abs(sum(after.values()) - 1) < 1e-9
    for key, weight in suggestion["weights"].items():
        assert abs(after[key] - weight * sum(before[k] for k in suggestion["weights"])) < 1e-5
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "position.apply_suggested_weights")).one()
    assert entry.details["reason"] == "Eight hires agree with the test."
    assert entry.details["before"] == before and entry.details["outcome"] == "quota_6"


def test_overall_score_combines_test_and_interview_with_the_positions_weights(
    client, session, team
):
    hires = _cohort(session, team, 4)
    path = f"/api/v1/candidates/{hires[0].id}/overall"
    body = client.get(path, headers=auth_headers(client, team.manager)).json()
    info = body["position"]
    assert info["weights"]["test"] == 0.5 and info["weights"]["default"] is True
    assert info["r12_basis"] == "assumed" and info["interview_basis"] == "pool"
    w, r12 = 0.5, info["r12"]
    expected = (w * body["test_z"] + w * body["interview_z"]) / np.sqrt(2 * w * w
                                                                        + 2 * w * w * r12)
    assert abs(body["overall_z"] - expected) < 1e-12
    assert abs(body["overall_t"] - (50 + 10 * expected)) < 1e-9
    # The utility model's expected productivity with the combined validity.
    assert abs(body["expected_productivity"]
               - (1 + info["validity_combined"] * body["overall_z"] * 0.48)) < 1e-12
    assert abs(info["validity_combined"] - (0.5 * .45 + 0.5 * .42) / np.sqrt(
        0.5 + 0.5 * r12)) < 1e-12
    report = client.get(f"/api/v1/candidates/{hires[0].id}/report",
                        headers=auth_headers(client, team.manager)).json()["interview"]
    assert report["overall_z"] == body["overall_z"]
    utility = report["utility"]  # the utility model, fed the combined validity
    assert utility["available"] and utility["r_xy"] == info["validity_combined"]
    assert abs(utility["expected_productivity"] - body["expected_productivity"]) < 1e-12
    weights = f"/api/v1/positions/{team.position.id}/overall-weights"
    bad = client.put(weights, headers=auth_headers(client, team.hr),
                     json={"test": 0.7, "interview": 0.7})
    assert bad.status_code == 422 and "interview" in bad.text
    assert client.put(weights, headers=auth_headers(client, team.manager),
                      json={"test": 0.7, "interview": 0.3}).status_code == 403
    ok = client.put(weights, headers=auth_headers(client, team.hr),
                    json={"test": 0.7, "interview": 0.3})
    assert ok.status_code == 200 and ok.json()["test"] == 0.7
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "position.overall_weights")).one()
    assert entry.details == {"test": 0.7, "interview": 0.3}
    body = client.get(path, headers=auth_headers(client, team.manager)).json()
    expected = (0.7 * body["test_z"] + 0.3 * body["interview_z"]) / np.sqrt(
        0.49 + 0.09 + 2 * 0.21 * r12)
    assert abs(body["overall_z"] - expected) < 1e-12


def test_the_workers_housekeeping_queues_the_reminders(fresh_database):
    from app.bank import service as bank_service
    from app.core.db import get_engine, session_scope
    from app.core.migrations import upgrade
    from app.worker.maintenance import run_once
    from tests.app.reports.scenario import make_team

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    with session_scope() as session:
        team = make_team(session)
        candidate, _ = complete(session, position=team.position, actor=team.hr)
        _hire(session, team, candidate)
        hired = session.exec(select(Decision)).one()
        hired.created_at -= timedelta(days=200)
        session.add(hired)
    assert run_once(get_engine()).outcome_reminders == 1
    assert run_once(get_engine()).outcome_reminders == 0
    with session_scope(read_only=True) as session:
        [message] = session.exec(select(OutboxMessage).where(
            OutboxMessage.payload["reference"]["kind"].as_string() == "outcome_reminder")).all()
        assert "/interview#outcomes" in message.payload["text"]


def test_observed_retention_and_ramp_are_offered_as_cost_assumptions(client, session, team):
    hires = _cohort(session, team, 6)
    hired_on = {d.candidate_id: d.created_at for d in session.exec(select(Decision))}
    scores = {s.candidate_id: s for s in session.exec(select(Score))}
    for candidate in hires:  # everyone costed the same way, two leave after 3 months
        scores[candidate.id].costed_option = "experienced"
        session.add(scores[candidate.id])
    for i, candidate in enumerate(hires):
        row = session.exec(select(Outcome).where(Outcome.candidate_id == candidate.id)).one()
        row.months_to_quota = 4 + i % 2
        if i < 2:
            row.still_employed = False
            row.left_on = (hired_on[candidate.id] + timedelta(days=3 * 30.44)).date()
        session.add(row)
    session.flush()
    path = f"/api/v1/positions/{team.position.id}/cost-learning"
    assert client.get(path, headers=auth_headers(client, team.hr)).status_code == 403
    body = client.get(path, headers=auth_headers(client, team.admin)).json()
    observed = body["options"]["experienced"]["observed"]
    # Exposure: 2 leavers × 3 months + 4 stayers × 6 months = 30 months, 2 leavers.
    assert observed["leavers"] == 2 and abs(observed["months_observed"] - 30) < 0.1  # whole days
    assert abs(observed["monthly_attrition"] - (1 - np.exp(-2 / observed["months_observed"]))) \
        < 1e-12
    assert observed["months_to_quota"] == 4.5 and observed["ramp_months"] == 4  # no training
    offer = body["offer"]["experienced"]
    assert offer == {"monthly_attrition": round(observed["monthly_attrition"], 4),
                     "ramp_months": 4}
    apply = path + "/apply"
    assert _post(client, team.admin, apply, {"reason": " "}).status_code == 422
    done = _post(client, team.admin, apply, {"reason": "Our own hires, six of them."})
    assert done.status_code == 200, done.text
    stored = session.get(Position, team.position.id).cost_assumptions["experienced"]
    assert stored["ramp_months"] == 4 and stored["monthly_attrition"] == offer["monthly_attrition"]
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "position.apply_observed_costs")).one()
    assert entry.details["reason"] == "Our own hires, six of them."


def test_the_organization_dashboard_pools_every_positions_hires(client, session, team):
    _cohort(session, team, 6)
    path = "/api/v1/validity"
    assert client.get(path, headers=auth_headers(client, team.hr)).status_code == 403
    body = client.get(path, headers=auth_headers(client, team.admin)).json()
    assert body["n_hires"] == 6
    assert body["positions"] == [{"id": team.position.id, "title": team.position.title,
                                  "n_hires": 6}]
    cell = next(c for c in body["correlations"]
                if c["predictor"] == "composite" and c["outcome"] == "quota_6")
    position_cell = next(
        c for c in client.get(f"/api/v1/positions/{team.position.id}/validity",
                              headers=auth_headers(client, team.admin)).json()["correlations"]
        if c["predictor"] == "composite" and c["outcome"] == "quota_6")
    assert cell["r"] == position_cell["r"] and cell["n"] == 6
    other = client.get(path, headers=auth_headers(client, team.outsider)).json()
    assert other["n_hires"] == 0  # another organization sees none of it
