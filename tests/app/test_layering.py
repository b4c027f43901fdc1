"""The house imports one way: read from the real source of app/ (AST), not from a list.

A *domain* is a folder under ``app/`` (``core/`` and ``ops/`` are shared infrastructure, not
domains). :data:`LAYERS` is the intended layering, written down: a domain's core (models,
schemas, services, dependencies) may import only the domains of lower rows. Its entry points
(``api.py``, ``pages.py`` or the modules of a ``pages/`` package, ``*_api.py``, ``*_pages.py``,
``cli.py``, and the ``wording.py`` that words their results) are the handlers, the top of the house,
and may call any domain's core, since they are the unit of work that calls them in order; the
handlers themselves must not import each other in a circle. Infrastructure imports no domain
(:data:`INFRASTRUCTURE_MAY_IMPORT` lists the few glue modules that still do, and why). The
composition roots (``main.py``, ``cli.py``, ``models.py``, ``demo.py``, ``setup.py``) import
anything.

On top of the table, the upward imports the scoring path used to make stay forbidden
(``FORBIDDEN_*``), from any module of the domain, entry points included.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
#: The handlers, and the wording modules that put their results into the reader's words for
#: the pages: the presentation tier, above every domain's core.
ENTRY_POINTS = ("api.py", "pages.py", "cli.py", "wording.py")
#: Folders of shared facilities (configuration, database, errors, i18n; observability, limits).
INFRASTRUCTURE = frozenset({"core", "ops"})
#: Top-level modules that put the service together: they may import every domain.
ROOTS = frozenset({"__init__.py", "main.py", "cli.py", "models.py", "demo.py", "setup.py"})

#: The domains, lowest first. A domain's core may import the domains of lower rows only, so
#: the cores can never form a circle; a new domain must be given its row here.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"organizations", "outbox", "charts"}),
    frozenset({"auth", "documents"}),
    frozenset({"audit", "bank", "webhooks"}),
    frozenset({"positions"}),
    frozenset({"candidates", "costs"}),
    frozenset({"assessments"}),
    frozenset({"scores", "norms"}),
    frozenset({"explanations"}),
    frozenset({"fairness"}),
    frozenset({"interviews"}),
    frozenset({"reports", "privacy"}),
    frozenset({"worker"}),
)
RANK = {domain: row for row, domains in enumerate(LAYERS) for domain in domains}

#: Infrastructure modules that still reach into a domain, each for a reason; add none.
INFRASTRUCTURE_MAY_IMPORT: dict[str, frozenset[str]] = {
    # The guard of candidate links looks tokens up; the purge also forgets failed sign-ins.
    "ratelimit.py": frozenset({"auth", "candidates"}),
    # The page middleware sets the CSRF and language cookies (auth/security.py).
    "page_context.py": frozenset({"auth"}),
    # The /metrics gauge of the outbox backlog.
    "observability.py": frozenset({"outbox"}),
}

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
    """A handler module: by its name, or as a module of a ``pages/`` package (one per page)."""
    return (path.name in ENTRY_POINTS or path.name.endswith(("_api.py", "_pages.py"))
            or path.parent.name == "pages")


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


def all_domains() -> set[str]:
    """The folders of app/ with Python in them, infrastructure left out."""
    return {
        p.name
        for p in APP.iterdir()
        if p.is_dir() and any(p.glob("*.py")) and p.name not in INFRASTRUCTURE
    }


def _module_of(name: str) -> Path | None:
    """The file of an ``app.x.y`` module name (or of its parent when y is an attribute)."""
    parts = name.split(".")[1:]
    for end in (len(parts), len(parts) - 1):
        if not end:
            continue
        for candidate in (APP.joinpath(*parts[:end]).with_suffix(".py"),
                          APP.joinpath(*parts[:end], "__init__.py")):
            if candidate.exists():
                return candidate
    return None


@functools.cache
def domain_imports(*, include_entry_points: bool) -> dict[str, dict[str, set[str]]]:
    """``{importer domain: {imported domain: {file, ...}}}`` over the real source."""
    domains = all_domains()
    edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if len(relative.parts) < 2 or (not include_entry_points and _is_entry(path)):
            continue
        importer = relative.parts[0]
        if importer not in domains:
            continue
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


def test_every_domain_has_a_row_in_the_table():
    listed = set(RANK)
    assert all_domains() - listed == set(), "give the new domain its row in LAYERS"
    assert listed - all_domains() == set(), "LAYERS names a domain that no longer exists"


def test_a_domains_core_imports_only_lower_rows():
    edges = domain_imports(include_entry_points=False)
    upward = {
        f"{importer} -> {imported}": sorted(files)
        for importer, targets in edges.items()
        for imported, files in targets.items()
        if RANK[imported] >= RANK[importer]
    }
    assert upward == {}, "a domain's core imports its own row or a higher one (LAYERS)"


def test_the_handlers_import_each_other_without_a_circle():
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in APP.rglob("*.py"):
        relative = path.relative_to(APP)
        if len(relative.parts) < 2 or not _is_entry(path):
            continue
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
            target = _module_of(module) if module.startswith("app.") else None
            if target is not None and target != path and _is_entry(target):
                graph[str(relative)][str(target.relative_to(APP))].add(module)
    assert circles(graph) == []


def _infrastructure_files() -> list[Path]:
    top = [p for p in APP.glob("*.py") if p.name not in ROOTS]
    return top + [p for folder in INFRASTRUCTURE for p in (APP / folder).rglob("*.py")]


def test_infrastructure_imports_no_domain():
    domains = all_domains()
    found = {}
    for path in _infrastructure_files():
        used = {
            module.split(".")[1]
            for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
            if module.startswith("app.") and module.split(".")[1] in domains
        }
        extra = used - INFRASTRUCTURE_MAY_IMPORT.get(path.name, frozenset())
        if extra:
            found[str(path.relative_to(APP.parent))] = sorted(extra)
    assert found == {}, "shared infrastructure must not depend on a domain"


def test_the_table_checks_catch_a_violation():
    assert RANK["reports"] > RANK["scores"] > RANK["assessments"] > RANK["positions"]
    assert _module_of("app.auth.security.set_cookie") == APP / "auth" / "security.py"
    pages = APP / "reports" / "pages"
    assert _module_of("app.reports.pages") == pages / "__init__.py"
    assert _is_entry(pages / "report.py") and not _is_entry(APP / "reports" / "service.py")
    assert _infrastructure_files(), "the infrastructure walk found no file"
