"""Tenant scope: every query on a table that an organization owns starts here.

Each tenant-owned model (it has an ``organization_id``: staff users, positions, candidates,
attempts, scores, norms, audit entries, outbox messages, ...) is read through
:func:`readable` (a statement of the organization's rows, to refine with ``.where``), or
:func:`owned_by` where a query selects columns, joins or counts instead of whole rows;
objects already loaded are checked with :func:`belongs`. No other module compares an
``organization_id`` by hand: ``tests/app/test_tenancy.py`` walks the source and fails when one
does. What a *user* may see inside the organization (a manager: the assigned positions and
their candidates) builds on these: ``positions.service.readable`` and
``candidates.service.readable``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

Model = TypeVar("Model", bound=SQLModel)


def owned_by(model: Any, organization_id: int) -> Any:
    """SQL: the rows of ``model`` (a table class or an alias) that the organization owns."""
    return col(model.organization_id) == organization_id


def readable(model: type[Model], organization_id: int) -> SelectOfScalar[Model]:
    """``SELECT model`` of the organization's rows: where every query of whole rows starts."""
    return select(model).where(owned_by(model, organization_id))


def belongs(row: Any, organization_id: int | None) -> bool:
    """Whether a loaded row (None: not found) is the organization's."""
    return row is not None and row.organization_id == organization_id


def get(session: Session, model: type[Model], row_id: Any, organization_id: int) -> Model | None:
    """The organization's row of ``model`` with this primary key; None for a missing row
    and for another organization's (the caller answers 404 to both)."""
    row = session.get(model, row_id)
    return row if belongs(row, organization_id) else None
