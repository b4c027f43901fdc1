"""Running out of time is not abandoning; an incomplete competency gives a partial fit that is
labelled and ranked after the complete ones (SPEC §3.5, §3.7)."""

from datetime import timedelta

import pytest

from app.assessments import service as assessment_service
from app.assessments.battery import Battery
from app.assessments.models import Answer
from app.assessments.schemas import StartRequest
from app.scores import service as score_service
from tests.app.reports.scenario import complete, generated_answers
from tests.factories import SCREENING, auth_headers, invite_candidate, login_browser

HTML = {"Accept": "text/html"}


def _sitting(session, team, *, name: str, last_answer_before_end: timedelta):
    """A candidate who answers a third of commercial knowledge, the last answer
    ``last_answer_before_end`` before its time runs out, and all of English; the clock then
    ends the attempt."""
    candidate, token = invite_candidate(session, position=team.position, actor=team.hr,
                                        full_name=name)
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(session, ctx=ctx, data=StartRequest(
        consent=True, language="en", screening=SCREENING), ip="127.0.0.1", user_agent="pytest")
    attempt = ctx.attempt
    battery = Battery.load(session, attempt.questionnaire_versions)
    answers = generated_answers(battery, ability=0.7, seed=1)
    [knowledge] = [s for s in assessment_service.sections_of(session, attempt)
                   if s.questionnaire_key == "commercial-knowledge"]
    items = [i.id for i in battery.section_items(knowledge.section_key)]
    kept = set(items[: len(items) // 3])
    session.add_all(
        Answer(attempt_id=attempt.id, item_id=item_id, value={"v": value},
               elapsed_ms=6000, saved_at=knowledge.deadline_at - last_answer_before_end)
        for item_id, value in answers.items() if item_id in kept or item_id not in items
    )
    session.flush()
    end = knowledge.deadline_at + timedelta(hours=3)
    assert assessment_service.finalize_if_overdue(session, ctx=ctx, now=end)
    score = score_service.score_submitted(session, attempt=attempt)
    return candidate, score


def test_a_section_the_clock_ended_while_answering_is_timed_out_not_abandoned(session, team):
    _c, score = _sitting(session, team, name="Tina Tempo",
                         last_answer_before_end=timedelta(seconds=20))
    codes = {f["code"]: f for f in score.flags}
    assert "timed_out_section" in codes and "abandoned_section" not in codes
    assert codes["timed_out_section"]["severity"] == "info"
    assert codes["timed_out_section"]["evidence"]["status"] == "timed_out"


def test_a_section_left_long_before_the_time_ran_out_is_abandoned(session, team):
    _c, score = _sitting(session, team, name="Leo Lontano",
                         last_answer_before_end=timedelta(hours=2))
    codes = {f["code"]: f for f in score.flags}
    assert "abandoned_section" in codes and "timed_out_section" not in codes
    assert codes["abandoned_section"]["evidence"]["status"] == "left"


def test_an_incomplete_competency_gives_a_labelled_partial_fit_ranked_last(client, session,
                                                                          team):
    partial, score = _sitting(session, team, name="Pia Parziale",
                              last_answer_before_end=timedelta(seconds=20))
    whole, _ = complete(session, position=team.position, actor=team.hr, ability=0.2, seed=9,
                        full_name="Carlo Completo")
    assert score.fit_score is None and score.partial_fit is not None
    weights = team.position.weights
    assert score.fit_coverage == pytest.approx(weights["languages"])
    assert score.composite["partial"]["missing"] == ["commercial_knowledge"]
    items = client.get(f"/api/v1/positions/{team.position.id}/candidates",
                       headers=auth_headers(client, team.hr)).json()["items"]
    ranks = {i["full_name"]: i["rank"] for i in items}
    # A partial fit ranks after every complete fit, even a low one.
    assert ranks == {"Carlo Completo": 1, "Pia Parziale": 2}
    assert [i["full_name"] for i in items] == ["Carlo Completo", "Pia Parziale"]
    login_browser(client, team.hr)
    page = client.get(f"/positions/{team.position.id}", headers=HTML).text
    share = round(100 * weights["languages"])
    assert f"partial, {share} % of weight" in page
    report = client.get(f"/api/v1/candidates/{partial.id}/report",
                        headers=auth_headers(client, team.hr)).json()
    assert report["composite"]["partial"]["coverage"] == pytest.approx(weights["languages"])
    assert "Partial fit over the complete competencies" in report["composite"]["explanation"][
        "summary"]
    assert whole.id in {i["id"] for i in items}
