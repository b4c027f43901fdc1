"""A candidate's link from the staff pages: copy again, resend, revoke, erase, duplicates."""

from __future__ import annotations

import re

from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates.models import Candidate, Invitation
from app.outbox.models import OutboxMessage
from tests.app.reports.scenario import complete
from tests.factories import form_shown_again, invite_candidate, login_browser


def _login(client, user) -> None:
    client.cookies.clear()
    login_browser(client, user)


def _csrf(page_text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_text).group(1)


def _emails_to(session, address: str) -> list[OutboxMessage]:
    return [m for m in session.exec(select(OutboxMessage)).all()
            if m.payload.get("to") == address]


def test_copy_link_again_gives_a_fresh_link_and_the_old_one_stops_working(
        client, session, team):
    candidate, old_token = invite_candidate(session, position=team.position, actor=team.hr,
                                            full_name="Lia Persa", email="lia@example.com")
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}")
    assert 'id="invitation"' in page.text and "Copy link again" in page.text
    emails_before = len(_emails_to(session, "lia@example.com"))
    answer = client.post(f"/candidates/{candidate.id}/link",
                         data={"csrf_token": _csrf(page.text), "back": "candidate"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', answer.text).group(1)
    new_token = link.rsplit("/a/", 1)[1]
    assert new_token != old_token
    # The old link is withdrawn (410), the new one opens the landing page.
    assert client.get(f"/a/{old_token}").status_code == 410
    assert client.get(f"/a/{new_token}").status_code == 200
    # No e-mail for a copied link; an audit entry says who made it.
    assert len(_emails_to(session, "lia@example.com")) == emails_before
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "candidate.new_link")).one()
    # The candidate page counts the links now.
    assert "2 links so far" in client.get(f"/candidates/{candidate.id}").text


def test_resend_from_the_pipeline_mails_a_fresh_link_and_says_so(client, session, team):
    candidate, old_token = invite_candidate(session, position=team.position, actor=team.hr,
                                            full_name="Rino Rimando", email="rino@example.com")
    _login(client, team.hr)
    pipeline = client.get(f"/positions/{team.position.id}")
    assert f'form="resend-{candidate.id}"' in pipeline.text
    answer = client.post(f"/candidates/{candidate.id}/resend",
                         data={"csrf_token": _csrf(pipeline.text), "back": "pipeline"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"/positions/{team.position.id}?done=resent&candidate={candidate.id}#pipeline-title"
    )
    after = client.get(answer.headers["location"])
    assert "A new invitation e-mail with a fresh link is on its way to Rino Rimando" in after.text
    assert len(_emails_to(session, "rino@example.com")) == 2
    assert client.get(f"/a/{old_token}").status_code == 410


def test_revoke_and_erase_from_the_candidate_page(client, session, team):
    candidate, token = invite_candidate(session, position=team.position, actor=team.hr,
                                        full_name="Ugo Uscito", email="ugo@example.com")
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}")
    assert "Erase the candidate" not in page.text  # admins only
    answer = client.post(f"/candidates/{candidate.id}/revoke",
                         data={"csrf_token": _csrf(page.text), "back": "candidate"},
                         follow_redirects=False)
    assert answer.headers["location"] == f"/candidates/{candidate.id}?done=revoked#invitation"
    assert "has been revoked" in client.get(answer.headers["location"]).text
    assert client.get(f"/a/{token}").status_code == 410
    # HR may not erase; an admin can, from the same page.
    refused = client.post(f"/candidates/{candidate.id}/erase",
                          data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert refused.status_code == 403
    _login(client, team.admin)
    page = client.get(f"/candidates/{candidate.id}")
    assert "Erase the candidate" in page.text
    erased = client.post(f"/candidates/{candidate.id}/erase",
                         data={"csrf_token": _csrf(page.text), "back": "candidate"},
                         follow_redirects=False)
    assert erased.status_code == 303
    session.expire_all()
    assert session.get(Candidate, candidate.id).erased_at is not None
    assert "ugo@example.com" not in client.get(f"/candidates/{candidate.id}").text


def test_a_started_or_completed_candidate_gets_no_new_link(client, session, team):
    done, _attempt = complete(session, position=team.position, actor=team.hr)
    _login(client, team.hr)
    page = client.get(f"/candidates/{done.id}")
    assert "Copy link again" not in page.text and "Revoke the link" not in page.text
    assert re.search(r'data-date="completed">\d{4}-', page.text)
    answer = client.post(f"/candidates/{done.id}/link", data={"csrf_token": _csrf(page.text)})
    assert answer.status_code == 409
    assert "a new link would not help" in answer.text
    links = session.exec(select(Invitation).where(Invitation.candidate_id == done.id)).all()
    assert len(links) == 1


def test_a_manager_sees_the_dates_but_not_the_link_actions(client, session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    _login(client, team.manager)
    page = client.get(f"/candidates/{candidate.id}")
    assert 'data-date="invited"' in page.text and 'data-date="expires"' in page.text
    assert "Copy link again" not in page.text
    assert client.post(f"/candidates/{candidate.id}/link",
                       data={"csrf_token": _csrf(page.text)}).status_code == 403


def test_inviting_the_same_email_twice_warns_and_offers_to_resend(client, session, team):
    first, _token = invite_candidate(session, position=team.position, actor=team.hr,
                                     full_name="Dora Doppia", email="dora@example.com")
    _login(client, team.hr)
    path = f"/positions/{team.position.id}"
    form = {"csrf_token": _csrf(client.get(path).text), "full_name": "Dora Doppia",
            "email": "Dora@Example.com", "language": "it", "extra_time_pct": "0"}
    warned = client.post(f"{path}/candidates", data=form)
    assert warned.status_code == 409
    assert "dora@example.com has already been invited to this position" in warned.text
    assert f'form="resend-{first.id}"' in warned.text
    assert 'id="invite-link"' not in warned.text
    count = len(session.exec(select(Candidate).where(
        Candidate.email == "dora@example.com")).all())
    assert count == 1
    # Confirmed, a second candidate is made on purpose.
    again = client.post(f"{path}/candidates", data={**form, "duplicate": "confirmed"})
    assert again.status_code == 200 and 'id="invite-link"' in again.text
    assert len(session.exec(select(Candidate).where(
        Candidate.email == "dora@example.com")).all()) == 2


def test_the_link_pages_speak_italian(client, session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr,
                                         full_name="Ida Italiana")
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}?lang=it")
    assert "Copia di nuovo il link" in page.text
    answer = client.post(f"/candidates/{candidate.id}/link?lang=it",
                         data={"csrf_token": _csrf(page.text)})
    assert "Nuovo link per Ida Italiana" in answer.text


def test_the_report_shows_the_extra_time_and_no_raw_keys(client, session, team):
    candidate, _attempt = complete(session, position=team.position, actor=team.hr,
                                   extra_time_pct=25)
    started, token = invite_candidate(session, position=team.position, actor=team.hr)
    from app.assessments import service as assessment_service
    from app.assessments.schemas import StartRequest
    from tests.factories import SCREENING

    ctx = assessment_service.resolve(session, token=token)
    assessment_service.start(session, ctx=ctx, ip=None, user_agent=None,
                             data=StartRequest(consent=True, screening=SCREENING))
    _login(client, team.hr)
    report = client.get(f"/candidates/{candidate.id}").text
    assert "+25 % on every section (an accommodation)" in report
    running = client.get(f"/candidates/{started.id}").text
    assert "in progress" in running and "in_progress" not in running.replace(
        "status-in_progress", "")
    assert "· HR</a>" in running  # the role, not the key


def test_the_invitation_form_says_what_is_wrong_in_the_readers_language(client, session, team):
    _login(client, team.hr)
    path = f"/positions/{team.position.id}"
    page = client.get(f"{path}?lang=it").text
    answer = client.post(f"{path}/candidates?lang=it", data={
        "csrf_token": _csrf(page), "full_name": "Eva Errata", "email": "non-una-mail",
        "language": "it", "extra_time_pct": "0"})
    answer = form_shown_again(answer)
    assert "Scrivi un indirizzo e-mail, per esempio nome@azienda.it." in answer.text
    assert "value is not a valid email" not in answer.text


def test_the_api_says_when_the_email_was_already_invited(client, session, team):
    from tests.factories import auth_headers

    headers = auth_headers(client, team.hr)
    path = f"/api/v1/positions/{team.position.id}/candidates"
    body = {"full_name": "Api Doppia", "email": "api.doppia@example.com"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == 201 and first.json()["already_invited"] == []
    second = client.post(path, json=body, headers=headers)
    assert second.status_code == 201
    assert second.json()["already_invited"] == [first.json()["id"]]


def test_the_language_link_of_a_page_answering_a_form_goes_back_where_it_came_from(
        client, session, team):
    candidate, _token = invite_candidate(session, position=team.position, actor=team.hr)
    _login(client, team.hr)
    page = client.get(f"/candidates/{candidate.id}?tab=x")
    answer = client.post(f"/candidates/{candidate.id}/link", data={"csrf_token": _csrf(page.text)},
                         headers={"referer": f"http://testserver/candidates/{candidate.id}?tab=x"})
    assert f'href="/candidates/{candidate.id}?tab=x&amp;lang=it"' in answer.text
    elsewhere = client.post(f"/candidates/{candidate.id}/link",
                            data={"csrf_token": _csrf(page.text)},
                            headers={"referer": "https://evil.example/x"})
    assert 'href="/?lang=it"' in elsewhere.text
