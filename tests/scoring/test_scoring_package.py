"""Package-level guarantees: pure imports, version, doctests, JSON-able results."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import scoring

# The web and database layer, and the statistics libraries the app uses for p-values: scoring/
# stays pure Python + NumPy (SPEC §3), so it runs and is reproducible without them.
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "jinja2",
    "pydantic",
    "scipy",
    "statsmodels",
    "pandas",
    "pingouin",
)
MODULES = sorted(m.name for m in pkgutil.iter_modules(scoring.__path__, "scoring."))


def test_importing_scoring_pulls_in_no_web_database_or_statistics_module() -> None:
    code = (
        "import sys, json\n"
        "import scoring\n"
        f"for m in {MODULES!r}:\n"
        "    __import__(m)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(scoring.__file__).resolve().parents[1],
    )
    assert json.loads(out.stdout) == []


def test_no_forbidden_import_in_the_source() -> None:
    for path in Path(scoring.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in FORBIDDEN:
            assert f"import {name}" not in text and f"from {name}" not in text, path.name


def test_version_and_exports() -> None:
    assert scoring.SCORING_VERSION == "1.1.0"
    for name in scoring.__all__:
        assert hasattr(scoring, name), name
    assert scoring.COMPETENCY_KEYS == (
        "business_sense",
        "analysis",
        "stress_resistance",
        "languages",
        "communication",
        "commercial_knowledge",
        "drive",
    )
    assert "drive" not in scoring.DEFAULT_WEIGHTS  # reported, weighted only by a position
    json.dumps([c.to_dict() for c in scoring.COMPETENCIES])


@pytest.mark.parametrize("module", MODULES)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_public_function_has_a_docstring() -> None:
    for name in scoring.__all__:
        obj = getattr(scoring, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
