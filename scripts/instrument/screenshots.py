"""Screenshots of the candidate pages of bank v2 (docs/screenshots/instrument/).

Usage: ``.venv/bin/python -m scripts.instrument.screenshots [OUT_DIR]``

Builds a throw-away SQLite database, publishes the bank, starts a v2 position's candidates in
Italian and English, serves the app with uvicorn and photographs with the system Chromium
(``tests/browser_support.py``) on a 390 px phone and a 1280 px desktop: the landing page
with the realistic job preview, a section with practice first, a best/worst question, a
stacked table with a number understood as typed, and an ambiguous number.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "instrument"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def main(out: Path = OUT) -> None:
    """Take the screenshots into ``out``."""
    workdir = tempfile.mkdtemp(prefix="kam-shots-")
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{workdir}/kam.db"
    os.environ.setdefault("KAM_ENV", "development")
    from app.assessments import service as assessment_service
    from app.assessments.schemas import StartRequest
    from app.bank import service as bank_service
    from app.core.db import session_scope
    from app.core.migrations import upgrade
    from app.main import create_app
    from tests import browser_support
    from tests.factories import SCREENING, create_position, create_user, invite_candidate

    upgrade()
    with session_scope() as session:
        bank_service.publish(session)
    tokens: dict[str, dict[str, str]] = {}
    with session_scope() as session:
        user = create_user(session)
        position = create_position(session, actor=user, v2=True, title="Key Account Manager")
        for lang in ("it", "en"):
            tokens[lang] = {}
            _c, tokens[lang]["landing"] = invite_candidate(
                session, position=position, actor=user, language=lang, full_name="Giulia Neri")
            for section in ("business", "analysis"):
                _c, token = invite_candidate(session, position=position, actor=user,
                                             language=lang, full_name="Giulia Neri")
                ctx = assessment_service.resolve(session, token=token)
                assessment_service.start(session, ctx=ctx, ip="127.0.0.1", user_agent="shots",
                                         data=StartRequest(consent=True, language=lang,
                                                           screening=SCREENING))
                if section == "business":  # analysis comes first in the default battery
                    assessment_service.complete_section(session, ctx=ctx, section_key="analysis")
                # Past the section's intro screen: its clock starts as with "Begin".
                assessment_service.begin_section(session, ctx=ctx)
                tokens[lang][section] = token
    out.mkdir(parents=True, exist_ok=True)
    with browser_support.serve(create_app()) as url:
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            for lang in ("it", "en"):
                locale = "it-IT" if lang == "it" else "en-GB"
                with browser_support.chromium(viewport=viewport, locale=locale) as context:
                    page = context.new_page()
                    page.goto(f"{url}/a/{tokens[lang]['landing']}?lang={lang}")
                    page.locator(".rjp").screenshot(path=out / f"rjp-{lang}-{name}.png")
                    page.goto(f"{url}/a/{tokens[lang]['business']}/section?lang={lang}")
                    page.locator(".practice").screenshot(
                        path=out / f"practice-{lang}-{name}.png")
                    item = page.locator("[data-item-type=best_worst]").first
                    item.locator("input[name$='-best']").nth(1).check()
                    item.locator("input[name$='-worst']").nth(2).check()
                    page.wait_for_timeout(600)
                    item.screenshot(path=out / f"best-worst-{lang}-{name}.png")
                    page.goto(f"{url}/a/{tokens[lang]['analysis']}/section?lang={lang}")
                    numeric = page.locator("[data-item-type=numeric]").first
                    numeric.locator("input[data-number]").fill("3.400" if lang == "it"
                                                                else "3,400")
                    numeric.screenshot(path=out / f"number-{lang}-{name}.png")
                    numeric.locator("input[data-number]").fill("3,400" if lang == "it"
                                                                else "3.400")
                    numeric.screenshot(path=out / f"number-ambiguous-{lang}-{name}.png")
                    # A table item other than the number just typed, when there is one.
                    tables = page.locator(".item:has(table)")
                    table = tables.nth(1) if tables.count() > 1 else tables.first
                    table.screenshot(path=out / f"table-{lang}-{name}.png")
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
