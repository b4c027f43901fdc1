"""The calm between sections in a real browser: the intro, Begin, the on-page calculator, the
focus-loss threshold, the visible one-minute warning and the time's-up screen, on a 390 px
phone and a desktop, in Italian and English.

Set ``KAM_SCREENSHOT_DIR`` to keep the screenshots (docs/screenshots/workflow/ holds them).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests import browser_support

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """A v2 position (analysis first: numeric questions) with one invited candidate per
    language, the English one with 25 % extra time."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.factories import create_position, create_user, invite_candidate

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    tokens, ids = {}, {}
    with session_scope() as session:
        user = create_user(session)
        position = create_position(
            session, actor=user, v2=True, language_hurdle=None,
            questionnaires=["analysis", "commercial-knowledge"],
        )
        for lang, extra in (("it", 0), ("en", 25)):
            candidate, token = invite_candidate(session, position=position, actor=user,
                                                language=lang, extra_time_pct=extra)
            tokens[lang], ids[lang] = token, candidate.id
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "tokens": tokens, "ids": ids}


def _keep(shot: Path) -> None:
    if target := os.environ.get("KAM_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)


def _start(live: dict, lang: str) -> None:
    """Consent and screening through the service (the landing page has its own tests)."""
    from app.assessments import service as assessment_service
    from app.assessments.schemas import StartRequest
    from app.core.db import session_scope
    from tests.factories import SCREENING

    with session_scope() as session:
        ctx = assessment_service.resolve(session, token=live["tokens"][lang])
        assessment_service.start(session, ctx=ctx, ip="127.0.0.1", user_agent="pytest",
                                 data=StartRequest(consent=True, language=lang,
                                                   screening=SCREENING))


def _section_rows(candidate_id: int):  # type: ignore[no-untyped-def]
    from app.assessments.models import Attempt, AttemptSection
    from app.core.db import session_scope

    with session_scope(read_only=True) as session:
        attempt = session.exec(select(Attempt).where(Attempt.candidate_id == candidate_id)).one()
        rows = session.exec(select(AttemptSection).where(AttemptSection.attempt_id == attempt.id)
                            .order_by(AttemptSection.position)).all()
        return [(r.section_key, r.status, r.started_at, r.deadline_at, r.time_limit_s)
                for r in rows], attempt.integrity


def _leave_little_time(candidate_id: int, seconds: int) -> None:
    """The running section has ``seconds`` left (the clock moved on)."""
    from app.assessments.models import Attempt, AttemptSection
    from app.core.clock import utcnow
    from app.core.db import session_scope

    with session_scope() as session:
        attempt = session.exec(select(Attempt).where(Attempt.candidate_id == candidate_id)).one()
        section = session.exec(select(AttemptSection).where(
            AttemptSection.attempt_id == attempt.id, AttemptSection.status == "active")).one()
        section.deadline_at = utcnow() + timedelta(seconds=seconds)
        session.add(section)


def _no_column_hidden(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_italian_phone_intro_begin_calculator_warning_and_times_up(live, tmp_path: Path):
    _start(live, "it")
    errors: list[str] = []
    with browser_support.chromium(viewport=PHONE, locale="it-IT") as context:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        url = f"{live['url']}/a/{live['tokens']['it']}/section?lang=it"
        page.goto(url)
        # The intro: what, how many, how long, what is allowed; no question and no clock.
        assert page.locator("#section-intro").is_visible()
        assert page.locator("[data-item-id]").count() == 0
        text = page.inner_text("#section-intro")
        assert "Che cosa è consentito" in text and "calcolatrice" in text
        assert _no_column_hidden(page)
        shot = tmp_path / "intro-it-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        rows, _ = _section_rows(live["ids"]["it"])
        assert rows[0][1] == "active"  # open, in its intro
        page.click("#begin")
        page.wait_for_selector("#assessment-form")
        # Back and reload stay on the section (POST → redirect → GET: no resubmission
        # prompt, and the intro's address now shows the running section).
        page.reload()
        assert page.locator("#assessment-form").count() == 1
        page.go_back()
        page.wait_for_load_state("networkidle")
        assert page.locator("#assessment-form").count() == 1
        assert page.locator("#section-intro").count() == 0
        # The calculator: part of the page, Italian decimal comma, no focus loss.
        calculator = page.locator("[data-calculator]")
        assert calculator.is_visible()
        calculator.locator("summary").click()
        page.fill("#calc-input", "2.800 × 12 / 100")
        page.keyboard.press("Enter")
        assert page.inner_text("[data-calculator] output") == "= 336"
        page.fill("#calc-input", "12,5 + 0,25")
        calculator.locator("button[data-calc='=']").click()
        assert page.inner_text("[data-calculator] output") == "= 12,75"
        assert _no_column_hidden(page)
        shot = tmp_path / "calculator-it-phone.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot)
        # A glance away (under 3 s) is not counted; a longer absence is, once.
        page.evaluate("window.dispatchEvent(new Event('blur'))")
        page.evaluate("window.dispatchEvent(new Event('focus'))")
        page.evaluate("window.dispatchEvent(new Event('blur'))")
        page.wait_for_timeout(3300)
        with page.expect_request(lambda r: r.url.endswith("/events"), timeout=20_000):
            page.evaluate("window.dispatchEvent(new Event('focus'))")
        page.wait_for_timeout(500)
        assert _section_rows(live["ids"]["it"])[1]["focus_losses"] == 1
        # One minute left: a visible warning, not only for screen readers.
        assert not page.locator("#minute-warning").is_visible()
        _leave_little_time(live["ids"]["it"], 62)
        page.reload()
        page.wait_for_selector("#minute-warning", state="visible", timeout=10_000)
        shot = tmp_path / "minute-warning-it-phone.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot)
        # Time's up: the page moves on by itself to the next section's intro, which says so.
        _leave_little_time(live["ids"]["it"], 3)
        page.reload()
        page.wait_for_selector("#times-up", timeout=15_000)
        assert "Tempo scaduto" in page.inner_text("#times-up")
        assert page.locator("#section-intro").is_visible()
        shot = tmp_path / "times-up-it-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
    assert errors == []
    rows, integrity = _section_rows(live["ids"]["it"])
    assert [status for _key, status, *_rest in rows] == ["completed", "active"]
    assert integrity["focus_losses"] == 1  # the short glance never counted


def test_english_desktop_intro_shows_the_extra_time(live, tmp_path: Path):
    _start(live, "en")
    with browser_support.chromium(viewport=DESKTOP, locale="en-GB") as context:
        page = context.new_page()
        page.goto(f"{live['url']}/a/{live['tokens']['en']}/section?lang=en")
        text = page.inner_text("#section-intro")
        assert "including your extra time of 25 %" in text
        assert re.search(r"after \d+:\d\d the section starts by itself", text)
        shot = tmp_path / "intro-en-desktop.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        page.click("#begin")
        page.wait_for_selector("#assessment-form")
        rows, _ = _section_rows(live["ids"]["en"])
        _key, _status, started, deadline, limit = rows[0]
        assert (deadline - started).total_seconds() == limit
        calculator = page.locator("[data-calculator]")
        calculator.locator("summary").click()
        page.fill("#calc-input", "3,400 * 1.5")
        page.keyboard.press("Enter")
        assert page.inner_text("[data-calculator] output") == "= 5,100"
        shot = tmp_path / "section-calculator-en-desktop.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot)
