"""The candidate API end to end: state, start, answers, sections, submit (SPEC §5)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.assessments.models import Answer, Attempt, AttemptSection
from app.candidates.models import Invitation
from app.core.clock import utcnow
from app.outbox.models import OutboxMessage
from app.scores.models import Score
from questionnaires.views import PUBLIC_ITEM_KEYS
from tests.factories import SCREENING, auth_headers, create_position, create_user, invite_candidate

FORBIDDEN_KEYS = {"score", "answer_key", "tolerance", "reverse", "rationale", "cefr", "competency"}


@pytest.fixture
def invited(session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english", "stress-resistance"])
    candidate, token = invite_candidate(session, position=position, actor=hr, language="it")
    return candidate, token


def _start(client, token, **overrides):
    body = {"consent": True, "language": "en", "screening": SCREENING, **overrides}
    return client.post(f"/api/v1/assessments/{token}/start", json=body)


def _answer_all_current(client, token, state):
    for item in state["current_section"]["items"]:
        value = 4 if item["type"] == "likert" else item["options"][0]["id"]
        response = client.put(f"/api/v1/assessments/{token}/answers/{item['id']}",
                              json={"value": value, "elapsed_ms": 4000})
        assert response.status_code == 200, response.text


def test_invitation_through_the_api_returns_a_link_and_queues_the_email(client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr)
    response = client.post(
        f"/api/v1/positions/{position.id}/candidates",
        headers=auth_headers(client, hr),
        json={"full_name": "Lucia Bianchi", "email": "Lucia@Example.com", "language": "it",
              "extra_time_pct": 25},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["invitation_url"].rsplit("/a/", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert body["email"] == "lucia@example.com"
    message = session.exec(select(OutboxMessage)).one()
    assert message.payload["to"] == "lucia@example.com"
    assert body["invitation_url"] in message.payload["text"]
    assert "Gentile Lucia Bianchi" in message.payload["text"]
    # The token is stored only as a hash.
    assert session.exec(select(Invitation)).one().token_hash != token


def test_state_before_start_describes_the_battery(client, invited):
    _, token = invited
    state = client.get(f"/api/v1/assessments/{token}").json()
    assert state["status"] == "invited"
    assert state["language"] == "it"
    assert [s["key"] for s in state["sections"]] == [
        "english", "stress-self-report", "stress-scenarios"]
    assert state["current_section"] is None
    assert state["progress"] == {"answered": 0, "total": 24 + 14 + 3}


def test_times_are_utc_in_iso_8601_with_a_z_like_the_staff_api(client, invited):
    _, token = invited
    assert client.get(f"/api/v1/assessments/{token}").json()["expires_at"].endswith("Z")
    state = _start(client, token).json()
    assert state["current_section"]["deadline_at"].endswith("Z")
    item = state["current_section"]["items"][0]
    value = 4 if item["type"] == "likert" else item["options"][0]["id"]
    saved = client.put(f"/api/v1/assessments/{token}/answers/{item['id']}",
                       json={"value": value}).json()
    assert saved["saved_at"].endswith("Z")
    assert client.get(f"/api/v1/assessments/{token}").headers["content-type"] == (
        "application/json")


def test_extra_time_stretches_every_section(client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    _, token = invite_candidate(session, position=position, actor=hr, extra_time_pct=50)
    state = client.get(f"/api/v1/assessments/{token}").json()
    assert state["sections"][0]["time_limit_s"] == 480 * 1.5


def test_items_never_carry_keys(client, invited):
    _, token = invited
    state = _start(client, token).json()
    for item in state["current_section"]["items"]:
        assert set(item) <= PUBLIC_ITEM_KEYS | {"answer"}
        assert not FORBIDDEN_KEYS & set(item)
        for option in item.get("options", []):
            assert set(option) == {"id", "text"}


def test_consent_is_required_and_nothing_starts_without_it(client, session, invited):
    _, token = invited
    response = _start(client, token, consent=False)
    assert response.status_code == 422
    assert "consent" in response.json()["detail"]
    assert session.exec(select(Attempt)).first() is None


def test_bad_screening_is_a_422_naming_the_field(client, invited):
    _, token = invited
    response = _start(client, token, screening={**SCREENING, "years_sales": -1})
    assert response.status_code == 422
    assert "years_sales" in str(response.json()["detail"])


def test_start_twice_gives_the_same_attempt(client, session, invited):
    _, token = invited
    first = _start(client, token).json()
    second = _start(client, token).json()
    assert first["current_section"]["key"] == second["current_section"]["key"]
    assert len(session.exec(select(Attempt)).all()) == 1


def test_item_order_is_per_candidate_and_stable_across_reloads(client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    orders = []
    for _ in range(2):
        _, token = invite_candidate(session, position=position, actor=hr)
        first = _start(client, token).json()["current_section"]["items"]
        again = client.get(f"/api/v1/assessments/{token}").json()["current_section"]["items"]
        assert [i["id"] for i in first] == [i["id"] for i in again]
        assert [o["id"] for o in first[0]["options"]] == [o["id"] for o in again[0]["options"]]
        orders.append([i["id"] for i in first])
    assert orders[0] != orders[1]


def test_full_journey_scores_once_and_hides_scores_from_the_candidate(client, session, invited):
    candidate, token = invited
    state = _start(client, token).json()
    while state["current_section"] is not None:
        _answer_all_current(client, token, state)
        key = state["current_section"]["key"]
        state = client.post(f"/api/v1/assessments/{token}/sections/{key}/complete").json()
    assert state["progress"] == {"answered": 41, "total": 41}
    result = client.post(f"/api/v1/assessments/{token}/submit")
    assert result.status_code == 200
    assert result.json()["status"] == "completed"
    assert "fit_score" not in result.text and "band" not in result.text
    score = session.exec(select(Score)).one()
    assert score.questionnaire_versions == {"english": 1, "stress-resistance": 1}
    assert score.scoring_version
    assert score.scales["stress_resistance"]["complete"] is True
    assert score.cefr in {"below_A2", "A2", "B1", "B2", "C1"}
    session.refresh(candidate)
    assert candidate.status == "completed"
    again = client.post(f"/api/v1/assessments/{token}/submit")
    assert again.json() == result.json()
    assert len(session.exec(select(Score)).all()) == 1
    after = client.get(f"/api/v1/assessments/{token}").json()
    assert after["status"] == "completed" and after["current_section"] is None


def test_answers_are_idempotent_and_can_be_changed_or_cleared(client, session, invited):
    _, token = invited
    item = _start(client, token).json()["current_section"]["items"][0]
    url = f"/api/v1/assessments/{token}/answers/{item['id']}"
    first, second = item["options"][0]["id"], item["options"][1]["id"]
    assert client.put(url, json={"value": first}).status_code == 200
    assert client.put(url, json={"value": first}).status_code == 200
    assert client.put(url, json={"value": second}).status_code == 200
    answers = session.exec(select(Answer)).all()
    assert [a.value["v"] for a in answers] == [second]
    state = client.get(f"/api/v1/assessments/{token}").json()
    saved = {i["id"]: i["answer"] for i in state["current_section"]["items"]}
    assert saved[item["id"]] == second
    assert client.put(url, json={"value": None}).status_code == 200
    assert session.exec(select(Answer)).all() == []


@pytest.mark.parametrize(
    ("item_id", "value", "needle"),
    [
        ("en01", "z", "accepts one of the option ids"),
        ("en01", 1, "accepts one of the option ids"),
        ("sr01", 6, "accepts an integer from 1 to 5"),
        ("sr01", 2.5, "accepts an integer from 1 to 5"),
        ("sr01", True, "accepts an integer from 1 to 5"),
    ],
)
def test_bad_values_are_422_naming_the_item_and_what_it_accepts(client, invited, item_id,
                                                                  value, needle):
    _, token = invited
    _start(client, token)
    if item_id.startswith("sr"):
        client.post(f"/api/v1/assessments/{token}/sections/english/complete")
    response = client.put(f"/api/v1/assessments/{token}/answers/{item_id}",
                          json={"value": value})
    assert response.status_code == 422
    assert item_id in response.json()["detail"] and needle in response.json()["detail"]


def test_numeric_items_take_numbers(client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["analysis"])
    _, token = invite_candidate(session, position=position, actor=hr)
    _start(client, token)
    ok = client.put(f"/api/v1/assessments/{token}/answers/an01", json={"value": 22.6})
    assert ok.status_code == 200
    bad = client.put(f"/api/v1/assessments/{token}/answers/an01", json={"value": "22,6"})
    assert bad.status_code == 422 and "accepts a number" in bad.json()["detail"]


def test_unknown_item_is_404_and_future_section_is_409(client, invited):
    _, token = invited
    _start(client, token)
    assert client.put(f"/api/v1/assessments/{token}/answers/xx99",
                      json={"value": "a"}).status_code == 404
    future = client.put(f"/api/v1/assessments/{token}/answers/sr01", json={"value": 3})
    assert future.status_code == 409


def test_answer_before_start_is_409(client, invited):
    _, token = invited
    response = client.put(f"/api/v1/assessments/{token}/answers/en01", json={"value": "a"})
    assert response.status_code == 409


def test_completed_section_refuses_answers(client, invited):
    _, token = invited
    _start(client, token)
    client.post(f"/api/v1/assessments/{token}/sections/english/complete")
    response = client.put(f"/api/v1/assessments/{token}/answers/en01", json={"value": "a"})
    assert response.status_code == 409


def test_the_quick_save_writes_only_while_its_section_runs_and_the_attempt_is_open(
    client, session, invited
):
    """The autosave's one-statement path re-checks, in the statement, what it read before
    writing: a section closed or timed out, or an attempt submitted in between, means no
    row is written (and the full path then answers 409)."""
    from app.assessments.service import _guarded_upsert_statement

    _, token = invited
    _start(client, token)
    attempt = session.exec(select(Attempt)).one()
    english = session.exec(
        select(AttemptSection).where(AttemptSection.section_key == "english")).one()
    statement = _guarded_upsert_statement(session.get_bind().dialect.name)
    now = utcnow()
    params = {"attempt_id": attempt.id, "item_id": "en01", "value": {"v": "a"},
              "elapsed_ms": 10, "saved_at": now, "section_id": english.id, "now": now}

    def save(**changes):
        return len(session.connection().execute(statement, {**params, **changes}).all())

    assert save() == 1
    assert save(value={"v": "b"}, elapsed_ms=None) == 1
    answer = session.exec(select(Answer)).one()
    session.refresh(answer)
    assert (answer.value, answer.elapsed_ms, answer.changes) == ({"v": "b"}, 10, 1)
    assert save(value={"v": "c"}, now=english.deadline_at) == 0  # time is up
    attempt.status = "completed"
    session.add(attempt)
    session.flush()
    assert save(value={"v": "c"}) == 0  # submitted meanwhile
    attempt.status, english.status = "in_progress", "completed"
    session.add_all([attempt, english])
    session.flush()
    assert save(value={"v": "c"}) == 0  # the candidate ended the section meanwhile
    session.refresh(answer)
    assert answer.value == {"v": "b"}


def _shift_deadlines(session, seconds):
    """Move the running attempt's clock: every scheduled time ``seconds`` earlier."""
    for row in session.exec(select(AttemptSection)).all():
        for name in ("started_at", "deadline_at", "completed_at"):
            if getattr(row, name) is not None:
                setattr(row, name, getattr(row, name) - timedelta(seconds=seconds))
        session.add(row)
    attempt = session.exec(select(Attempt)).one()
    attempt.started_at -= timedelta(seconds=seconds)
    session.add(attempt)
    session.flush()


def test_saves_are_accepted_during_the_grace_period_then_refused(client, session, invited):
    _, token = invited
    _start(client, token)
    _shift_deadlines(session, 480 + 30)  # the English section ended 30 s ago
    in_grace = client.put(f"/api/v1/assessments/{token}/answers/en01", json={"value": "a"})
    assert in_grace.status_code == 200
    state = client.get(f"/api/v1/assessments/{token}").json()
    assert state["current_section"]["key"] == "stress-self-report"
    _shift_deadlines(session, 60)  # now 90 s after the deadline
    late = client.put(f"/api/v1/assessments/{token}/answers/en02", json={"value": "a"})
    assert late.status_code == 409


def test_the_next_section_opens_when_the_previous_one_times_out(client, session, invited):
    _, token = invited
    _start(client, token)
    # 100 s after the timeout the next section is in its intro: handing out its questions
    # starts its clock, with the whole time.
    _shift_deadlines(session, 480 + 100)
    state = client.get(f"/api/v1/assessments/{token}").json()
    current = next(s for s in state["sections"] if s["key"] == "stress-self-report")
    assert current["status"] == "active"
    assert current["remaining_s"] == 210


def test_the_wait_between_sections_is_capped(client, session, invited):
    _, token = invited
    _start(client, token)
    # Nobody there: the next section's clock starts by itself one break (5 min) after the
    # previous one ended, so no time can be banked by waiting.
    _shift_deadlines(session, 480 + 300 + 100)
    state = client.get(f"/api/v1/assessments/{token}").json()
    current = next(s for s in state["sections"] if s["key"] == "stress-self-report")
    assert current["status"] == "active"
    assert current["remaining_s"] == 210 - 100


def test_overdue_attempt_is_finalized_from_saved_answers_on_next_access(client, session,
                                                                         invited):
    candidate, token = invited
    _start(client, token)
    client.put(f"/api/v1/assessments/{token}/answers/en01", json={"value": "a"})
    _shift_deadlines(session, 480 + 210 + 240 + 2 * 300 + 61)  # two capped breaks
    state = client.get(f"/api/v1/assessments/{token}").json()
    assert state["status"] == "completed"
    score = session.exec(select(Score)).one()
    assert score.scales["languages"]["answered"] == 1
    session.refresh(candidate)
    assert candidate.status == "completed"


def test_reload_restores_answers_and_remaining_time(client, session, invited):
    _, token = invited
    state = _start(client, token).json()
    first = state["current_section"]["items"][0]
    client.put(f"/api/v1/assessments/{token}/answers/{first['id']}",
               json={"value": first["options"][0]["id"]})
    _shift_deadlines(session, 100)
    again = client.get(f"/api/v1/assessments/{token}").json()
    assert again["current_section"]["items"][0]["answer"] == first["options"][0]["id"]
    assert again["current_section"]["remaining_s"] == 480 - 100


def test_expired_invitation_is_410(client, session, invited):
    _, token = invited
    invitation = session.exec(select(Invitation)).one()
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    session.add(invitation)
    session.flush()
    assert client.get(f"/api/v1/assessments/{token}").status_code == 410
    assert _start(client, token).status_code == 410


def test_expiry_does_not_cut_short_an_attempt_in_progress(client, session, invited):
    _, token = invited
    _start(client, token)
    invitation = session.exec(select(Invitation)).one()
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    session.add(invitation)
    session.flush()
    assert client.put(f"/api/v1/assessments/{token}/answers/en01",
                      json={"value": "a"}).status_code == 200


def test_revoked_invitation_is_410_even_mid_attempt(client, session, invited):
    candidate, token = invited
    _start(client, token)
    hr_headers = auth_headers(client, create_user(session, role="hr",
                                                  organization=_org(session, candidate)))
    assert client.post(f"/api/v1/candidates/{candidate.id}/revoke",
                       headers=hr_headers).status_code == 200
    assert client.get(f"/api/v1/assessments/{token}").status_code == 410
    assert client.put(f"/api/v1/assessments/{token}/answers/en01",
                      json={"value": "a"}).status_code == 410


def _org(session, candidate):
    from app.organizations.models import Organization

    return session.get(Organization, candidate.organization_id)


def test_unknown_token_is_404(client):
    assert client.get("/api/v1/assessments/" + "x" * 43).status_code == 404


def test_one_candidates_token_cannot_touch_another_attempt(client, session):
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=["english"])
    _, token_a = invite_candidate(session, position=position, actor=hr)
    _, token_b = invite_candidate(session, position=position, actor=hr)
    _start(client, token_a)
    _start(client, token_b)
    client.put(f"/api/v1/assessments/{token_a}/answers/en01", json={"value": "b"})
    state_b = client.get(f"/api/v1/assessments/{token_b}").json()
    assert all(item["answer"] is None for item in state_b["current_section"]["items"])
    attempts = session.exec(select(Attempt).order_by(Attempt.id)).all()
    answers = session.exec(select(Answer)).all()
    assert [a.attempt_id for a in answers] == [attempts[0].id]


def test_batch_resend_saves_all_and_reports_closed_sections(client, invited):
    _, token = invited
    _start(client, token)
    response = client.post(f"/api/v1/assessments/{token}/answers", json={"answers": {
        "en01": {"value": "a"}, "en02": {"value": "b", "elapsed_ms": 1200},
        "sr01": {"value": 3}}})
    assert response.status_code == 200
    assert response.json()["saved"] == ["en01", "en02"]
    assert "sr01" in response.json()["refused"]


def test_page_events_and_client_changes_become_flags(client, session, invited):
    _, token = invited
    _start(client, token)
    client.post(f"/api/v1/assessments/{token}/events",
                json={"focus_losses": 6, "paste_attempts": 1})
    client.put(f"/api/v1/assessments/{token}/answers/en01", json={"value": "a"},
               headers={"User-Agent": "Another Browser/1.0"})
    client.post(f"/api/v1/assessments/{token}/submit")
    score = session.exec(select(Score)).one()
    codes = {flag["code"] for flag in score.flags}
    assert {"focus_loss", "paste_attempt", "ua_change"} <= codes


def test_malformed_json_and_unknown_fields_are_422(client, invited):
    _, token = invited
    _start(client, token)
    url = f"/api/v1/assessments/{token}/answers/en01"
    assert client.put(url, content=b"{", headers={"Content-Type": "application/json"}
                      ).status_code == 422
    assert client.put(url, json={"value": "a", "extra": 1}).status_code == 422


def test_ending_every_section_early_waits_for_the_submit_then_finalizes(client, session,
                                                                        invited):
    _, token = invited
    _start(client, token)
    for key in ("english", "stress-self-report", "stress-scenarios"):
        client.post(f"/api/v1/assessments/{token}/sections/{key}/complete")
    state = client.get(f"/api/v1/assessments/{token}").json()
    assert state["status"] == "in_progress" and state["current_section"] is None
    _shift_deadlines(session, 14 * 60)
    assert client.get(f"/api/v1/assessments/{token}").json()["status"] == "in_progress"
    _shift_deadlines(session, 2 * 60)  # past the 15-minute window for the explicit submit
    assert client.get(f"/api/v1/assessments/{token}").json()["status"] == "completed"
    assert len(session.exec(select(Score)).all()) == 1


def test_a_bad_answer_in_a_batch_is_refused_without_losing_the_others(client, invited):
    _, token = invited
    _start(client, token)
    response = client.post(f"/api/v1/assessments/{token}/answers", json={"answers": {
        "en01": {"value": "a"}, "en02": {"value": "zz"}, "xx99": {"value": "a"}}})
    assert response.status_code == 200
    assert response.json()["saved"] == ["en01"]
    assert set(response.json()["refused"]) == {"en02", "xx99"}
