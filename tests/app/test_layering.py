"""The house imports one way: read from the real source of app/ (AST), not from a list.

A *domain* is a folder under ``app/``. Its core (models, schemas, services, dependencies)
may use the domains below it; its entry points (``api.py``, ``pages.py``, ``*_api.py``,
``cli.py``) are the handlers, the top of the house, and may call any domain's service, since
they are the unit of work that calls them in order. The top-level modules of ``app/``
(configuration, database, the worker's housekeeping, the demo) are left out here.

Two rules hold today and must keep holding:

* no circle between the domains' cores;
* none of the upward imports that the scoring path used to make (``FORBIDDEN``), from any
  module of the domain, entry points included.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
ENTRY_POINTS = ("api.py", "pages.py", "cli.py")

#: Upward imports no module of the domain may make, handlers included: these domains sit
#: below reports, and rescoring is called by their handlers from app/scores instead.
FORBIDDEN_ANYWHERE = {("positions", "reports"), ("norms", "reports"), ("costs", "reports")}
#: Upward imports a domain's core may not make (its handlers may call the higher service).
FORBIDDEN_IN_CORE = FORBIDDEN_ANYWHERE | {
    ("positions", "scores"),
    ("norms", "scores"),
    ("costs", "scores"),
    ("assessments", "scores"),
    ("assessments", "reports"),
    ("candidates", "scores"),
    ("candidates", "reports"),
    ("bank", "scores"),
    ("scores", "reports"),
    ("scores", "norms"),
}
#: Circles tolerated for now: none (the worker's delivery left the outbox for app/worker/).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def _is_entry(path: Path) -> bool:
    return path.name in ENTRY_POINTS or path.name.endswith(("_api.py", "_pages.py"))


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every absolute module name an AST imports, including ``from x import y`` as x.y."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@functools.cache
def domain_imports(*, include_entry_points: bool) -> dict[str, dict[str, set[str]]]:
    """``{importer domain: {imported domain: {file, ...}}}`` over the real source."""
    domains = {p.name for p in APP.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if len(relative.parts) < 2 or (not include_entry_points and _is_entry(path)):
            continue
        importer = relative.parts[0]
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "app" and parts[1] in domains - {importer}:
                edges[importer][parts[1]].add(str(path.relative_to(APP.parent)))
    return edges


def circles(edges: dict[str, dict[str, set[str]]]) -> list[set[str]]:
    """The strongly connected groups of more than one domain (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []
    counter = itertools.count()

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def test_the_domains_cores_import_without_a_circle():
    found = [c for c in circles(domain_imports(include_entry_points=False))
             if frozenset(c) not in KNOWN_CIRCLES]
    edges = domain_imports(include_entry_points=False)
    detail = {
        f"{a} -> {b}": sorted(edges[a][b]) for c in found for a in c for b in c if b in edges[a]
    }
    assert found == [], f"import circle between domains: {detail}"


@pytest.mark.parametrize("importer,imported", sorted(FORBIDDEN_ANYWHERE))
def test_no_module_of_a_lower_domain_imports_reports(importer, imported):
    edges = domain_imports(include_entry_points=True)
    assert imported not in edges.get(importer, {}), (
        f"{importer} imports {imported} in {sorted(edges[importer][imported])}"
    )


@pytest.mark.parametrize("importer,imported", sorted(FORBIDDEN_IN_CORE))
def test_no_domain_core_imports_the_one_above_it(importer, imported):
    edges = domain_imports(include_entry_points=False)
    assert imported not in edges.get(importer, {}), (
        f"{importer} imports {imported} in {sorted(edges[importer][imported])}: call it from "
        "the handler instead"
    )


def test_the_walk_sees_the_imports_that_exist():
    """The rules above only mean something if the walk finds real imports."""
    core = domain_imports(include_entry_points=False)
    assert "app/reports/service.py" in core["reports"]["scores"]
    assert "app/scores/service.py" in core["scores"]["assessments"]
    handlers = domain_imports(include_entry_points=True)
    # A handler may call up: the position's API rescores after a change of its rules.
    assert "app/positions/api.py" in handlers["positions"]["scores"]
    assert "scores" not in core.get("positions", {})
    loop = {"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}
    assert circles(loop) == [{"a", "b", "c"}]
