"""requirements.lock pins everything pyproject.toml asks for, inside its ranges, with hashes.

scripts/install installs the lock (``--require-hashes``) and then the package without its
dependencies, so a range added to pyproject.toml without re-running scripts/lock would be
silently missing; this test says so instead.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def locked() -> dict[str, tuple[str, list[str]]]:
    """``{name: (version, [hash, ...])}`` read from requirements.lock."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", block)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            pins[canonicalize_name(match[1])] = (match[2], hashes)
    return pins


def declared() -> list[Requirement]:
    """The main and the dev dependencies of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(line) for line in lines]


def test_the_lock_pins_every_declared_dependency_inside_its_range():
    pins = locked()
    problems = []
    for requirement in declared():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement} is not in requirements.lock")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement}: the lock has {pins[name][0]}")
    assert problems == [], "run scripts/lock: " + "; ".join(problems)


def test_every_pin_carries_a_hash():
    pins = locked()
    assert len(pins) > 50, "the lock parser found too few pins to be reading the file"
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_the_parser_reads_a_pin_with_a_marker():
    assert locked()["uvloop"][1], "uvloop is pinned behind a marker and must still be read"
