"""What the validator reports: one problem names the file, the item (if any) and the rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule broken in one questionnaire file."""

    file: str
    item: str | None
    rule: str
    message: str
    #: A rule of delivery broken by a version published before the rule existed (the v1
    #: bank): reported, but the version stays served unchanged (published files never change).
    legacy: bool = False

    def __str__(self) -> str:
        where = f"{self.file}: item {self.item}" if self.item else self.file
        return f"{where}: {self.rule}: {self.message}"


class InvalidQuestionnaireError(ValueError):
    """Raised when a questionnaire file, or the bank, breaks one or more rules."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the questionnaire bank:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))
