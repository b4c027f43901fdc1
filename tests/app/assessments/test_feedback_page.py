"""The developmental feedback page: off by default; when a position switches it on, the
candidate reads strengths and what to work on in words, never a score."""

from __future__ import annotations

import html
import re

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.bank import service as bank_service
from app.reports import feedback
from app.scores import service as score_service
from tests.factories import SCREENING, create_position, create_user, invite_candidate

HTML = {"Accept": "text/html"}


def _handed_in(session, *, feedback_page: bool, language: str = "en") -> str:
    bank_service.publish(session)
    user = create_user(session)
    position = create_position(session, actor=user, feedback_page=feedback_page,
                               questionnaires=["stress-resistance", "commercial-knowledge"])
    _candidate, token = invite_candidate(session, position=position, actor=user,
                                         language=language)
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(session, ctx=ctx, ip=None, user_agent=None,
                             data=StartRequest(consent=True, language=language,
                                               screening=SCREENING))
    for n in range(1, 15):
        assessment_service.save_answer(session, ctx=ctx, item_id=f"sr{n:02d}", value=1 + n % 5,
                                       elapsed_ms=5000, ip=None, user_agent=None)
    assert assessment_service.submit(session, ctx=ctx)
    score_service.score_submitted(session, attempt=ctx.attempt)
    session.commit()
    return token


def test_off_by_default(client, session):
    token = _handed_in(session, feedback_page=False)
    page = client.get(f"/a/{token}/done", headers=HTML).text
    assert "Thank you" in page and 'id="feedback"' not in page


def test_words_only_when_switched_on(client, session):
    token = _handed_in(session, feedback_page=True, language="it")
    page = client.get(f"/a/{token}/done", headers=HTML).text
    block = page[page.index('<section class="card narrow-card" aria-labelledby="feedback-title"'):]
    assert "Un po&#39; di feedback per te" in block and "I tuoi punti di forza" in block
    assert not re.search(r"\d", html.unescape(re.sub(r"<[^>]+>", "", block)))  # no number
    assert "score" not in block.lower() and "punteggio" not in block.lower()


def test_feedback_uses_only_the_order_of_the_competencies():
    entries = {"analysis": {"percent": 80.0}, "drive": {"percent": 40.0},
               "communication": {"percent": 60.0}, "languages": {"percent": None}}
    result = feedback.feedback(lambda text, **kw: text % kw if kw else text, entries)
    assert [f["name"] for f in result["strengths"]] == ["Analysis", "Communication"]
    assert [f["name"] for f in result["grow"]] == ["Drive"]
    assert feedback.feedback(lambda text, **kw: text, {}) is None
