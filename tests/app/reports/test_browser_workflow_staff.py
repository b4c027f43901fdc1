"""HR's everyday work in a real browser, on a phone and a desktop: a link copied again from
the pipeline, the candidate's invitation card, the bulk-invite preview, the dashboard's
attention lists and the staff page; the language switch keeps filters and typed text.

Set ``KAM_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.app.reports.scenario import complete, make_team
    from tests.factories import invite_candidate

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    with session_scope() as session:
        team = make_team(session, title="Key Account Manager – Nord")
        complete(session, position=team.position, actor=team.hr, full_name="Giulia Bianchi")
        candidate, _token = invite_candidate(session, position=team.position, actor=team.hr,
                                             full_name="Marco Rossi", language="it")
        users = {"hr": team.hr.email, "admin": team.admin.email}
        ids = {"position": team.position.id, "invited": candidate.id}
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "users": users, "ids": ids}


def _keep(shot: Path) -> None:
    if target := os.environ.get("KAM_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)


def _sign_in(page, live: dict, who: str) -> None:  # type: ignore[no-untyped-def]
    browser_support.sign_in(page, live["url"], live["users"][who])


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_hr_on_a_phone_copies_a_link_again_and_invites_several(live, tmp_path: Path):
    errors: list[str] = []
    with browser_support.chromium(viewport=PHONE, locale="it-IT") as context:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        _sign_in(page, live, "hr")
        page.goto(f"{live['url']}/?lang=it")
        assert page.locator("#awaiting-decision").is_visible()
        assert "Giulia Bianchi" in page.inner_text("#awaiting-decision")
        assert _fits(page)
        shot = tmp_path / "dashboard-it-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        page.goto(f"{live['url']}/candidates/{live['ids']['invited']}")
        assert page.locator("#invitation").is_visible()
        shot = tmp_path / "candidate-invitation-it-phone.png"
        page.locator("#invitation").screenshot(path=str(shot))
        _keep(shot)
        page.click("#invitation button:has-text('Copia di nuovo il link')")
        page.wait_for_selector("#invite-link")
        assert "/a/" in page.input_value("#invite-link")
        assert _fits(page)
        shot = tmp_path / "new-link-it-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        page.goto(f"{live['url']}/positions/{live['ids']['position']}/invite-many")
        page.fill("#bulk-text", "Anna Verdi\tanna.verdi@example.com\tit\t0\n"
                                "Senza Posta\tnon-una-mail\tit\t0\n")
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#bulk-preview")
        assert "non è un indirizzo e-mail" in page.inner_text("#bulk-preview")
        shot = tmp_path / "bulk-preview-it-phone.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        page.click("#bulk-send")
        page.wait_for_selector("#bulk-sent")
        assert "Inviti inviati: 1" in page.inner_text("#bulk-sent")
    assert errors == []


def test_admin_on_a_desktop_keeps_filters_and_typed_text_across_languages(live, tmp_path: Path):
    with browser_support.chromium(viewport=DESKTOP, locale="en-GB") as context:
        page = context.new_page()
        _sign_in(page, live, "admin")
        page.goto(f"{live['url']}/positions/{live['ids']['position']}?status=completed&lang=en")
        page.fill("#full_name", "Nina Nuova")
        page.fill("#cand-email", "nina@example.com")
        page.click("a[hreflang=it]")
        page.wait_for_load_state("networkidle")
        assert "status=completed" in page.url and "lang=it" in page.url
        assert page.input_value("#f-status") == "completed"  # the filter is kept
        assert page.input_value("#full_name") == "Nina Nuova"  # and what was typed
        assert page.input_value("#cand-email") == "nina@example.com"
        shot = tmp_path / "pipeline-actions-it-desktop.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot)
        page.click("form[action$='/candidates'] button[type=submit]")
        page.wait_for_selector("#invite-link")
        page.goto(f"{live['url']}/admin/staff?lang=en")
        assert page.locator("#staff-table").is_visible()
        shot = tmp_path / "staff-en-desktop.png"
        page.screenshot(path=str(shot), full_page=True)
        _keep(shot)
        page.goto(f"{live['url']}/admin/audit?lang=en")
        assert "invited Nina Nuova to Key Account Manager – Nord" in page.inner_text(
            ".audit-table")
        shot = tmp_path / "audit-en-desktop.png"
        page.screenshot(path=str(shot), full_page=False)
        _keep(shot)
