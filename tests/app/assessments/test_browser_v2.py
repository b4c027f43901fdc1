"""Bank v2 in headless Chromium: tables on a 390 px phone, best/worst by keyboard, numbers.

The app runs in uvicorn against its own database (see tests/browser_support.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from tests import browser_support

pytestmark = pytest.mark.browser

if reason := browser_support.skip_reason():
    pytest.skip(reason, allow_module_level=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live(fresh_database: str) -> Iterator[dict]:
    """A v2 position (analysis, commercial knowledge, business sense), one candidate started,
    with the whole analysis and commercial-knowledge pools on the form, so every table of
    the pools is on the page."""
    from app.assessments import service as assessment_service
    from app.assessments.models import Attempt
    from app.assessments.schemas import StartRequest
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests.factories import SCREENING, create_position, create_user, invite_candidate

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    tokens = {}
    with session_scope() as session:
        user = create_user(session)
        position = create_position(
            session, actor=user, v2=True, language_hurdle=None,
            questionnaires=["analysis", "commercial-knowledge", "business-sense"],
        )
        for lang in ("en", "it"):
            _candidate, token = invite_candidate(session, position=position, actor=user,
                                                 language=lang)
            ctx = assessment_service.resolve(session, token=token)
            attempt = assessment_service.start(
                session, ctx=ctx, ip="127.0.0.1", user_agent="pytest",
                data=StartRequest(consent=True, language=lang, screening=SCREENING),
            )
            battery_keys = {"analysis": 2, "commercial-knowledge": 2}
            forms = dict(attempt.forms)
            for key, version in battery_keys.items():
                section = bank_service.get(session, key=key, version=version).sections[0]
                forms[section.key] = [item.id for item in section.items]
            stored = session.exec(select(Attempt).where(Attempt.id == attempt.id)).one()
            stored.forms = forms
            session.add(stored)
            tokens[lang] = token
    with browser_support.serve(create_app()) as base_url:
        yield {"url": base_url, "tokens": tokens}


MEASURE = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  document.querySelectorAll('.stimulus table').forEach((table, index) => {
    const region = table.closest('.table-scroll');
    const scrolls = region.scrollWidth > region.clientWidth + 1;
    const cue = scrolls && getComputedStyle(region).overflowX !== 'hidden';
    table.querySelectorAll('th, td').forEach(cell => {
      const head = cell.closest('thead');  // stacked: the headers move into each cell
      if (head && getComputedStyle(head).position === 'absolute') return;
      const box = cell.getBoundingClientRect();
      if (box.width === 0) return;
      if (box.right > width + 0.5 && !cue) {
        out.push({table: index, text: cell.textContent.trim(), right: box.right, width});
      }
    });
  });
  return {tables: document.querySelectorAll('.stimulus table').length, hidden: out,
          pageScrolls: document.documentElement.scrollWidth > width + 1};
}
"""


def _tables(file: str) -> int:
    """Items (practice included) of a pool that show a data table."""
    from questionnaires.loader import BANK_DIR, load_file

    section = load_file(BANK_DIR / file).questionnaire.sections[0]
    return sum(1 for item in (*section.practice, *section.items)
               if item.stimulus is not None and item.stimulus.rows)


def test_every_item_table_fits_a_390_px_phone(live):
    expected = [_tables("analysis.v2.yaml"), _tables("commercial-knowledge.v2.yaml")]
    for lang, token in live["tokens"].items():
        with browser_support.chromium(viewport=PHONE, locale="it-IT" if lang == "it" else
                                      "en-GB") as context:
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # "finish with blanks?" yes
            seen = []
            for tables in expected:  # analysis, then commercial knowledge: every table
                page.goto(f"{live['url']}/a/{token}/section?lang={lang}")
                browser_support.begin_section(page)
                seen.append(page.get_attribute("#assessment-form", "data-section"))
                result = page.evaluate(MEASURE)
                assert result["tables"] == tables, result
                assert result["hidden"] == [], result  # no column out of view
                assert not result["pageScrolls"], result  # and no sideways page
                page.click("button[data-finish]")
                page.wait_for_load_state("networkidle")
            assert seen == ["analysis", "commercial-knowledge"]


def test_numbers_are_understood_as_typed_and_ambiguous_ones_ask(live):
    from tests.app.test_numbers import EXAMPLES

    with browser_support.chromium(viewport=PHONE, locale="en-GB") as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        for lang in ("en", "it"):
            page.goto(f"{live['url']}/a/{live['tokens'][lang]}/section?lang={lang}")
            browser_support.begin_section(page)
            field = page.locator("[data-item-type=numeric] input[data-number]").first
            out = page.locator("[data-item-type=numeric] .understood").first
            for text, example_lang, value, alternatives in EXAMPLES:
                if example_lang != lang:
                    continue
                field.fill(text)
                shown = out.text_content() or ""
                if alternatives:
                    assert "Which number do you mean?" in shown or "Quale numero" in shown, text
                    assert page.locator("[data-item-type=numeric] button.reading").count() == 2
                elif value is None:
                    assert shown == "", (text, shown)
                else:
                    from app.core.numbers import show_number

                    assert shown.endswith(show_number(value, lang)), (text, shown)
        assert errors == []


def test_best_and_worst_by_keyboard_and_one_option_cannot_be_both(live):
    from app.assessments.models import Answer
    from app.core.db import session_scope

    with browser_support.chromium(viewport=PHONE, locale="en-GB") as context:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{live['url']}/a/{live['tokens']['en']}/section")
        browser_support.begin_section(page)
        for _ in range(2):  # to business sense
            page.click("button[data-finish]")
            page.wait_for_load_state("networkidle")
            browser_support.begin_section(page)
        item = page.locator("[data-item-type=best_worst]").first
        item_id = item.get_attribute("data-item-id")
        first_best = item.locator("input[name$='-best']").first
        first_best.focus()
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")  # the second option becomes the most effective
        worst = item.locator("input[name$='-worst']").nth(1)  # the same option...
        worst.focus()
        page.keyboard.press("Space")
        # ...cannot be both: the best choice yields, the item waits for a new best.
        assert item.locator("input[name$='-best']:checked").count() == 0
        item.locator("input[name$='-best']").nth(3).focus()
        page.keyboard.press("Space")
        page.wait_for_function(
            "id => document.getElementById('status-' + id).textContent.includes('Saved')",
            arg=item_id, timeout=10_000)
        labels = item.locator("input[name$='-best']").nth(3).get_attribute("aria-labelledby")
        assert labels and "text-" in labels  # read out as "Most effective: <the option>"
    with session_scope() as session:
        value = session.exec(select(Answer.value).where(Answer.item_id == item_id)).one()
    assert value["v"]["best"] and value["v"]["worst"] and value["v"]["best"] != value["v"]["worst"]
