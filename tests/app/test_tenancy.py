"""Tenant scope has one home: app/core/tenancy.py (and the per-user statements built on it).

A query on a table an organization owns starts from ``tenancy.readable`` or filters with
``tenancy.owned_by``; a loaded row is checked with ``tenancy.belongs``. This test walks the
real source of app/ and fails on any hand-written ``organization_id`` comparison elsewhere,
the way a bypass of the scope would be written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

import app.models  # noqa: F401  (registers every table)
from app.candidates.models import Candidate
from app.core import tenancy
from app.positions.models import Position
from tests.factories import create_organization, create_position, create_user

APP = Path(__file__).resolve().parents[2] / "app"
HOME = Path(tenancy.__file__).resolve()


def _is(node: ast.AST, owner: str | None, attr: str) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "col":
        node = node.args[0]  # col(Model.column) is the column
    return (
        isinstance(node, ast.Attribute)
        and node.attr == attr
        and (owner is None or (isinstance(node.value, ast.Name) and node.value.id == owner))
    )


def organization_id_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing an ``organization_id`` (``==``, ``!=``, ``in``) by hand. Joining the
    organization table itself (``Organization.id == X.organization_id``) is not a scope."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            joins_organization = any(_is(side, "Organization", "id") for side in sides)
            if any(_is(s, None, "organization_id") for s in sides) and not joins_organization:
                found.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and _is(node.func, None, "filter_by")
            and any(k.arg == "organization_id" for k in node.keywords)
        ):
            # filter_by(organization_id=...) is the same bypass in another spelling.
            found.append(node.lineno)
    return found


def test_no_query_scopes_an_organization_by_hand():
    offenders = {
        str(path.relative_to(APP.parent)): lines
        for path in sorted(APP.rglob("*.py"))
        if path != HOME
        and (lines := organization_id_comparisons(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}, (
        "start these queries from app.core.tenancy (readable, owned_by, belongs, get): "
        f"{offenders}"
    )


def test_the_walk_finds_a_hand_written_scope():
    source = (
        "q = select(Position).where(Position.organization_id == org)\n"
        "ok = row.organization_id != other\n"
        "r = query.filter_by(organization_id=3)\n"
        "j = q.join(Organization, Organization.id == User.organization_id)\n"
        "k = q.where(col(Position.organization_id) == 5)\n"
    )
    assert sorted(organization_id_comparisons(ast.parse(source))) == [1, 2, 3, 5]


def test_every_tenant_table_can_be_read_through_the_scope():
    """Each table with an organization_id compiles to a statement filtered on it."""
    tenant_models = [
        mapper.class_
        for mapper in SQLModel._sa_registry.mappers
        if "organization_id" in mapper.columns
    ]
    assert {"Position", "Candidate", "Score", "AuditEntry"} <= {m.__name__ for m in tenant_models}
    for model in tenant_models:
        sql = str(tenancy.readable(model, 7).compile(compile_kwargs={"literal_binds": True}))
        assert f"{model.__tablename__}.organization_id = 7" in sql, sql


@pytest.mark.parametrize("model", [Position, Candidate])
def test_another_organizations_rows_stay_out(session, model):
    mine, other = create_organization(session, name="Mine"), create_organization(
        session, name="Other"
    )
    hr = create_user(session, organization=other, role="hr")
    position = create_position(session, actor=hr)
    row = position
    if model is Candidate:
        row = Candidate(organization_id=other.id, position_id=position.id, full_name="C",
                        email="c@example.com")
        session.add(row)
        session.flush()
    assert session.exec(tenancy.readable(model, mine.id)).all() == []
    assert session.exec(tenancy.readable(model, other.id)).all() == [row]
    assert tenancy.get(session, model, row.id, mine.id) is None
    assert tenancy.get(session, model, row.id, other.id) is row
    assert not tenancy.belongs(row, mine.id) and tenancy.belongs(row, other.id)
    assert session.exec(select(model)).all()  # the row is there; only the scope hides it
