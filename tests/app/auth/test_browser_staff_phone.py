"""The staff page on a 390 px phone in headless Chromium: each colleague is a card, so the role
selector and the Deactivate button are on screen without scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from app.organizations.models import Organization
    from tests.factories import create_user

    upgrade()
    with session_scope() as session:
        admin = create_user(session, role="admin")
        organization = session.get(Organization, admin.organization_id)
        hr = create_user(session, organization=organization, role="hr")
        data = {"admin": admin.email, "hr_id": hr.id}
    with browser_support.serve(create_app()) as base_url:
        yield {**data, "url": base_url}


def test_on_a_phone_every_colleague_is_a_card_with_its_buttons_in_view(live: dict) -> None:

    url = live["url"]
    with browser_support.chromium(viewport={"width": 390, "height": 844}) as context:
        page = context.new_page()
        browser_support.sign_in(page, url, live["admin"])
        page.goto(f"{url}/admin/staff?lang=it")

        row = page.locator(f"#user-{live['hr_id']}")
        for control in (row.locator("select[name=role]"), row.get_by_role("button", name="Cambia"),
                        row.locator("form[action$='/active'] button")):
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        labels = row.locator("td[data-label]").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)")
        assert labels == ['"Ruolo"', '"Può accedere"', '"Ultimo accesso"']  # each value's name
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
