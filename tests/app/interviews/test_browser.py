"""A candidate goes from invitation to interview to decision in the staff pages, in headless
Chromium against uvicorn: HR invites and puts a panel together, the manager and HR rate
independently (neither sees the other's rating first), the calibration shows where they
differ, and the manager records the hire.

The candidate's own part (taking the assessment through the invitation link) runs through
the same services the candidate pages use, to keep the test short; the assessment pages have
their own browser test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """A position with HR and an assigned manager, and the app serving them."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.app.reports.scenario import make_team

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    with session_scope() as session:
        team = make_team(session, title="KAM Centro")
        data = {"hr": team.hr.email, "manager": team.manager.email,
                "hr_name": team.hr.full_name,
                "manager_name": team.manager.full_name, "position_id": team.position.id}
    with browser_support.serve(create_app()) as base_url:
        yield {**data, "url": base_url}


def _take_assessment(link: str) -> int:
    """The candidate opens the link and completes the assessment (through the services)."""
    from app.assessments import service as assessment_service
    from app.assessments.battery import Battery
    from app.assessments.models import Answer
    from app.assessments.schemas import StartRequest
    from app.core.db import session_scope
    from app.scores import service as score_service
    from tests.app.reports.scenario import generated_answers
    from tests.factories import SCREENING

    token = link.rsplit("/a/", 1)[1]
    with session_scope() as session:
        ctx = assessment_service.resolve(session, token=token)
        assessment_service.start(session, ctx=ctx, ip="127.0.0.1", user_agent="browser test",
                                 data=StartRequest(consent=True, language="en",
                                                   screening=SCREENING))
        attempt = ctx.attempt
        battery = Battery.load(session, attempt.questionnaire_versions)
        session.add_all(Answer(attempt_id=attempt.id, item_id=item_id, value={"v": value},
                               elapsed_ms=6000)
                        for item_id, value in generated_answers(battery, ability=0.8,
                                                                seed=3).items())
        session.flush()
        assert assessment_service.submit(session, ctx=ctx)
        score_service.score_submitted(session, attempt=attempt)
        return ctx.candidate.id


def _rate(page, value: int, note: str) -> None:
    for group in page.locator("#rating-form fieldset.rating").all():
        group.locator(f"input[type=radio][value='{value}']").check()
        group.locator("textarea").fill(note)
    page.click("#rating-form button[type=submit]")
    page.wait_for_selector("#ratings")


@contextmanager
def _signed_in(url: str, email: str, errors: list[str], width: int) -> Iterator[object]:
    """A fresh browser (one person at a time: Playwright's sync API runs one at once)."""
    with browser_support.chromium(viewport={"width": width, "height": 900}) as context:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        browser_support.sign_in(page, url, email)
        yield page


def test_a_candidate_goes_from_invitation_to_interview_to_decision(live, tmp_path: Path):
    url, position = live["url"], live["position_id"]
    errors: list[str] = []
    with _signed_in(url, live["hr"], errors, 1280) as hr:
        hr.goto(f"{url}/positions/{position}")
        hr.fill("#full_name", "Nina Nuova")
        hr.fill("#cand-email", "nina@example.com")
        hr.click("form[action$='/candidates'] button[type=submit]")
        link = hr.input_value("#invite-link")
        assert "/a/" in link
        candidate_id = _take_assessment(link)
        hr.goto(f"{url}/positions/{position}")
        assert "assessment: 1" in re.sub(r"\s+", " ", hr.inner_text(".stage-counts"))
        hr.click("text=Nina Nuova")
        hr.click("#interview-link")
        hr.wait_for_url(re.compile(rf"/candidates/{candidate_id}/interview$"))
        hr.get_by_label(re.compile(live["manager_name"])).check()
        hr.get_by_label(re.compile(live["hr_name"])).check()
        hr.click("form[action$='/interview/assign'] button[type=submit]")
        hr.wait_for_selector("#panel")
        assert "interview" in hr.inner_text("#stage")

    with _signed_in(url, live["manager"], errors, 390) as manager:
        manager.goto(f"{url}/positions/{position}?stage=interview")
        manager.click("text=Nina Nuova")
        manager.click("#interview-link")
        manager.click("text=Interview kit")
        assert manager.locator(".kit-question").count() >= 4
        assert manager.locator("table.anchors").count() >= 4
        manager.go_back()
        _rate(manager, 4, "Gave a worked example with margins.")
        assert "calibration appears" in manager.inner_text("#ratings")
        # their own ratings with the evidence notes fit the phone (the table scrolls in its box)
        assert manager.locator("#own-ratings").count() == 1
        assert manager.evaluate("document.documentElement.scrollWidth") <= 390
        manager.screenshot(path=str(tmp_path / "manager-rated.png"), full_page=True)

    with _signed_in(url, live["hr"], errors, 1280) as hr:
        hr.goto(f"{url}/candidates/{candidate_id}/interview")
        assert hr.locator("#ratings-hidden").count() == 1  # HR has not rated: hidden
        assert "worked example" not in hr.content()
        _rate(hr, 2, "Vague, no figures.")
        assert hr.locator("#calibration-list").count() == 1
        assert "worked example" in hr.content()
        hr.screenshot(path=str(tmp_path / "hr-calibration.png"), full_page=True)

    with _signed_in(url, live["manager"], errors, 390) as manager:
        manager.goto(f"{url}/candidates/{candidate_id}")
        assert "Overall score" in manager.inner_text("#interview-overall")
        manager.check("#d-hire")
        manager.fill("#d-note", "Strong interview on commercial knowledge.")
        manager.click(".decision-form button[type=submit]")
        manager.click("text=Confirm and record")
        manager.wait_for_url(re.compile(rf"/candidates/{candidate_id}#decisions"))
        assert "Strong interview" in manager.inner_text("#decisions")
        assert "interview 3.00 / 5" in manager.inner_text("#decisions")  # what it was based on
        manager.goto(f"{url}/candidates/{candidate_id}/interview")
        assert "decision" in manager.inner_text("#stage")
        manager.screenshot(path=str(tmp_path / "manager-decided.png"), full_page=True)
    assert errors == []
    for shot in ("manager-rated.png", "hr-calibration.png", "manager-decided.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
