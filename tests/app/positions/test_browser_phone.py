"""The position pages on a 390 px phone in headless Chromium: the page itself never scrolls
sideways; a table wider than the screen scrolls inside its box and says so above it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)

PAGE_WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """A position with a scored pipeline of a few candidates, and the app serving it."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.app.reports.scenario import bulk_scored, make_team

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    with session_scope() as session:
        team = make_team(session, title="KAM Centro")
        bulk_scored(session, position=team.position, n=6)
        data = {"hr": team.hr.email, "position_id": team.position.id}
    with browser_support.serve(create_app()) as base_url:
        yield {**data, "url": base_url}


def test_on_a_phone_wide_tables_scroll_in_their_box_with_a_cue(live: dict) -> None:
    url = live["url"]
    with browser_support.chromium(viewport={"width": 390, "height": 844}) as context:
        page = context.new_page()
        browser_support.sign_in(page, url, live["hr"])

        page.goto(f"{url}/positions?lang=it")  # one card per position, status in view
        status = page.locator("#positions-table .status").first
        box = status.bounding_box()
        assert status.is_visible() and box["x"] + box["width"] <= 390
        assert page.locator(".scroll-hint").count() == 0

        page.goto(f"{url}/positions/new?lang=it")
        assert page.evaluate(PAGE_WIDTH) <= 390  # the weights fieldset no longer widens it
        weights = page.locator("#weights-total")
        assert weights.bounding_box()["x"] + weights.bounding_box()["width"] <= 390

        page.goto(f"{url}/positions/{live['position_id']}?lang=it")
        assert page.evaluate(PAGE_WIDTH) <= 390  # hidden cell labels stay inside the box
        cue = page.locator(".scroll-hint").first
        assert cue.inner_text() == ("La tabella è più larga dello schermo: scorrila di lato "
                                    "per vedere tutte le colonne →")
        wrap = page.locator(".table-wrap.scrolls").first
        assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
        # the funnel's steps sit two by two, without arrows left alone on a line
        assert page.locator(".funnel-steps li[aria-hidden=true]").first.is_hidden()
        tops = page.locator(".funnel-steps li:not([aria-hidden])").evaluate_all(
            "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
        assert tops[0] == tops[1] and tops[2] == tops[3] and tops[2] > tops[0]

        page.goto(f"{url}/positions/new?lang=it")
        assert page.locator(".scroll-hint").count() == 1  # the weights table on a phone
        page.set_viewport_size({"width": 1280, "height": 900})  # it fits on a desktop
        page.wait_for_function("() => !document.querySelector('.scroll-hint')")
