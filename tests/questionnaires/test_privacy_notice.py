"""The privacy notice and consent text."""

from __future__ import annotations

import re

import pytest

from questionnaires.privacy import PLACEHOLDERS, load_privacy_notice, render_privacy_notice
from questionnaires.schema import LANGUAGES

DETAILS = {
    "organization": "Rossi {Trasporti} Srl",
    "retention_months": 12,
    "contact_email": "dpo@rossi.example",
}


def test_every_text_in_both_languages() -> None:
    for text in load_privacy_notice().texts():
        assert all((text.get(language) or "").strip() for language in LANGUAGES), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_used_in_each_language(language: str) -> None:
    notice = load_privacy_notice()
    body = " ".join(text.get(language) or "" for text in notice.texts())
    assert set(re.findall(r"\{(\w+)\}", body)) == set(PLACEHOLDERS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_render_fills_the_details(language: str) -> None:
    view = render_privacy_notice(load_privacy_notice(), language, **DETAILS)  # type: ignore[arg-type]
    text = " ".join(p for s in view["sections"] for p in s["paragraphs"])
    assert "Rossi {Trasporti} Srl" in text
    assert "12" in text and "dpo@rossi.example" in text
    assert not re.search(r"\{(" + "|".join(PLACEHOLDERS) + r")\}", text)
    assert "22" in text  # GDPR Art. 22: no decision by automated means alone
    assert "Key Account Manager" in text
    assert view["consent"]
    assert view["version"] == 1
    assert all(s["heading"] and all(p.strip() for p in s["paragraphs"]) for s in view["sections"])


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        render_privacy_notice(load_privacy_notice(), "fr", **DETAILS)  # type: ignore[arg-type]
