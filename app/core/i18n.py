"""Italian and English: gettext catalogs (``app/locale/<lang>/LC_MESSAGES/messages.po``).

The ``.po`` files are the source of truth and are compiled in memory at start-up with Babel,
so no binary ``.mo`` file lives in the repository. English is the source language.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("it", "en")
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}
#: A language as a word in a sentence, in the reader's language ("Inglese" on an Italian
#: page): the English msgids, translated where they are shown.
LANGUAGE_WORDS = {"en": "English", "it": "Italian"}
LOCALE_DIR = Path(__file__).parent.parent / "locale"


@lru_cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog for ``language`` (English and unknown languages pass through)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def gettext_for(language: str) -> Callable[..., str]:
    """A ``_(message, **params)`` function for templates and pages in ``language``."""
    catalog = translations(language)

    def _(message: str, **params: object) -> str:
        text = catalog.gettext(message)
        return text % params if params else text

    return _


def pick_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first supported language among explicit choices, then the browser's, else English."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "en"
