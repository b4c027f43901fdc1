"""A candidate who disappears mid-battery: the worker finds the attempt as soon as its time
and the grace are over, not a quarter of an hour later (hiring-day requirement: finalized
within deadline + grace + 30 s, with the housekeeping running every 15 s)."""

from __future__ import annotations

from datetime import timedelta

from app.assessments import service as assessment_service
from app.assessments.schemas import StartRequest
from app.core.clock import utcnow
from tests.factories import SCREENING, create_position, create_user, invite_candidate

GRACE = assessment_service.GRACE


def _started(session, questionnaires, now):  # type: ignore[no-untyped-def]
    hr = create_user(session, role="hr")
    position = create_position(session, actor=hr, questionnaires=questionnaires)
    _, token = invite_candidate(session, position=position, actor=hr)
    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(session, ctx=ctx, now=now, ip=None, user_agent=None,
                             data=StartRequest(consent=True, screening=SCREENING))
    return ctx


def test_an_attempt_that_ran_out_of_time_is_due_right_after_the_grace(session):
    now = utcnow()
    ctx = _started(session, ["english", "stress-resistance"], now)
    first, *rest = assessment_service.sections_of(session, ctx.attempt)
    # The candidate ends the first section early, then vanishes: every later section opens,
    # waits its capped break (nobody presses Begin) and runs out.
    assessment_service.complete_section(session, ctx=ctx, section_key=first.section_key,
                                        now=now + timedelta(seconds=20))
    end = (now + timedelta(seconds=20 + sum(s.time_limit_s for s in rest))
           + assessment_service.section_break() * len(rest))
    due = assessment_service.overdue_attempt_ids
    assert ctx.attempt.id not in due(session, now=end + GRACE - timedelta(seconds=1))
    assert ctx.attempt.id in due(session, now=end + GRACE + timedelta(seconds=1))
    assert assessment_service.finalize_if_overdue(session, ctx=ctx,
                                                  now=end + GRACE + timedelta(seconds=1))


def test_an_attempt_waiting_for_its_submit_is_finalized_after_the_submit_window(session):
    now = utcnow()
    ctx = _started(session, ["english"], now)
    (only,) = assessment_service.sections_of(session, ctx.attempt)
    ended = now + timedelta(seconds=60)
    assessment_service.complete_section(session, ctx=ctx, section_key=only.section_key,
                                        now=ended)
    due = assessment_service.overdue_attempt_ids
    assert ctx.attempt.id not in due(session, now=ended + GRACE - timedelta(seconds=1))
    # Listed once the grace is over; finalized only when the submit window is over too.
    later = ended + GRACE + timedelta(seconds=1)
    assert ctx.attempt.id in due(session, now=later)
    assert not assessment_service.finalize_if_overdue(session, ctx=ctx, now=later)
    window_over = ended + assessment_service.SUBMIT_WINDOW + timedelta(seconds=1)
    assert assessment_service.finalize_if_overdue(session, ctx=ctx, now=window_over)
