"""Organizations (tenants)."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from app.errors import NotFound
from app.organizations.models import Organization


def slugify(name: str) -> str:
    """A URL-friendly identifier for an organization name."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "org"


def get_by_name(session: Session, *, name: str) -> Organization | None:
    """The organization with this name (compared by slug), if any."""
    return session.exec(select(Organization).where(Organization.slug == slugify(name))).first()


def create(
    session: Session, *, name: str, is_demo: bool = False, language: str = "en"
) -> Organization:
    """A new organization; its slug is derived from the name and must be unused."""
    organization = Organization(
        name=name.strip(), slug=slugify(name), is_demo=is_demo, default_language=language
    )
    session.add(organization)
    session.flush()
    return organization


def get(session: Session, organization_id: int) -> Organization | None:
    """The organization with this id, if any."""
    return session.get(Organization, organization_id)


def get_own(session: Session, organization_id: int) -> Organization:
    """A signed-in user's own organization (a user always belongs to one; 404 otherwise)."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("No such organization.")
    return organization
