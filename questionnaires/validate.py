"""Validate questionnaire files: ``python -m questionnaires.validate [--strict] [PATH ...]``.

The CLI (``kam questionnaires validate [PATH]``) calls ``validate_paths``, ``format_report``
and ``exit_code``. Besides the problems, the report prints the time rule's numbers for every
section (reading at 180 words a minute plus working time, against the limit) and the total
of the default battery.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from questionnaires.loader import BANK_DIR, LoadedQuestionnaire, collect, questionnaire_files
from questionnaires.problems import Problem
from questionnaires.rules import RULES, battery_seconds
from questionnaires.timing import BATTERY_LIMIT_S, WORDS_PER_MINUTE, section_timing

__all__ = [
    "RULES",
    "Problem",
    "exit_code",
    "format_report",
    "main",
    "timing_table",
    "validate_paths",
]


def validate_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Return every problem of the questionnaire files under ``paths`` (files or directories)."""
    _, problems = collect(paths)
    return problems


def exit_code(problems: Sequence[Problem], *, strict: bool = False) -> int:
    """1 when a current file breaks a rule (or, with ``strict``, a legacy one), else 0."""
    return 1 if any(strict or not problem.legacy for problem in problems) else 0


def timing_table(loaded: Sequence[LoadedQuestionnaire]) -> str:
    """The time rule per section, and the default battery's total, as aligned text."""
    header = (
        f"Time limits (reading at {WORDS_PER_MINUTE} words a minute, longer language, + "
        "working time; the longest form a candidate can get, practice included)"
    )
    rows = [("questionnaire", "section", "form", "practice", "words", "reading s", "work s",
             "needed s", "limit s", "")]
    for entry in sorted(loaded, key=lambda e: (e.key, e.version)):
        for section in entry.questionnaire.sections:
            t = section_timing(section)
            checks = f"+{t.checks}" if t.checks else ""
            rows.append((
                f"{entry.key} v{entry.version}", section.key, f"{t.form_items}{checks}",
                str(t.practice_items), str(t.words), f"{t.reading_s:.0f}", str(t.working_s),
                str(t.needed_s), str(t.time_limit_s), "ok" if t.fits else "FAIL",
            ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [header]
    for row in rows:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    total, per_key = battery_seconds(entry.questionnaire for entry in loaded)
    if per_key:
        verdict = "ok" if total <= BATTERY_LIMIT_S else "FAIL"
        parts = ", ".join(f"{key} {seconds / 60:.1f}" for key, seconds in per_key.items())
        lines.append(
            f"Default battery: {total / 60:.1f} of at most {BATTERY_LIMIT_S // 60} minutes "
            f"({verdict}; one language test counted): {parts}"
        )
    return "\n".join(lines)


def format_report(
    problems: Sequence[Problem],
    *,
    files: int | None = None,
    loaded: Sequence[LoadedQuestionnaire] | None = None,
) -> str:
    """Return the time table (when ``loaded`` is given), one line per problem and a summary."""
    checked = f" in {files} file{'s' if files != 1 else ''}" if files is not None else ""
    lines = [timing_table(loaded), ""] if loaded else []
    current = [problem for problem in problems if not problem.legacy]
    legacy = [problem for problem in problems if problem.legacy]
    lines += [str(problem) for problem in current]
    if legacy:
        lines.append(
            "Published before the delivery rules of bank v2 (served unchanged for the attempts "
            "taken on them; new positions get the newer versions):"
        )
        lines += [f"  {problem}" for problem in legacy]
    if not problems:
        lines.append(f"no problems{checked}")
        return "\n".join(lines)
    with_problems = len({problem.file for problem in problems})
    summary = (
        f"{len(current)} problem{'s' if len(current) != 1 else ''}{checked} "
        f"({with_problems} file{'s' if with_problems != 1 else ''} with problems)"
    )
    if legacy:
        summary += f"; {len(legacy)} legacy problem{'s' if len(legacy) != 1 else ''}"
    lines.append(summary)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the given paths (default: the bank), print the report, return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    strict = "--strict" in args
    paths = [Path(arg) for arg in args if arg != "--strict"] or [BANK_DIR]
    loaded, problems = collect(paths)
    print(format_report(problems, files=len(questionnaire_files(paths)), loaded=loaded))
    return exit_code(problems, strict=strict)


if __name__ == "__main__":
    sys.exit(main())
