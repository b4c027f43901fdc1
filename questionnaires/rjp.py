"""The realistic job preview (questionnaires/rjp.yaml), shown before the screening form.

Key-account work is paid mostly on commission (typically 5–15 % of each deal) and income
varies from month to month; people who learn that before they apply select themselves in or
out, and those who stay are less likely to leave early (Premack & Wanous, 1985, *Journal of
Applied Psychology* 70(4), 706–719; Earnest, Allen & Landis, 2011, *Personnel Psychology*
64(4), 865–897). The screening form then asks how much variable pay the candidate accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from questionnaires.parsing import read_yaml
from questionnaires.schema import LANGUAGES, LocalizedText, Model

RJP_PATH = Path(__file__).resolve().parent / "rjp.yaml"


class JobPreview(Model):
    """The preview's title, its paragraphs and the label of the button that goes on."""

    version: int
    title: LocalizedText
    body: LocalizedText
    # "continue" is a Python keyword, hence the alias.
    continue_label: LocalizedText

    @classmethod
    def load(cls, path: str | Path = RJP_PATH) -> JobPreview:
        """Read the preview from its YAML file."""
        data = read_yaml(Path(path))
        data["continue_label"] = data.pop("continue")
        return cls.model_validate(data)

    def texts(self) -> list[LocalizedText]:
        """Every text of the preview."""
        return [self.title, self.body, self.continue_label]

    def render(self, language: str) -> dict[str, Any]:
        """The preview in ``language``: title, paragraphs, button label."""
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
        return {
            "version": self.version,
            "title": self.title.pick(language),
            "paragraphs": self.body.pick(language).split("\n\n"),
            "continue": self.continue_label.pick(language),
        }
