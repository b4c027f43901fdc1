"""An organization's webhook settings on the JSON API (admins only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.audit import service as audit
from app.auth.dependencies import AdminUser, client_ip
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.organizations import service as organization_service
from app.webhooks import service as webhook_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["webhooks"])

Event = webhook_service.Event


class WebhookSettings(BaseModel):
    """Where to send events, which ones, and whether to make a new secret."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=webhook_service.URL_MAX_CHARS,
                     description="https URL to a public address (http only to localhost outside "
                     "production; private networks only if KAM_WEBHOOK_ALLOW_NETWORKS lets them)")
    events: list[Event] = Field(default_factory=lambda: list(webhook_service.EVENTS),
                                min_length=1)
    rotate_secret: bool = Field(default=False, description="replace the signing secret")


class WebhookPublic(BaseModel):
    """The settings as stored; ``secret`` is present only in the answer that created it."""

    configured: bool
    url: str | None
    events: list[str]
    secret_set: bool
    secret_created_at: datetime | None
    updated_at: datetime | None
    available_events: list[str]
    secret: str | None = Field(
        default=None, description="the new signing secret, shown once: store it now"
    )


@router.get("/webhooks", response_model=WebhookPublic)
def get_webhooks(session: SessionDep, admin: AdminUser) -> WebhookPublic:
    """The organization's webhook settings (never the secret)."""
    organization = organization_service.get_own(session, admin.organization_id)
    return WebhookPublic(**webhook_service.public(organization))


@router.put("/webhooks", response_model=WebhookPublic)
def put_webhooks(
    request: Request, session: SessionDep, admin: AdminUser, data: WebhookSettings
) -> WebhookPublic:
    """Set the URL and events; the secret is made on first use or rotation and shown once."""
    organization = organization_service.get_own(session, admin.organization_id)
    settings = get_settings()
    config, secret = webhook_service.configure(
        session,
        organization=organization,
        url=data.url,
        events=data.events,
        rotate_secret=data.rotate_secret,
        env=settings.env,
        egress=settings.webhook_egress,
    )
    audit.record(
        session,
        actor=admin,
        action="webhooks.update",
        object_type="organization",
        object_id=organization.id,
        # Never the secret: the audit log is readable by every admin and exported as CSV.
        details={"url": config.url, "events": list(config.events),
                 "secret_rotated": secret is not None},
        ip=client_ip(request),
    )
    result = WebhookPublic(**webhook_service.public(organization), secret=secret)
    session.commit()
    return result


@router.delete("/webhooks", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhooks(request: Request, session: SessionDep, admin: AdminUser) -> Response:
    """Stop sending webhooks; events still waiting are not delivered."""
    organization = organization_service.get_own(session, admin.organization_id)
    if webhook_service.remove(session, organization=organization):
        audit.record(session, actor=admin, action="webhooks.delete",
                     object_type="organization", object_id=organization.id,
                     ip=client_ip(request))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
