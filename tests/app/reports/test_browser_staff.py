"""A hiring manager signs in, reads the pipeline and a report, and compares three candidates,
in headless Chromium against uvicorn serving a committed database (no CSP violation allowed).

Set ``KAM_SCREENSHOT_DIR`` to keep the screenshots (they go to pytest's tmp_path otherwise).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)

NAMES = ("Alessia Ferri", "Bruno Conti", "Carla Neri", "Dario Villa")


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """Four completed candidates (three competencies, norms imported) and the app serving them."""
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.app.reports.scenario import complete, import_norms, make_team, synthetic_norms

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    keys = ["commercial-knowledge", "english", "analysis"]
    with session_scope() as session:
        team = make_team(
            session,
            questionnaires=keys,
            title="KAM Nord-Est",
            knockouts={"min_years_key_accounts": 5},
        )
        for index, (name, ability) in enumerate(zip(NAMES, (0.85, 0.6, 0.55, 0.3), strict=True)):
            complete(
                session,
                position=team.position,
                actor=team.hr,
                ability=ability,
                seed=index,
                full_name=name,
                integrity={"paste_attempts": 4} if index == 2 else None,
            )
        import_norms(
            session,
            organization_id=team.admin.organization_id,
            tables=synthetic_norms(session, keys=keys),
        )
        email, position_id = team.manager.email, team.position.id
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "email": email, "position_id": position_id}


def _keep(shot: Path) -> None:
    if target := os.environ.get("KAM_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(target) / shot.name)


def test_manager_reads_the_pipeline_a_report_and_compares_three(live, tmp_path: Path):

    console: list[str] = []
    errors: list[str] = []
    with browser_support.chromium(
        viewport={"width": 1280, "height": 900}, locale="en-GB"
    ) as context:
        page = context.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: errors.append(str(error)))
        browser_support.sign_in(page, live["url"], live["email"])

        page.click("text=KAM Nord-Est")
        page.wait_for_url(re.compile(rf"/positions/{live['position_id']}$"))
        table = page.inner_text("table.pipeline")
        assert all(name in table for name in NAMES)
        assert "✗ missed" in table and "⚠ 1" in table  # a missed requirement, and a flag
        assert "Rank:" in page.inner_text("#ranking-note")
        assert "1–4 of 4" in page.inner_text(".paging")
        page.screenshot(path=str(tmp_path / "pipeline.png"), full_page=True)

        page.click(f"text={NAMES[0]}")
        page.wait_for_selector("#fit-score")
        assert page.locator("svg.kam-chart-radar").count() == 1
        assert page.locator("svg.kam-chart-bars").count() == 1
        assert "Flags inform a person" in page.inner_text("#flags-title + p")
        # The plain-words summary is the first screen: above the fold on a desktop.
        summary = page.locator("#summary").bounding_box()
        assert summary is not None and summary["y"] < 900
        assert "of the norm group" in page.inner_text("#summary-fit")
        report = tmp_path / "report.png"
        page.screenshot(path=str(report), full_page=True)

        page.go_back()
        page.wait_for_selector("table.pipeline")
        for name in NAMES[:3]:
            page.get_by_label(f"Select {name}").check()
        page.click("text=Compare selected")
        page.wait_for_url(re.compile(r"/compare\?"))
        assert page.locator("svg.kam-chart-radar").count() == 1
        header = page.inner_text("table.compare-summary thead")
        assert all(name in header for name in NAMES[:3]) and NAMES[3] not in header
        compared = tmp_path / "compare.png"
        page.screenshot(path=str(compared), full_page=True)

        # One candidate only: a clear message and a way back, not a stack trace.
        page.goto(f"{live['url']}/positions/{live['position_id']}/compare?ids=1")
        assert "Choose 2 to 5 candidates" in page.inner_text("#compare-problem")

    for shot in (tmp_path / "pipeline.png", report, compared):
        assert shot.stat().st_size > 10_000
        _keep(shot)
    assert errors == []
    assert not [line for line in console if "Content Security Policy" in line], console
