"""The privacy notice and consent text (questionnaires/privacy.yaml), filled per organization."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from questionnaires.parsing import read_yaml
from questionnaires.schema import LANGUAGES, LocalizedText, Model

PRIVACY_PATH = Path(__file__).resolve().parent / "privacy.yaml"
PLACEHOLDERS = ("organization", "retention_months", "contact_email")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class NoticeSection(Model):
    """A heading and its text; paragraphs are separated by a blank line."""

    heading: LocalizedText
    body: LocalizedText


class PrivacyNotice(Model):
    """The privacy notice shown before consent, and the consent checkbox label."""

    version: int
    title: LocalizedText
    sections: tuple[NoticeSection, ...]
    consent: LocalizedText

    def texts(self) -> list[LocalizedText]:
        """Return every text of the notice."""
        parts = [self.title, self.consent]
        return parts + [text for s in self.sections for text in (s.heading, s.body)]


def load_privacy_notice(path: str | Path = PRIVACY_PATH) -> PrivacyNotice:
    """Load the privacy notice."""
    return PrivacyNotice.model_validate(read_yaml(Path(path)))


def render_privacy_notice(
    notice: PrivacyNotice,
    language: str,
    *,
    organization: str,
    retention_months: int,
    contact_email: str,
) -> dict[str, Any]:
    """Return the notice in ``language`` with the organization's details filled in."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
    values = {
        "organization": organization,
        "retention_months": str(retention_months),
        "contact_email": contact_email,
    }

    def fill(text: LocalizedText) -> str:
        # One pass, not str.format: the values may themselves contain braces.
        return _PLACEHOLDER.sub(lambda match: values[match[1]], text.pick(language))

    return {
        "version": notice.version,
        "title": fill(notice.title),
        "sections": [
            {"heading": fill(s.heading), "paragraphs": fill(s.body).split("\n\n")}
            for s in notice.sections
        ],
        "consent": fill(notice.consent),
    }
