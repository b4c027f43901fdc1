"""A request that finalizes an overdue attempt answers with the final state at once, on a
real server where the read and the write run in separate transactions."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from app.assessments import service as assessment_service
from app.assessments.models import AttemptSection
from app.bank import service as bank_service
from app.core.clock import utcnow
from app.core.db import session_scope
from app.core.migrations import upgrade
from tests.factories import SCREENING, create_position, create_user, invite_candidate
from tests.live_server import TLS, running_server


@pytest.fixture
def overdue(fresh_database):
    """A served attempt whose only section ran out of time longer ago than the grace."""
    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        hr = create_user(session, role="hr")
        position = create_position(session, actor=hr, questionnaires=["english"])
        _, token = invite_candidate(session, position=position, actor=hr)
    with running_server() as base_url:
        start = httpx.post(f"{base_url}/api/v1/assessments/{token}/start",
                           json={"consent": True, "screening": SCREENING}, timeout=10,
                           verify=TLS)
        assert start.status_code == 200, start.text
        assert start.json()["status"] == "in_progress"
        ended = utcnow() - assessment_service.GRACE - timedelta(minutes=1)
        with session_scope() as session:
            session.exec(update(AttemptSection).values(
                started_at=ended - timedelta(minutes=20), deadline_at=ended))
        yield base_url, token


def test_the_state_request_that_finalizes_an_attempt_shows_it_completed(overdue):
    base_url, token = overdue

    first = httpx.get(f"{base_url}/api/v1/assessments/{token}", timeout=10, verify=TLS)

    assert first.status_code == 200
    assert first.json()["status"] == "completed"
    assert first.json()["current_section"] is None
    assert {s["status"] for s in first.json()["sections"]} == {"completed"}

