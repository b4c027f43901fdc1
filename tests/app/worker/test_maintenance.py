"""The worker's housekeeping: overdue attempts are finalized from their saved answers."""

from datetime import timedelta

from sqlmodel import select

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.bank import service as bank_service
from app.core.clock import utcnow
from app.core.db import get_engine, session_scope
from app.core.migrations import upgrade
from app.scores.models import Score
from app.worker.maintenance import run_once
from tests.factories import SCREENING, create_position, create_user, invite_candidate


def test_an_abandoned_attempt_is_finalized_by_the_worker(fresh_database):
    upgrade()
    started = utcnow() - timedelta(hours=2)
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        _, token = invite_candidate(session, position=position, actor=hr)
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.start(session, ctx=ctx, now=started, ip=None, user_agent=None,
                                 data=StartRequest(consent=True, screening=SCREENING))
        assessment_service.save_answer(session, ctx=ctx, item_id="en01", value="a",
                                       elapsed_ms=None, ip=None, user_agent=None,
                                       now=started + timedelta(seconds=30))
    report = run_once(get_engine())
    assert len(report.finalized) == 1
    assert run_once(get_engine()).finalized == []
    with session_scope(read_only=True) as session:
        score = session.exec(select(Score)).one()
        assert score.scales["languages"]["answered"] == 1
