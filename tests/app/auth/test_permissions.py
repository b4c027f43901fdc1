"""The permission table is the one place that says which role may do what."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from app.auth.models import Role, User
from app.auth.permissions import PERMISSIONS, Action, can, roles_for

APP = Path(__file__).resolve().parents[3] / "app"


def _user(role: Role) -> User:
    return User(organization_id=1, email="x@example.com", full_name="X", role=role.value,
                password_hash="-")


def test_the_table_covers_every_action_and_only_known_roles():
    assert set(PERMISSIONS) == set(Action)
    assert all(roles <= set(Role) for roles in PERMISSIONS.values())
    # Whoever may manage positions or administer may also work with them.
    assert roles_for(Action.administer) <= roles_for(Action.manage_hiring) <= roles_for(
        Action.work
    )


def test_can_reads_the_table():
    assert can(_user(Role.admin), Action.administer)
    assert can(_user(Role.hr), "manage_hiring") and not can(_user(Role.hr), "administer")
    assert can(_user(Role.manager), Action.work)
    assert not can(_user(Role.manager), Action.manage_hiring)
    assert not can(None, Action.work)


def _names_a_privileged_role(node: ast.AST) -> bool:
    """``Role.admin``, ``Role.hr`` (with ``.value`` or not), ``"admin"``, ``"hr"``."""
    if isinstance(node, ast.Attribute) and node.attr == "value":
        node = node.value
    if isinstance(node, ast.Constant):
        return node.value in ("admin", "hr")
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("admin", "hr")
        and isinstance(node.value, ast.Name)
        and node.value.id == "Role"
    )


def _role_membership_tests(tree: ast.AST) -> list[int]:
    """Lines that decide by a user's role themselves: ``user.role in (...)``, or a user
    object's role compared with admin or hr (a query's ``User.role == ...`` column filter
    selects people, it decides nothing, and a manager's assigned positions are scope)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        roles = [
            side for side in sides
            if isinstance(side, ast.Attribute) and side.attr == "role"
            and isinstance(side.value, ast.Name) and side.value.id[:1].islower()
        ]
        if not roles:
            continue
        membership = any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        if membership or any(_names_a_privileged_role(side) for side in sides):
            found.append(node.lineno)
    return found


def test_no_module_keeps_a_role_list_of_its_own():
    """Handlers, pages and services ask ``can``/``ensure``/``require``; none lists roles."""
    offenders = {
        str(path.relative_to(APP.parent)): lines
        for path in APP.rglob("*.py")
        if path.name != "permissions.py"
        and (lines := _role_membership_tests(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


ROLE_TEST_IN_TEMPLATE = re.compile(
    r"\.role\s*(?:==|!=)\s*[\"'](?:admin|hr)[\"']|\.role\s+(?:not\s+)?in\b"
)


def test_no_template_decides_by_role_itself():
    """Templates ask ``can(current_user, "action")``, the same table as the handlers."""
    offenders = {
        str(path.relative_to(APP.parent)): [
            n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if ROLE_TEST_IN_TEMPLATE.search(line)
        ]
        for path in sorted((APP / "templates").rglob("*.html"))
    }
    assert {path: lines for path, lines in offenders.items() if lines} == {}
    assert ROLE_TEST_IN_TEMPLATE.search('{% if current_user.role in ("admin", "hr") %}')
    assert ROLE_TEST_IN_TEMPLATE.search('{% if me.role == "admin" %}')
    assert not ROLE_TEST_IN_TEMPLATE.search("{{ _(current_user.role) }}")
    assert not ROLE_TEST_IN_TEMPLATE.search("{% if u.role == r %} selected{% endif %}")


def test_the_walk_finds_a_role_list():
    assert _role_membership_tests(ast.parse("ok = user.role in ('admin', 'hr')")) == [1]
    assert _role_membership_tests(ast.parse("ok = user.role != Role.admin.value")) == [1]
    assert _role_membership_tests(ast.parse("ok = actor.role == 'hr'")) == [1]
    assert _role_membership_tests(ast.parse("q = select(User).where(User.role == 'admin')")) == []
    assert _role_membership_tests(ast.parse("ok = user.role == Role.manager")) == []
