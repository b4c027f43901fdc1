"""Interview panels, independent ratings, calibration and revisions on the API."""

from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates.models import Candidate
from tests.app.reports.scenario import complete
from tests.factories import auth_headers, create_user


def _post(client, user, path, body):
    return client.post(path, headers=auth_headers(client, user), json=body)


def _get(client, user, path, **params):
    return client.get(path, headers=auth_headers(client, user), params=params)


def _rate(client, user, cid, value, competencies, note="evidence"):
    return _post(client, user, f"/api/v1/candidates/{cid}/interview/rating",
                 {"ratings": {k: value for k in competencies},
                  "notes": {k: f"{note} {k}" for k in competencies}})


def test_hr_assigns_interviewers_and_the_candidate_moves_to_the_interview_stage(
    client, session, team
):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    path = f"/api/v1/candidates/{candidate.id}/interviewers"
    refused = _post(client, team.manager, path, {"interviewer_ids": [team.manager.id]})
    assert refused.status_code == 403
    response = _post(client, team.hr, path, {"interviewer_ids": [team.manager.id, team.hr.id]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["interviewer_id"] for i in body["interviewers"]] == [team.manager.id, team.hr.id]
    assert body["stage"] == "interview"
    session.refresh(candidate)
    assert candidate.stage == "interview"
    stages = _get(client, team.manager, f"/api/v1/positions/{team.position.id}/stages").json()
    assert stages == {"assessment": 0, "interview": 1, "decision": 0, "outcome": 0}
    piped = _get(client, team.hr, f"/api/v1/positions/{team.position.id}/candidates",
                 stage="interview").json()
    assert [i["id"] for i in piped["items"]] == [candidate.id]
    assert piped["items"][0]["stage"] == "interview"
    assert _get(client, team.hr, f"/api/v1/positions/{team.position.id}/candidates",
                stage="outcome").json()["total"] == 0
    bad = _get(client, team.hr, f"/api/v1/positions/{team.position.id}/candidates",
               stage="hired")
    assert bad.status_code == 422 and "stage" in bad.text
    # A manager not assigned to the position gets access by joining the panel.
    assert _get(client, team.other_manager,
                f"/api/v1/candidates/{candidate.id}/interview").status_code == 404
    more = _post(client, team.hr, path, {"interviewer_ids": [team.other_manager.id]})
    assert more.status_code == 200
    assert _get(client, team.other_manager,
                f"/api/v1/candidates/{candidate.id}/interview").status_code == 200
    foreign = create_user(session, role="hr")
    wrong = _post(client, team.hr, path, {"interviewer_ids": [foreign.id]})
    assert wrong.status_code == 422 and "interviewer_ids" in wrong.text


def test_ratings_stay_hidden_until_ones_own_is_submitted_then_calibration_shows_gaps(
    client, session, team
):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id, team.hr.id]})
    view = _get(client, team.manager, f"/api/v1/candidates/{cid}/interview").json()
    competencies = view["competencies"]
    assert competencies
    first = _rate(client, team.hr, cid, 4, competencies)
    assert first.status_code == 201, first.text
    # The manager has not rated: the hr rating is hidden from them.
    hidden = _get(client, team.manager, f"/api/v1/candidates/{cid}/interview").json()
    assert hidden["others_hidden"] is True and hidden["summary"] is None
    hr_row = next(i for i in hidden["interviewers"] if i["interviewer_id"] == team.hr.id)
    assert hr_row["submitted"] is True and hr_row["ratings"] is None and hr_row["notes"] is None
    assert hidden["calibration"] is None
    # An outsider to the panel sees the submitted ratings; no calibration until all are in.
    admin_view = _get(client, team.admin, f"/api/v1/candidates/{cid}/interview").json()
    assert admin_view["interviewers"][1]["ratings"] == {k: 4 for k in competencies}
    assert admin_view["calibration"] is None and admin_view["all_submitted"] is False
    second = _rate(client, team.manager, cid, 2, competencies)
    assert second.status_code == 201, second.text
    body = second.json()
    assert body["others_hidden"] is False and body["all_submitted"] is True
    assert [c["competency"] for c in body["calibration"]] == competencies
    assert all(c["gap"] == 2 for c in body["calibration"])
    assert body["summary"]["score"] == 3.0 and body["summary"]["k"] == 2
    assert abs(body["summary"]["se"] - 1.0) < 1e-12  # SD √2 over √2 raters
    again = _rate(client, team.manager, cid, 3, competencies)
    assert again.status_code == 409


def test_only_the_panel_rates_and_bad_ratings_name_the_field(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id]})
    competencies = _get(client, team.hr, f"/api/v1/candidates/{cid}/interview").json()[
        "competencies"]
    assert _rate(client, team.admin, cid, 3, competencies).status_code == 409
    assert _rate(client, team.other_manager, cid, 3, competencies).status_code == 404
    assert _rate(client, team.outsider, cid, 3, competencies).status_code == 404
    key = competencies[0]
    for bad in (0, 6, 2.5, "4", True, None):
        response = _post(client, team.manager, f"/api/v1/candidates/{cid}/interview/rating",
                         {"ratings": {**{k: 3 for k in competencies}, key: bad}})
        assert response.status_code == 422, bad
        assert f"ratings.{key}" in response.text
    missing = _post(client, team.manager, f"/api/v1/candidates/{cid}/interview/rating",
                    {"ratings": {k: 3 for k in competencies[1:]}})
    assert missing.status_code == 422
    unknown = _post(client, team.manager, f"/api/v1/candidates/{cid}/interview/rating",
                    {"ratings": {**{k: 3 for k in competencies}, "astrology": 5}})
    assert unknown.status_code == 422 and "astrology" in unknown.text
    long_note = _post(client, team.manager, f"/api/v1/candidates/{cid}/interview/rating",
                      {"ratings": {k: 3 for k in competencies}, "notes": {key: "x" * 1001}})
    assert long_note.status_code == 422 and f"notes.{key}" in long_note.text


def test_a_revision_needs_a_reason_and_is_audited_with_before_and_after(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id]})
    competencies = _get(client, team.hr, f"/api/v1/candidates/{cid}/interview").json()[
        "competencies"]
    path = f"/api/v1/candidates/{cid}/interview/revision"
    early = _post(client, team.manager, path,
                  {"ratings": {k: 3 for k in competencies}, "reason": "typo"})
    assert early.status_code == 409
    assert _rate(client, team.manager, cid, 2, competencies).status_code == 201
    blank = _post(client, team.manager, path,
                  {"ratings": {k: 3 for k in competencies}, "reason": "   "})
    assert blank.status_code == 422 and "reason" in blank.text
    done = _post(client, team.manager, path,
                 {"ratings": {k: 3 for k in competencies}, "reason": "Misread my notes."})
    assert done.status_code == 200, done.text
    mine = done.json()["interviewers"][0]
    assert mine["ratings"] == {k: 3 for k in competencies} and mine["revisions"] == 1
    assert mine["notes"] == {k: f"evidence {k}" for k in competencies}  # notes kept
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "interview.revise")).one()
    assert entry.details["before"] == {k: 2 for k in competencies}
    assert entry.details["after"] == {k: 3 for k in competencies}
    assert entry.details["reason"] == "Misread my notes."
    assert entry.actor_user_id == team.manager.id


def test_a_decision_moves_the_stage(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    decide = f"/api/v1/candidates/{candidate.id}/decision"
    response = _post(client, team.manager, decide, {"decision": "advance", "note": "Good."})
    assert response.status_code == 201
    assert session.get(Candidate, candidate.id).stage == "interview"
    response = _post(client, team.manager, decide, {"decision": "hold", "note": "Wait."})
    assert response.status_code == 201
    assert session.get(Candidate, candidate.id).stage == "interview"
    response = _post(client, team.manager, decide, {"decision": "hire", "note": "Yes."})
    assert response.status_code == 201
    assert session.get(Candidate, candidate.id).stage == "decision"


def test_export_holds_the_interview_and_erasure_removes_the_notes(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id]})
    competencies = _get(client, team.hr, f"/api/v1/candidates/{cid}/interview").json()[
        "competencies"]
    assert _rate(client, team.manager, cid, 4, competencies).status_code == 201
    exported = _get(client, team.admin, f"/api/v1/candidates/{cid}/export").json()
    [row] = exported["interviews"]
    assert row["ratings"] == {k: 4 for k in competencies}
    assert row["notes"] == {k: f"evidence {k}" for k in competencies}
    assert [f["months"] for f in exported["outcomes"]] == [6, 12]
    erased = client.delete(f"/api/v1/candidates/{cid}", headers=auth_headers(client, team.admin))
    assert erased.status_code == 204
    session.expire_all()
    from app.interviews.models import InterviewAssignment

    [kept] = session.exec(select(InterviewAssignment).where(
        InterviewAssignment.candidate_id == cid)).all()
    assert kept.notes == {} and kept.ratings == {k: 4 for k in competencies}


def test_a_decision_keeps_what_the_interview_said(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id, team.hr.id]})
    competencies = _get(client, team.hr, f"/api/v1/candidates/{cid}/interview").json()[
        "competencies"]
    _rate(client, team.manager, cid, 4, competencies)
    _rate(client, team.hr, cid, 3, competencies)
    decided = _post(client, team.manager, f"/api/v1/candidates/{cid}/decision",
                    {"decision": "hire", "note": "Strong interview."})
    assert decided.status_code == 201, decided.text
    interview = decided.json()["basis"]["interview"]
    assert interview["score"] == 3.5 and interview["k"] == 2
    assert interview["weights"] == {"test": 0.5, "interview": 0.5}
    history = _get(client, team.hr, f"/api/v1/candidates/{cid}/decisions").json()
    assert history[0]["basis"]["interview"]["score"] == 3.5


def test_an_interviewer_who_has_not_rated_can_be_taken_off_the_panel(client, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    cid = candidate.id
    _post(client, team.hr, f"/api/v1/candidates/{cid}/interviewers",
          {"interviewer_ids": [team.manager.id, team.hr.id]})
    competencies = _get(client, team.hr, f"/api/v1/candidates/{cid}/interview").json()[
        "competencies"]
    _rate(client, team.hr, cid, 3, competencies)
    path = f"/api/v1/candidates/{cid}/interviewers"
    headers = auth_headers(client, team.hr)
    assert client.delete(f"{path}/{team.manager.id}",
                         headers=auth_headers(client, team.manager)).status_code == 403
    assert client.delete(f"{path}/{team.hr.id}", headers=headers).status_code == 409  # rated
    removed = client.delete(f"{path}/{team.manager.id}", headers=headers)
    assert removed.status_code == 200, removed.text
    body = removed.json()
    assert [i["interviewer_id"] for i in body["interviewers"]] == [team.hr.id]
    assert body["all_submitted"] is True and body["calibration"] == []
    again = client.delete(f"{path}/{team.manager.id}", headers=headers)
    assert again.status_code == 422 and "interviewer_id" in again.text
    assert session.exec(select(AuditEntry).where(
        AuditEntry.action == "interview.unassign")).one().details == {
            "interviewer_id": team.manager.id}
