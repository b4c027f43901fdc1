"""Who may do what: the one table of staff permissions.

The API dependencies (``AdminUser``, ``HrUser``), the page dependencies, the templates (which
buttons show: ``can(current_user, "manage_hiring")``) and the authorization-matrix test all
read :data:`PERMISSIONS`. Which *objects* a user may see (their organization, a manager's
assigned positions) is the tenant scope's business (``scope.py``), not this table's.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from app.auth.models import Role, User
from app.core.errors import Forbidden


class Action(StrEnum):
    """What a staff member does, in the words of the permission table."""

    #: Sign in and work with positions, pipelines, reports, comparisons, decisions and the
    #: cost comparison of the positions one may see.
    work = "work"
    #: HR's work: create and edit positions, invite candidates, resend or withdraw a link,
    #: save a position's cost assumptions, put interviewers on a panel, record a hire's
    #: outcome.
    manage_hiring = "manage_hiring"
    #: Users, the organization's settings, norms and item analysis, privacy (export, erase),
    #: the audit log and webhooks.
    administer = "administer"


PERMISSIONS: Final[Mapping[Action, frozenset[Role]]] = MappingProxyType(
    {
        Action.work: frozenset({Role.admin, Role.hr, Role.manager}),
        Action.manage_hiring: frozenset({Role.admin, Role.hr}),
        Action.administer: frozenset({Role.admin}),
    }
)


def roles_for(action: Action | str) -> frozenset[str]:
    """The role names allowed to do ``action``."""
    return frozenset(role.value for role in PERMISSIONS[Action(action)])


def can(user: User | None, action: Action | str) -> bool:
    """Whether ``user`` (None: nobody signed in) may do ``action``."""
    return user is not None and user.role in roles_for(action)


def ensure(user: User, action: Action | str, message: str | None = None) -> None:
    """403 unless ``user`` may do ``action``."""
    if not can(user, action):
        raise Forbidden(message)
