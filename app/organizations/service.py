"""Organizations (tenants)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session, select

from app.core.errors import N_, NotFound
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
        raise NotFound(N_("No such organization."))
    return organization


#: Time zones offered first on the settings page (the rest follow, alphabetically).
COMMON_TIME_ZONES = ("UTC", "Europe/Rome", "Europe/London", "Europe/Berlin", "Europe/Paris",
                     "Europe/Madrid", "Europe/Zurich")


def time_zone(organization: Organization | None) -> str:
    """The organization's time zone (an IANA name), ``UTC`` unless it set one."""
    return str(((organization.settings or {}) if organization else {}).get("time_zone")
               or "UTC")


def time_zones() -> list[str]:
    """Every time zone a setting may name, the common ones first."""
    from zoneinfo import available_timezones

    rest = sorted(available_timezones() - set(COMMON_TIME_ZONES))
    return [*COMMON_TIME_ZONES, *rest]


def set_time_zone(session: Session, *, organization: Organization, name: str) -> None:
    """Show times in ``name`` (an IANA time zone); ValueError for an unknown one."""
    if name not in time_zones():
        raise ValueError(name)
    settings = dict(organization.settings or {})
    settings["time_zone"] = name
    organization.settings = settings
    session.add(organization)
    session.flush()


def local_time(organization: Organization | None, value: datetime) -> str:
    """``2026-12-16 14:05 CET`` in the organization's time zone (e-mails, pages)."""
    from zoneinfo import ZoneInfo

    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(time_zone(organization)))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")
