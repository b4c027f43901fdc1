"""Every string a person reads exists in Italian."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

APP_DIR = Path(__file__).resolve().parents[2] / "app"
METHOD_MAP = [("templates/**.html", "jinja2"), ("**.py", "python")]


def _extracted() -> set[str]:
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(APP_DIR), METHOD_MAP, options_map={"templates/**.html": {}}
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def test_every_template_string_has_an_italian_translation():
    with (APP_DIR / "locale/it/LC_MESSAGES/messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_extracted() - translated)
    assert missing == [], f"add these to app/locale/it/LC_MESSAGES/messages.po: {missing}"


def test_italian_catalog_is_used():
    from app.core.i18n import gettext_for

    assert gettext_for("it")("Sign in") == "Accedi"
    assert gettext_for("en")("Sign in") == "Sign in"


@pytest.mark.parametrize("msgid", [
    "Your answers up to the end are saved: %(answered)s of %(total)s questions answered. "
    "You cannot go back to that section.",
    "Section %(section)s left with %(answered)s of %(total)s items answered (%(reason)s); "
    "its score will be incomplete.",
    "Time ran out in section %(section)s with %(answered)s of %(total)s items answered while "
    "the candidate was still answering; its score will be incomplete.",
])
def test_italian_counts_of_answers_read_right_for_one_answer_too(msgid):
    from app.core.i18n import gettext_for

    italian = gettext_for("it")(msgid, answered=1, total=6, section="Analisi", reason="x")
    assert italian != msgid and "1 su 6" in italian and "1 domande" not in italian
