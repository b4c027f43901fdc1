"""A position form with a mistake, in headless Chromium against uvicorn: the answer is a page
reached by GET, so reloading it asks nothing and keeps the values and the Italian error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """An HR user and the app serving a committed database."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.factories import create_user

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
        email = create_user(session, role="hr").email
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "email": email}


def test_weights_adding_to_110_percent_reload_without_resubmitting(live):

    dialogs: list[str] = []
    with browser_support.chromium(locale="it-IT") as context:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        browser_support.sign_in(page, live["url"], live["email"])

        page.goto(f"{live['url']}/positions/new?lang=it")
        page.fill("#title", "KAM Lombardia")
        first = page.locator("input[name^='weight_']").first
        weight = float(first.input_value().replace(",", ".")) + 0.1
        typed = f"{weight:.2f}".rstrip("0").replace(".", ",")
        first.fill(typed)
        with page.expect_navigation() as navigation:
            page.click("form[action='/positions/new'] button[type=submit]")
        answer = navigation.value
        assert answer is not None and answer.request.method == "GET"
        assert answer.request.redirected_from is not None
        assert answer.request.redirected_from.method == "POST"
        assert re.search(r"/positions/new\?draft=", page.url)
        summary = page.inner_text(".error-summary")
        assert "I pesi devono sommare a 1 (100 %)" in summary and "110 %" in summary

        reloaded = page.reload()
        assert reloaded is not None and reloaded.request.method == "GET"
        assert reloaded.request.redirected_from is None
        assert dialogs == []  # no "Confirm form resubmission"
        assert "I pesi devono sommare a 1 (100 %)" in page.inner_text(".error-summary")
        assert page.input_value("#title") == "KAM Lombardia"
        kept = page.locator("input[name^='weight_']").first.input_value()
        assert abs(float(kept.replace(",", ".")) - weight) < 1e-9
