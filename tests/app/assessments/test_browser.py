"""A candidate takes a short assessment in headless Chromium, with the keyboard only.

The app runs in uvicorn on a free port against its own committed database, so the server sees
exactly what a real deployment would; static/assessment.js does the saving.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)

WIDTH = 360


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """A migrated database with the bank, one invited candidate, and the app serving it."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.factories import create_position, create_user, invite_candidate

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    with session_scope() as session:
        user = create_user(session)
        position = create_position(session, actor=user, questionnaires=["stress-resistance"])
        candidate, token = invite_candidate(
            session, position=position, actor=user, language="en", full_name="Ada Keyboard"
        )
        candidate_id = candidate.id
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "token": token, "candidate_id": candidate_id}


def _focused(page, selector: str) -> bool:
    return page.evaluate(
        "s => document.activeElement && document.activeElement.matches(s)", selector
    )


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        if _focused(page, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _choose(page, item_id: str, steps: int) -> None:
    """Tab into a radio group, then pick with the keyboard: Space for the first, arrows after."""
    _tab_to(page, f'input[name="item-{item_id}"]')
    if steps == 0:
        page.keyboard.press("Space")
    for _ in range(steps):
        page.keyboard.press("ArrowRight")


def _item_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-item-id]", "els => els.map(e => e.dataset.itemId)")


def _checked(page, item_id: str) -> str | None:
    return page.evaluate(
        'id => { const c = document.querySelector(`input[name="item-${id}"]:checked`);'
        " return c ? c.value : null; }",
        item_id,
    )


def _wait_saved(page, item_ids: list[str]) -> None:
    page.wait_for_function(
        "ids => ids.every(id => document.getElementById('status-' + id).textContent"
        ".includes('Saved'))",
        arg=item_ids,
        timeout=10_000,
    )


def _shorten_active_section(candidate_id: int, seconds: int) -> None:
    from app.assessments.models import Attempt, AttemptSection
    from app.core.clock import utcnow
    from app.core.db import session_scope

    with session_scope() as session:
        attempt = session.exec(select(Attempt).where(Attempt.candidate_id == candidate_id)).one()
        section = session.exec(
            select(AttemptSection).where(
                AttemptSection.attempt_id == attempt.id, AttemptSection.status == "active"
            )
        ).one()
        section.deadline_at = utcnow() + timedelta(seconds=seconds)
        session.add(section)


def test_keyboard_only_candidate_from_invitation_to_thank_you(live, tmp_path: Path):
    given: dict[str, object] = {}
    errors: list[str] = []
    with browser_support.chromium(
        viewport={"width": WIDTH, "height": 800}, locale="en-GB"
    ) as context:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.dismiss())  # no surprise confirmations
        page.goto(f"{live['url']}/a/{live['token']}")
        assert "Ada Keyboard" in page.content()

        # Consent and screening, keyboard only.
        _tab_to(page, "#f-consent")
        page.keyboard.press("Space")
        _tab_to(page, "#f-education")
        for _ in range(4):  # none, secondary, bachelor, master
            page.keyboard.press("ArrowDown")
        _tab_to(page, "#f-lang_1")
        page.keyboard.press("ArrowDown")  # English
        _tab_to(page, "#f-cefr_1")
        for _ in range(4):  # A1 A2 B1 B2
            page.keyboard.press("ArrowDown")
        _tab_to(page, "#f-years_sales")
        page.keyboard.type("2,5")
        _tab_to(page, "#f-years_key_accounts")
        page.keyboard.type("1")
        _tab_to(page, "#f-client_base_size")
        page.keyboard.type("12")
        assert page.input_value("#f-education") == "master"
        assert page.input_value("#f-cefr_1") == "B2"
        _tab_to(page, ".start-card button")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/section$"))

        # The section's intro: its clock starts on "Begin" (keyboard too).
        page.wait_for_selector("#section-intro")
        assert page.locator("[data-item-id]").count() == 0
        _tab_to(page, "#begin")
        page.keyboard.press("Enter")
        page.wait_for_selector("#assessment-form")

        # Section 1 (Likert) on a phone-sized screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        shot = tmp_path / "section-360.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0
        likert = _item_ids(page)
        assert len(likert) == 14
        first_half = likert[:8]
        for number, item_id in enumerate(first_half):
            steps = number % 5
            _choose(page, item_id, steps)
            given[item_id] = steps + 1
        _wait_saved(page, first_half)
        remaining_before = int(page.get_attribute("#timer", "data-remaining"))
        page.wait_for_timeout(1100)
        page.reload()
        for item_id in first_half:
            assert _checked(page, item_id) == str(given[item_id]), item_id
        remaining_after = int(page.get_attribute("#timer", "data-remaining"))
        assert 0 < remaining_after < remaining_before
        shown = page.inner_text("#timer-text")
        minutes, seconds = re.match(r"(\d+):(\d\d) left", shown).groups()
        assert int(minutes) * 60 + int(seconds) <= remaining_after
        for number, item_id in enumerate(likert[8:]):
            steps = (number + 2) % 5
            _choose(page, item_id, steps)
            given[item_id] = steps + 1
        _wait_saved(page, likert[8:])
        assert page.get_attribute("#progress-bar", "value") == "14"
        _tab_to(page, "button[value=complete]")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Situations under pressure")
        page.wait_for_selector("#section-intro")
        _tab_to(page, "#begin")
        page.keyboard.press("Enter")
        page.wait_for_selector("#assessment-form")

        # Section 2 (situations): one answer saved, one given while the server is unreachable.
        scenarios = _item_ids(page)
        _choose(page, scenarios[0], 1)
        given[scenarios[0]] = _checked(page, scenarios[0])
        _wait_saved(page, scenarios[:1])
        page.route("**/api/v1/assessments/**", lambda route: route.abort())
        _choose(page, scenarios[1], 2)
        given[scenarios[1]] = _checked(page, scenarios[1])
        page.wait_for_function(
            "id => document.getElementById('status-' + id).textContent.includes('Not saved')",
            arg=scenarios[1],
        )
        assert "Connection lost" in page.inner_text("#offline-banner")
        assert scenarios[1] not in _stored(live["candidate_id"])  # and the page says so
        page.unroute("**/api/v1/assessments/**")
        # Its time is nearly up; a reload re-sends the answer kept on the device.
        _shorten_active_section(live["candidate_id"], seconds=6)
        page.reload()
        assert _checked(page, scenarios[1]) == given[scenarios[1]]
        _wait_saved(page, scenarios[1:2])
        assert page.inner_text("#offline-banner") == ""
        _choose(page, scenarios[2], 0)
        given[scenarios[2]] = _checked(page, scenarios[2])
        _wait_saved(page, [scenarios[2]])
        # The countdown reaches zero, the page flushes and reloads: every section is over.
        page.wait_for_selector("text=Submit your answers", timeout=15_000)
        _tab_to(page, "#submit-form button")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/done$"))
        assert "Thank you, Ada Keyboard!" in page.content()
        assert "score" not in page.content().lower()
        page.screenshot(path=str(tmp_path / "done-360.png"))

    assert errors == []
    _assert_stored(live["candidate_id"], given)


def _stored(candidate_id: int) -> dict[str, object]:
    from app.assessments.models import Answer, Attempt
    from app.core.db import session_scope

    with session_scope(read_only=True) as session:
        attempt = session.exec(select(Attempt).where(Attempt.candidate_id == candidate_id)).one()
        answers = session.exec(select(Answer).where(Answer.attempt_id == attempt.id))
        return {answer.item_id: answer.value["v"] for answer in answers}


def _assert_stored(candidate_id: int, given: dict[str, object]) -> None:
    from app.assessments.models import Answer, Attempt
    from app.core.db import session_scope

    with session_scope(read_only=True) as session:
        attempt = session.exec(select(Attempt).where(Attempt.candidate_id == candidate_id)).one()
        answers = list(session.exec(select(Answer).where(Answer.attempt_id == attempt.id)))
        assert attempt.status == "completed"
        assert attempt.screening["years_sales"] == 2.5
        assert attempt.screening["languages"] == [{"language": "en", "cefr_self": "B2"}]
        assert {answer.item_id: answer.value["v"] for answer in answers} == given
        assert all(answer.elapsed_ms is not None for answer in answers)
        assert attempt.integrity["focus_losses"] == 0  # reloads and page changes are not losses
