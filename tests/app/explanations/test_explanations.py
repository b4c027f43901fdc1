"""Explanation of a decision (the smallest change really flips the band, recomputed through
the scoring library) and the contest workflow: another reviewer, a due date, an outcome,
audit entries and e-mails to the candidate."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates import decisions as decision_service
from app.candidates.models import Invitation
from app.explanations import service as explanation_service
from app.explanations.models import Contest
from app.outbox.models import OutboxMessage
from app.scores import service as score_service
from scoring import composite_scores
from tests.app.reports.scenario import complete, make_team
from tests.factories import auth_headers, login_browser


def _token_for(session, candidate):
    from app.auth.security import token_hash

    invitation = session.exec(select(Invitation).where(
        Invitation.candidate_id == candidate.id)).one()
    token = f"explain-{candidate.id}-" + "y" * 40
    invitation.token_hash = token_hash(token)
    session.add(invitation)
    session.flush()
    return token


@pytest.fixture
def decided(session):
    team = make_team(session, weights={"commercial_knowledge": 0.6, "languages": 0.4})
    candidate, _attempt = complete(session, position=team.position, actor=team.hr,
                                   ability=0.55, seed=4)
    decision_service.record(session, candidate=candidate, decision="reject", note="",
                            actor=team.hr,
                            basis=score_service.decision_basis(session,
                                                               candidate_id=candidate.id))
    return team, candidate


def test_the_explanation_names_the_person_results_requirements_and_contact(client, session,
                                                                          decided):
    team, candidate = decided
    body = client.get(f"/api/v1/candidates/{candidate.id}/explanation",
                      headers=auth_headers(client, team.admin)).json()

    assert body["decided_by_a_person"] is True
    assert body["decision"]["decision"] == "reject"
    assert body["decision"]["by"] == team.hr.full_name
    assert {c["competency"] for c in body["competencies"]} == {"commercial_knowledge",
                                                              "languages"}
    assert body["weights"] == {"commercial_knowledge": 0.6, "languages": 0.4}
    assert any(r["rule"] == "language" for r in body["requirements"])
    assert body["ranking_mode"] == "fit"
    assert body["contact"] == team.admin.email
    assert session.exec(select(AuditEntry).where(
        AuditEntry.action == "explanation.view")).first() is not None


def test_the_smallest_change_flips_the_band_when_recomputed(client, session, decided):
    team, candidate = decided
    body = client.get(f"/api/v1/candidates/{candidate.id}/explanation",
                      headers=auth_headers(client, team.admin)).json()
    band = body["smallest_changes"]["band"]
    assert band is not None and band["up"], body["smallest_changes"]

    names = [c["competency"] for c in body["competencies"]]
    row = np.array([[c["score"] for c in body["competencies"]]])
    before = composite_scores(row, names, body["weights"], basis="percent",
                              language_hurdle=None)
    assert before.band[0] == band["band"] == body["fit"]["band"]
    for change in band["up"]:
        moved = row.copy()
        moved[0, names.index(change["competency"])] = change["needed"]
        after = composite_scores(moved, names, body["weights"], basis="percent",
                                 language_hurdle=None)
        assert after.band[0] == change["to"]
        nearly = row.copy()
        nearly[0, names.index(change["competency"])] += 0.99 * change["delta"]
        assert composite_scores(nearly, names, body["weights"], basis="percent",
                                language_hurdle=None).band[0] == before.band[0]
    weights = body["weights"]
    assert band["up"][0]["competency"] == max(weights, key=weights.get)


def test_the_candidate_sees_it_from_the_link_only_after_a_decision(client, session):
    team = make_team(session)
    candidate, _attempt = complete(session, position=team.position, actor=team.hr)
    token = _token_for(session, candidate)
    early = client.get(f"/a/{token}/explanation", follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"].endswith("/done")
    assert client.get(f"/api/v1/assessments/{token}/explanation").json()["available"] is False

    decision_service.record(session, candidate=candidate, decision="advance", note="",
                            actor=team.manager)
    assert f"/a/{token}/explanation" in client.get(f"/a/{token}/done").text
    page = client.get(f"/a/{token}/explanation")
    assert page.status_code == 200
    assert "A person made this decision." in page.text
    assert team.manager.full_name in page.text
    italian = client.get(f"/a/{token}/explanation", params={"lang": "it"})
    assert "Questa decisione è stata presa da una persona." in italian.text


def test_a_contest_goes_to_another_reviewer_and_ends_with_an_audited_outcome(client, session,
                                                                           decided):
    team, candidate = decided
    token = _token_for(session, candidate)
    assert client.post(f"/api/v1/assessments/{token}/contest",
                       json={"reason": ""}).status_code == 422

    opened = client.post(f"/api/v1/assessments/{token}/contest",
                         json={"reason": "My English is C1; I have a certificate."})
    assert opened.status_code == 201, opened.text
    contest = session.get(Contest, opened.json()["id"])
    assert contest.decided_by_id == team.hr.id
    assert contest.reviewer_id not in (None, team.hr.id)
    assert contest.due_at - contest.created_at == timedelta(days=30)
    again = client.post(f"/api/v1/assessments/{token}/contest", json={"reason": "Again"})
    assert again.json()["id"] == contest.id  # one contest per decision

    decider = auth_headers(client, team.hr)
    refused = client.post(f"/api/v1/contests/{contest.id}/outcome", headers=decider,
                          json={"outcome": "upheld", "note": "I was right."})
    assert refused.status_code == 409
    reviewer = team.admin if contest.reviewer_id == team.admin.id else None
    assert reviewer is not None
    headers = auth_headers(client, reviewer)
    assert client.post(f"/api/v1/contests/{contest.id}/outcome", headers=headers,
                       json={"outcome": "maybe", "note": "x"}).status_code == 422
    closed = client.post(f"/api/v1/contests/{contest.id}/outcome", headers=headers,
                         json={"outcome": "changed", "note": "Certificate checked; advance."})
    assert closed.status_code == 200, closed.text
    assert closed.json()["outcome"] == "changed"

    actions = [e.action for e in session.exec(select(AuditEntry).where(
        AuditEntry.object_id == str(candidate.id)).order_by(AuditEntry.id))]
    assert "contest.open" in actions and "contest.close" in actions
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    subjects = [m.payload["subject"] for m in mails if m.payload["to"] == candidate.email]
    assert "We received your request to review the decision" in subjects
    assert "The review of the decision is complete" in subjects
    listed = client.get("/api/v1/contests", headers=headers).json()
    assert [c["id"] for c in listed] == [contest.id]


def test_the_contest_pages_for_candidate_and_reviewer(client, session, decided):
    team, candidate = decided
    token = _token_for(session, candidate)
    page = client.get(f"/a/{token}/explanation")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    sent = client.post(f"/a/{token}/contest", data={"csrf_token": csrf, "reason": "Please"},
                       follow_redirects=False)
    assert sent.status_code == 303
    assert "was received" in client.get(f"/a/{token}/explanation").text

    contest = session.exec(select(Contest).where(Contest.candidate_id == candidate.id)).one()
    login_browser(client, team.admin)
    listing = client.get("/contests")
    assert listing.status_code == 200 and f'action="/contests/{contest.id}"' in listing.text
    # the reviewer sees who asked, by name, not only a number
    assert f'<a href="/candidates/{candidate.id}">{candidate.full_name}</a>' in listing.text


def test_staff_read_the_same_explanation_from_the_report(client, session, decided):
    team, candidate = decided
    login_browser(client, team.manager)
    report = client.get(f"/candidates/{candidate.id}")
    assert f"/candidates/{candidate.id}/explanation" in report.text
    page = client.get(f"/candidates/{candidate.id}/explanation")
    assert page.status_code == 200
    assert "A person made this decision." in page.text and "<textarea" not in page.text


def test_contests_are_exported_with_the_candidate_and_their_text_erased(session, decided):
    from app.privacy import service as privacy_service

    team, candidate = decided
    contest = explanation_service.open_contest(session, candidate=candidate,
                                                    reason="My certificate says C1.")
    exported = privacy_service.export(session, candidate=candidate)
    assert exported["contests"][0]["reason"] == "My certificate says C1."

    privacy_service.erase(session, candidate=candidate, actor=team.admin)
    session.refresh(contest)
    assert contest.reason == "" and contest.status == "open"


def test_the_reviewer_page_says_in_italian_why_the_decider_cannot_close_the_review(
    client, session, decided
):
    import re

    team, candidate = decided
    token = _token_for(session, candidate)
    opened = client.post(f"/api/v1/assessments/{token}/contest", json={"reason": "Please"})
    contest_id = opened.json()["id"]
    login_browser(client, team.hr)  # who made the decision
    page = client.get("/contests?lang=it")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    refused = client.post(f"/contests/{contest_id}?lang=it", data={
        "csrf_token": csrf, "outcome": "upheld", "note": "I was right."})
    assert refused.status_code == 409
    assert "Chi ha preso la decisione non può anche rivederla." in refused.text
    assert session.get(Contest, contest_id).outcome is None


def test_a_t_score_is_said_in_plain_words_only_where_scores_are_t(client, session, decided):
    from tests.app.reports.scenario import import_norms, synthetic_norms

    team, candidate = decided
    token = _token_for(session, candidate)
    before = client.get(f"/a/{token}/explanation", params={"lang": "it"}).text
    assert 'id="t-in-words"' not in before  # percentages of the maximum: nothing to explain
    import_norms(session, organization_id=team.admin.organization_id,
                 tables=synthetic_norms(session, keys=["commercial-knowledge", "english"]))
    after = client.get(f"/a/{token}/explanation", params={"lang": "it"}).text
    assert " T</td>" in after
    assert "50 è la loro media, 60 è ben sopra" in after
