"""Every string a person reads exists in Italian."""

from pathlib import Path

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
