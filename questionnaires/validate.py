"""Validate questionnaire files: ``python -m questionnaires.validate [PATH ...]``.

The CLI (``kam questionnaires validate [PATH]``) calls ``validate_paths`` and ``format_report``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from questionnaires.loader import BANK_DIR, collect, questionnaire_files
from questionnaires.problems import Problem
from questionnaires.rules import RULES

__all__ = ["RULES", "Problem", "format_report", "main", "validate_paths"]


def validate_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Return every problem of the questionnaire files under ``paths`` (files or directories)."""
    _, problems = collect(paths)
    return problems


def format_report(problems: Sequence[Problem], *, files: int | None = None) -> str:
    """Return one line per problem and a summary line."""
    checked = f" in {files} file{'s' if files != 1 else ''}" if files is not None else ""
    if not problems:
        return f"no problems{checked}"
    count = len(problems)
    lines = [str(problem) for problem in problems]
    with_problems = len({problem.file for problem in problems})
    lines.append(
        f"{count} problem{'s' if count != 1 else ''}{checked} "
        f"({with_problems} file{'s' if with_problems != 1 else ''} with problems)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the given paths (default: the bank), print the report, return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    paths = [Path(arg) for arg in args] or [BANK_DIR]
    problems = validate_paths(paths)
    print(format_report(problems, files=len(questionnaire_files(paths))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
