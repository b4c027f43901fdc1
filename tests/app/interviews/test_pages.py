"""The interview, kit, outcome and validity pages, driven through their forms."""

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import select

from app.audit.models import AuditEntry
from app.candidates.models import Candidate
from app.interviews.models import InterviewAssignment
from app.positions.models import Position
from tests.app.interviews.test_outcomes_and_validity import _cohort
from tests.app.reports.scenario import complete
from tests.factories import csrf_token, follow_draft, login_browser


def _browser(app, user) -> TestClient:
    browser = TestClient(app, base_url="https://testserver")
    login_browser(browser, user)
    return browser


def _post(browser, path, data, page=None):
    token = csrf_token(browser, page or path.rsplit("/", 1)[0])
    return browser.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _ratings(keys, value):
    return {f"rating-{k}": str(value) for k in keys} | {f"note-{k}": f"quoted {k}" for k in keys}


def test_a_panel_rates_independently_then_calibrates_and_revises_in_the_pages(
    app, session, team
):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    page = f"/candidates/{candidate.id}/interview"
    hr, manager = _browser(app, team.hr), _browser(app, team.manager)
    first = hr.get(page)
    assert first.status_code == 200 and 'id="no-panel"' in first.text
    assigned = hr.post(page + "/assign", follow_redirects=False, data={
        "interviewer_ids": [str(team.manager.id), str(team.hr.id)],
        "csrf_token": csrf_token(hr, page)})
    assert assigned.status_code == 303
    keys = [k for k, w in team.position.weights.items() if w > 0]
    assert _post(hr, page + "/rate", _ratings(keys, 5), page).status_code == 303
    before = manager.get(page)
    assert 'id="ratings-hidden"' in before.text and 'id="rating-form"' in before.text
    assert "quoted " not in before.text  # the hr notes stay hidden
    bad = _post(manager, page + "/rate", _ratings(keys, 9), page)
    assert 'id="form-error"' in follow_draft(manager, bad).text
    assert _post(manager, page + "/rate", _ratings(keys, 2), page).status_code == 303
    after = manager.get(page)
    assert 'id="ratings-table"' in after.text and 'id="calibration-list"' in after.text
    no_reason = _post(manager, page + "/rate", {**_ratings(keys, 3), "revise": "1"}, page)
    assert 'id="form-error"' in follow_draft(manager, no_reason).text
    revised = _post(manager, page + "/rate",
                    {**_ratings(keys, 4), "revise": "1", "reason": "Second look at my notes."},
                    page)
    assert revised.status_code == 303
    rows = session.exec(select(InterviewAssignment).where(
        InterviewAssignment.candidate_id == candidate.id)).all()
    assert {r.interviewer_id: r.revisions for r in rows} == {team.manager.id: 1, team.hr.id: 0}
    assert 'id="calibration-none"' in manager.get(page).text
    assert session.get(Candidate, candidate.id).stage == "interview"
    italian = manager.get(page + "?lang=it")
    assert "Commissione del colloquio" in italian.text


def test_the_kit_puts_the_weakest_competency_first_and_prints(app, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr,
                            ability={"commercial_knowledge": 0.9, "languages": 0.2,
                                     "business_sense": 0.5, "analysis": 0.5,
                                     "communication": 0.5, "stress_resistance": 0.5,
                                     "drive": 0.5})
    browser = _browser(app, team.manager)
    kit = browser.get(f"/candidates/{candidate.id}/interview-kit")
    assert kit.status_code == 200
    order = re.findall(r'id="kit-([a-z_]+)"', kit.text)
    assert order[0] == "languages" and "commercial_knowledge" in order
    assert kit.text.count('class="notes-box"') >= 5
    italian = browser.get(f"/candidates/{candidate.id}/interview-kit?kit_lang=it")
    assert 'lang="it"' in italian.text and "Raccontami" in italian.text
    pdf = browser.get(f"/candidates/{candidate.id}/interview-kit.pdf?kit_lang=it")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Guida per chi conduce il colloquio" in text and "Rating for" in text


def test_outcomes_are_recorded_in_the_page_for_hires(app, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    from app.candidates import decisions as decision_service

    decision_service.record(session, candidate=candidate, decision="hire", note="Yes.",
                            actor=team.hr)
    page = f"/candidates/{candidate.id}/interview"
    hr = _browser(app, team.hr)
    assert 'id="outcome-form"' in hr.get(page).text
    bad = _post(hr, f"/candidates/{candidate.id}/outcomes",
                {"months": "6", "performance": "4", "still_employed": "no"}, page)
    assert 'id="form-error"' in follow_draft(hr, bad).text
    done = _post(hr, f"/candidates/{candidate.id}/outcomes",
                 {"months": "6", "performance": "4", "quota_attainment_pct": "87,5",
                  "months_to_quota": "5", "still_employed": "yes",
                  "perf-commercial_knowledge": "5"}, page)
    assert done.status_code == 303, done.text
    from app.interviews.models import Outcome

    outcome = session.exec(select(Outcome).where(Outcome.candidate_id == candidate.id)).one()
    assert outcome.performance_by_competency == {"commercial_knowledge": 5}
    assert outcome.quota_attainment_pct == 87.5
    assert "88 %" in hr.get(page).text  # 87,5 read as 87.5 and shown whole
    manager = _browser(app, team.manager)
    assert 'id="outcome-form"' not in manager.get(page).text


def test_an_admin_reads_the_validity_dashboard_and_applies_the_weights_with_a_reason(
    app, session, team
):
    _cohort(session, team, 8)
    page = f"/positions/{team.position.id}/validity"
    assert _browser(app, team.hr).get(page).status_code == 403
    admin = _browser(app, team.admin)
    board = admin.get(page + "?outcome=quota_6")
    assert board.status_code == 200
    assert 'id="validity-table"' in board.text and 'id="small-n"' in board.text
    assert 'id="weights-table"' in board.text and 'id="icc"' in board.text
    assert admin.get(page + "?correct=true").status_code == 200
    before = dict(session.get(Position, team.position.id).weights)
    blank = _post(admin, page + "/apply", {"what": "weights", "outcome": "quota_6",
                                           "reason": " "}, page)
    assert "Write why you apply these numbers" in follow_draft(admin, blank).text
    assert session.get(Position, team.position.id).weights == before
    applied = _post(admin, page + "/apply", {"what": "weights", "outcome": "quota_6",
                                             "reason": "Quota follows the test."}, page)
    assert applied.status_code == 303
    assert session.get(Position, team.position.id).weights != before
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "position.apply_suggested_weights")).one()
    assert entry.details["reason"] == "Quota follows the test."
    assert "Validità" in admin.get(page + "?lang=it").text


def test_the_pipeline_page_filters_and_counts_by_stage(app, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    complete(session, position=team.position, actor=team.hr, email="other@example.com")
    candidate.stage = "interview"
    session.add(candidate)
    session.flush()
    browser = _browser(app, team.hr)
    page = browser.get(f"/positions/{team.position.id}?stage=interview")
    assert page.status_code == 200
    assert page.text.count('href="/candidates/') == 1 + page.text.count("/interview")
    assert f'href="/candidates/{candidate.id}"' in page.text
    counts = re.search(r'aria-label="Candidates by stage">(.*?)</nav>', page.text, re.S).group(1)
    assert re.sub(r"\s+", "", re.sub("<[^>]+>", "", counts)).startswith(
        "assessment:1interview:1decision:0")
    assert browser.get(f"/positions/{team.position.id}?stage=hired").status_code == 422


def test_hr_sets_how_much_the_interview_counts_on_the_pipeline_page(app, session, team):
    from app.interviews import overall as overall_service

    hr = _browser(app, team.hr)
    page = f"/positions/{team.position.id}"
    assert 'id="overall-weights"' in hr.get(page).text
    bad = _post(hr, page + "/overall-weights", {"interview_pct": "120"}, page)
    assert bad.status_code == 422
    done = _post(hr, page + "/overall-weights", {"interview_pct": "40"}, page)
    assert done.status_code == 303
    weights = overall_service.weights(session, position=team.position)
    assert weights == {"test": 0.6, "interview": 0.4, "default": False}
    entry = session.exec(select(AuditEntry).where(
        AuditEntry.action == "position.overall_weights")).one()
    assert entry.details == {"test": 0.6, "interview": 0.4} and entry.actor_user_id == team.hr.id
    manager = _browser(app, team.manager)
    assert 'id="overall-weights"' not in manager.get(page).text


def test_the_organization_validity_page_lists_the_positions(app, session, team):
    _cohort(session, team, 5)
    admin = _browser(app, team.admin)
    page = admin.get("/admin/validity")
    assert page.status_code == 200
    assert f'href="/positions/{team.position.id}/validity"' in page.text
    assert 'id="validity-table"' in page.text
    assert "Tutte le posizioni" in admin.get("/admin/validity?lang=it").text
    assert _browser(app, team.manager).get("/admin/validity").status_code == 403


def test_garbage_in_the_forms_is_a_clear_4xx_never_a_5xx(app, session, team):
    from app.candidates import decisions as decision_service

    candidate, _ = complete(session, position=team.position, actor=team.hr)
    decision_service.record(session, candidate=candidate, decision="hire", note="Yes.",
                            actor=team.hr)
    page = f"/candidates/{candidate.id}/interview"
    hr = _browser(app, team.hr)
    posts = [
        (page + "/assign", {"interviewer_ids": "abc"}),
        (page + "/assign", {"interviewer_ids": "99999999999999999999"}),
        (page + "/rate", {"rating-analysis": "x" * 5000}),
        (f"/candidates/{candidate.id}/outcomes", {"months": "six"}),
        (f"/candidates/{candidate.id}/outcomes", {"months": "6", "months_to_quota": "abc"}),
        (f"/candidates/{candidate.id}/outcomes", {"months": "6", "quota_attainment_pct": "1e9"}),
        (f"/candidates/{candidate.id}/outcomes", {"months": "6", "left_on": "yesterday",
                                                  "still_employed": "no"}),
        (f"/positions/{team.position.id}/overall-weights", {"interview_pct": "-5"}),
        (f"/positions/{team.position.id}/overall-weights", {"interview_pct": "\x00"}),
    ]
    for path, data in posts:
        response = _post(hr, path, data, page)
        if response.status_code == 303:  # a mistake, shown on the form's page
            assert 'id="form-error"' in follow_draft(hr, response).text, (path, data)
        else:
            assert 400 <= response.status_code < 500, (path, data, response.status_code)


def test_hr_takes_an_interviewer_who_has_not_rated_off_the_panel(app, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    page = f"/candidates/{candidate.id}/interview"
    hr = _browser(app, team.hr)
    hr.post(page + "/assign", follow_redirects=False, data={
        "interviewer_ids": [str(team.manager.id)], "csrf_token": csrf_token(hr, page)})
    assert "take off the panel" in hr.get(page).text
    done = _post(hr, page + "/unassign", {"interviewer_id": str(team.manager.id)}, page)
    assert done.status_code == 303
    assert 'id="no-panel"' in hr.get(page).text
    again = _post(hr, page + "/unassign", {"interviewer_id": str(team.manager.id)}, page)
    assert "not on the panel" in follow_draft(hr, again).text


def test_a_refusal_of_the_panel_is_said_in_the_pages_language(app, session, team):
    candidate, _ = complete(session, position=team.position, actor=team.hr)
    page = f"/candidates/{candidate.id}/interview"
    hr, manager = _browser(app, team.hr), _browser(app, team.manager)
    hr.post(page + "/assign", follow_redirects=False, data={
        "interviewer_ids": [str(team.manager.id)], "csrf_token": csrf_token(hr, page)})
    keys = [k for k, w in team.position.weights.items() if w > 0]
    assert _post(manager, page + "/rate", _ratings(keys, 4), page).status_code == 303
    refused = _post(hr, page + "/unassign?lang=it", {"interviewer_id": str(team.manager.id)},
                    page)
    assert refused.status_code == 409
    assert ('id="form-error"><p>Questa persona ha già inviato una valutazione: resta agli '
            "atti.</p>") in refused.text
    not_on_panel = _post(hr, page + "/rate?lang=it", _ratings(keys, 3), page)
    assert not_on_panel.status_code == 409
    assert "Non fai parte della commissione del colloquio per questa candidatura" in (
        not_on_panel.text)
