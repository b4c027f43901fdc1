"""Creating organizations and their first users (used by ``kam init``, ``kam demo``, tests)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.core.db import pk
from app.organizations import service as organization_service
from app.organizations.models import Organization


@dataclass(frozen=True)
class Provisioned:
    """What ``provision`` found or created."""

    organization: Organization
    admin: User
    created_organization: bool
    created_admin: bool


def provision(
    session: Session,
    *,
    org_name: str,
    admin_email: str,
    admin_password: str,
    admin_name: str = "Administrator",
    is_demo: bool = False,
    language: str = "en",
) -> Provisioned:
    """Find or create the organization and its admin; safe to run again with the same values."""
    organization = organization_service.get_by_name(session, name=org_name)
    created_organization = organization is None
    if organization is None:
        organization = organization_service.create(
            session, name=org_name, is_demo=is_demo, language=language
        )
    admin = auth_service.find_by_email(
        session, organization_id=pk(organization), email=admin_email
    )
    created_admin = admin is None
    if admin is None:
        admin = auth_service.create_user(
            session,
            organization=organization,
            email=admin_email,
            full_name=admin_name,
            role=Role.admin,
            password=admin_password,
            language=language,
        )
    return Provisioned(organization, admin, created_organization, created_admin)
