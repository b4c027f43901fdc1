"""Completion e-mails: the candidate's confirmation and the notices staff asked for."""

from __future__ import annotations

from sqlmodel import select

from app.auth.models import User
from app.outbox.models import OutboxMessage
from tests.app.reports.scenario import complete, make_team


def _notices(session, candidate_id: int) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            if m.payload["reference"].get("candidate_id") == candidate_id
            and m.payload["reference"].get("notice")]


def test_completion_confirms_to_the_candidate_and_tells_who_asked(session):
    team = make_team(session)
    for user in (team.hr, team.manager, team.other_manager):
        stored = session.get(User, user.id)
        stored.notify_completions = True
        stored.language = "it" if user is team.manager else "en"
        session.add(stored)
    session.flush()
    candidate, _attempt = complete(session, position=team.position, actor=team.hr,
                                   full_name="Carla Conclusa", language="it")
    sent = _notices(session, candidate.id)
    confirmation = [m for m in sent if m.payload["reference"]["notice"] == "confirmation"]
    assert len(confirmation) == 1
    assert confirmation[0].payload["to"] == candidate.email
    assert confirmation[0].payload["subject"].startswith("Le tue risposte sono arrivate")
    assert "score" not in confirmation[0].payload["text"].lower()
    staff = {m.payload["to"]: m.payload for m in sent
             if m.payload["reference"]["notice"] == "completed"}
    # HR and the assigned manager asked; the unassigned manager cannot see the candidate;
    # the admin did not ask.
    assert set(staff) == {team.hr.email, team.manager.email}
    assert staff[team.manager.email]["subject"] == "Carla Conclusa ha completato la valutazione"
    assert f"/candidates/{candidate.id}" in staff[team.hr.email]["text"]


def test_without_subscribers_only_the_confirmation_goes(session):
    team = make_team(session)
    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    assert len(_notices(session, candidate.id)) == 1  # nobody asked: the confirmation only
