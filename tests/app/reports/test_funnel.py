"""The funnel of a position, the dashboard's attention lists and a position's status."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from app.candidates import decisions as decision_service
from app.candidates.models import Invitation
from app.core.clock import utcnow
from app.positions.models import Position
from app.reports import funnel
from tests.app.reports.scenario import complete
from tests.factories import form_shown_again, invite_candidate, login_browser


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _world(session, team):
    done, _ = complete(session, position=team.position, actor=team.hr, full_name="Dina Decisa")
    waiting, _ = complete(session, position=team.position, actor=team.hr,
                          full_name="Walter Attesa")
    decision_service.record(session, candidate=done, decision="advance", note="", actor=team.hr,
                            ip=None, basis=None)
    soon, _ = invite_candidate(session, position=team.position, actor=team.hr,
                               full_name="Sara Scadenza")
    later, _ = invite_candidate(session, position=team.position, actor=team.hr,
                                full_name="Lino Lontano")
    link = session.exec(select(Invitation).where(Invitation.candidate_id == soon.id)).one()
    link.expires_at = utcnow() + timedelta(hours=5)
    session.add(link)
    session.flush()
    return done, waiting, soon, later


def test_the_steps_and_sections_count_what_they_say(session, team):
    _world(session, team)
    assert funnel.stages(session, position_id=team.position.id) == {
        "invited": 4, "started": 2, "completed": 2, "decided": 1}
    rows = funnel.sections(session, position_id=team.position.id)
    assert rows and all(r["opened"] <= 2 for r in rows)
    assert rows[0]["dropped"] is None
    assert all(r["median_minutes"] is None or r["median_minutes"] >= 0 for r in rows)


def test_the_attention_lists_count_everyone_and_list_the_first(session, team, monkeypatch):
    _world(session, team)
    complete(session, position=team.position, actor=team.hr, full_name="Anna Ancora")
    monkeypatch.setattr(funnel, "LIST_LIMIT", 1)
    ids = [team.position.id]
    count, rows = funnel.awaiting_decision(session, position_ids=ids)
    assert count == 2 and [row[0].full_name for row in rows] == ["Walter Attesa"]  # oldest
    count, rows = funnel.completed_since(session, position_ids=ids, since=None)
    assert count == 3 and [row[0].full_name for row in rows] == ["Anna Ancora"]  # newest
    count, rows = funnel.expiring(session, position_ids=ids)
    assert count == 1 and [row[0].full_name for row in rows] == ["Sara Scadenza"]
    assert funnel.awaiting_decision(session, position_ids=[]) == (0, [])


def test_the_funnel_page_and_the_pipeline_steps(client, session, team):
    _world(session, team)
    login_browser(client, team.manager)
    pipeline = client.get(f"/positions/{team.position.id}").text
    assert re.search(r'<span class="number">4</span> candidates invited', pipeline)
    assert re.search(r'<span class="number">1</span> with a decision', pipeline)
    page = client.get(f"/positions/{team.position.id}/funnel")
    assert page.status_code == 200
    assert 'data-step="completed"><span class="number">2</span>' in page.text
    assert 'id="funnel-sections"' in page.text


def test_the_dashboard_lists_what_needs_attention(client, session, team):
    _world(session, team)
    login_browser(client, team.hr)
    page = client.get("/").text
    awaiting = page[page.index('id="awaiting-decision"'):page.index('id="expiring"')]
    assert "Walter Attesa" in awaiting and "Dina Decisa" not in awaiting
    expiring = page[page.index('id="expiring"'):page.index('id="completed-since"')]
    assert "Sara Scadenza" in expiring and "Lino Lontano" not in expiring
    assert "Completed recently" in page  # the first visit
    # The next visit lists only what completed after this one.
    again = client.get("/").text
    since = again[again.index('id="completed-since"'):]
    assert "Completed since your last visit" in since
    assert "No one has completed since your last visit." in since
    assert "candidates invited, all time" in again


def test_close_reopen_and_draft(client, session, team):
    login_browser(client, team.hr)
    path = f"/positions/{team.position.id}"
    page = client.get(path).text
    assert "Close the position" in page
    closed = client.post(f"{path}/status", data={"csrf_token": _csrf(page), "status": "closed"},
                         follow_redirects=False)
    assert closed.status_code == 303
    session.expire_all()
    assert session.get(Position, team.position.id).status == "closed"
    page = client.get(path).text
    assert "Reopen the position" in page and "Closed: no new invitations" in page
    refused = client.post(f"{path}/candidates", data={
        "csrf_token": _csrf(page), "full_name": "Nino Chiuso", "email": "nino@example.com"})
    assert "open it before inviting" in form_shown_again(refused).text
    client.post(f"{path}/status", data={"csrf_token": _csrf(page), "status": "draft"})
    assert "Draft: being prepared" in client.get(path).text
    bad = client.post(f"{path}/status", data={"csrf_token": _csrf(page), "status": "gone"})
    assert bad.status_code == 422
    client.post(f"{path}/status", data={"csrf_token": _csrf(page), "status": "open"})
    session.expire_all()
    assert session.get(Position, team.position.id).status == "open"
    listing = client.get("/positions").text
    assert "Candidates invited" in listing and "Assessments completed" in listing
    login_browser(client, team.manager)
    fresh = client.get(path).text
    assert "Close the position" not in fresh
    assert client.post(f"{path}/status", data={"csrf_token": _csrf(fresh),
                                               "status": "closed"}).status_code == 403
