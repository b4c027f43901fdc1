"""Signed webhooks: per-organization settings, events written to the outbox, signatures.

An event is an outbox message of kind ``webhook`` written in the same transaction as its
cause (a submitted attempt, a recorded decision), so it exists if and only if the cause was
committed. Only events the organization subscribes to are written. The payload holds the
event and its data (ids and numbers, never names or e-mail addresses); the URL and the secret
are read when the message is sent, so a changed URL or a rotated secret applies to messages
still waiting.

Signatures (see docs/webhooks.md), both on every delivery:

- Standard Webhooks: ``webhook-id`` (one per event, the same on every retry), ``webhook-timestamp``
  (unix seconds of the attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256>`` of
  ``f"{id}.{timestamp}.{body}"``, keyed with the base64-decoded part of the secret after
  ``whsec_``: what the Standard Webhooks libraries verify.
- Ours, kept for receivers written before: ``KAM-Signature: t=<unix seconds>,v1=<hex
  HMAC-SHA256>`` of ``f"{t}.{body}"`` keyed with the secret's text.

The timestamp is the time of the attempt, so every retry is signed afresh; the body,
``webhook-id`` and ``KAM-Delivery`` (the outbox id) stay the same, which is what a receiver
de-duplicates on. Where webhooks may connect is app/ops/egress.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args
from urllib.parse import SplitResult, urlsplit

from sqlmodel import Session

from app.core.clock import utcnow
from app.core.errors import N_, Invalid, field_problem
from app.ops.egress import EgressPolicy, EgressRefused, Unresolvable, literal_address
from app.organizations.models import Organization
from app.outbox.models import OutboxMessage

Event = Literal["assessment.completed", "decision.recorded"]
EVENTS: tuple[Event, ...] = get_args(Event)
SIGNATURE_HEADER = "KAM-Signature"
EVENT_HEADER = "KAM-Event"
DELIVERY_HEADER = "KAM-Delivery"
#: Standard Webhooks 1.0 headers.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
#: Receivers should refuse a signature older (or newer) than this: it limits replays.
TOLERANCE_SECONDS = 300
SECRET_BYTES = 32
SECRET_PREFIX = "whsec_"
URL_MAX_CHARS = 2000
#: Hosts a plain-http URL may name outside production (a receiver on the same machine).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SETTINGS_KEY = "webhooks"


@dataclass(frozen=True)
class WebhookConfig:
    """Where an organization's events go and the key that signs them."""

    url: str
    secret: str
    events: tuple[str, ...]


def config(organization: Organization | None) -> WebhookConfig | None:
    """The organization's webhook settings, or None when none are set."""
    stored = ((organization.settings or {}) if organization else {}).get(SETTINGS_KEY) or {}
    if not stored.get("url") or not stored.get("secret"):
        return None
    return WebhookConfig(
        url=stored["url"], secret=stored["secret"], events=tuple(stored.get("events") or ())
    )


def config_for(session: Session, *, organization_id: int | None) -> WebhookConfig | None:
    """The webhook settings of the organization with this id, or None."""
    if organization_id is None:
        return None
    return config(session.get(Organization, organization_id))


def _url_error(template: str, **params: object) -> Invalid:
    return field_problem("url", template, params=params)


def _is_local(host: str) -> bool:
    if host.rstrip(".") in LOCAL_HOSTS:
        return True
    try:
        address = literal_address(host)
    except ValueError:
        return False
    return address is not None and address.is_loopback


def default_port(parts: SplitResult) -> int:
    """The port a URL names, or its scheme's."""
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def check_url(url: str, *, env: str, egress: EgressPolicy) -> str:
    """The URL if webhooks may go there: https (or http to this machine outside production)
    to a host whose every address ``egress`` allows; a name that does not resolve now is
    accepted, since every delivery checks again."""
    url = url.strip()
    if len(url) > URL_MAX_CHARS:
        raise _url_error(N_("at most %(count)s characters"), count=URL_MAX_CHARS)
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise _url_error(N_("must not contain spaces or control characters (encode them as %20)"))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise _url_error(N_("not a valid URL (%(problem)s)"), problem=str(exc)) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if not host:
        raise _url_error(N_("give a full URL such as https://hooks.example.com/kam"))
    if parts.username or parts.password:
        # Credentials in the URL would end up in logs and error messages; the signature is
        # how the receiver knows the call is ours.
        raise _url_error(N_("must not contain a user name or password; verify the signature"))
    if parts.fragment:
        raise _url_error(N_("must not contain a #fragment"))
    if scheme == "http" and (env == "production" or not _is_local(host)):
        raise _url_error(
            N_("must use https (plain http is allowed only to localhost outside production)")
        )
    if scheme not in ("http", "https"):
        raise _url_error(N_("must use https, not %(scheme)s"), scheme=scheme or "no scheme")
    try:
        egress.vet(host, default_port(parts))
    except EgressRefused as exc:
        raise _url_error(exc.problem) from None
    except Unresolvable:
        pass  # perhaps not yet in DNS; a delivery never goes out without the check
    return url


def new_secret() -> str:
    """A signing secret with 256 bits of randomness, base64 after ``whsec_`` (the Standard
    Webhooks form, which its libraries decode)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def configure(
    session: Session,
    *,
    organization: Organization,
    url: str,
    events: Sequence[str],
    rotate_secret: bool,
    env: str,
    egress: EgressPolicy,
    now: datetime | None = None,
) -> tuple[WebhookConfig, str | None]:
    """Set the URL and events; a secret is made on first use or rotation and returned once."""
    url = check_url(url, env=env, egress=egress)
    unknown = [event for event in events if event not in EVENTS]
    if unknown or not events:
        if unknown:
            raise field_problem("events", N_("unknown event %(event)r; events are %(events)s"),
                                params={"event": unknown[0], "events": ", ".join(EVENTS)})
        raise field_problem("events", N_("choose at least one event; events are %(events)s"),
                            params={"events": ", ".join(EVENTS)})
    now = now or utcnow()
    stored = dict((organization.settings or {}).get(SETTINGS_KEY) or {})
    shown = None
    if rotate_secret or not stored.get("secret"):
        shown = new_secret()
        stored["secret"] = shown
        stored["secret_created_at"] = now.isoformat()
    stored["url"] = url
    stored["events"] = [event for event in EVENTS if event in set(events)]
    stored["updated_at"] = now.isoformat()
    # A new dict, not an in-place change: the JSON column only notices reassignment.
    organization.settings = {**(organization.settings or {}), SETTINGS_KEY: stored}
    session.add(organization)
    session.flush()
    result = config(organization)
    assert result is not None  # just stored
    return result, shown


def remove(session: Session, *, organization: Organization) -> bool:
    """Stop sending webhooks (waiting events then fail for good); True if any were set."""
    settings = dict(organization.settings or {})
    if SETTINGS_KEY not in settings:
        return False
    settings.pop(SETTINGS_KEY)
    organization.settings = settings
    session.add(organization)
    session.flush()
    return True


def public(organization: Organization) -> dict[str, Any]:
    """The settings as an admin sees them: never the secret."""
    stored = (organization.settings or {}).get(SETTINGS_KEY) or {}
    return {
        "configured": config(organization) is not None,
        "url": stored.get("url"),
        "events": list(stored.get("events") or []),
        "secret_set": bool(stored.get("secret")),
        "secret_created_at": stored.get("secret_created_at"),
        "updated_at": stored.get("updated_at"),
        "available_events": list(EVENTS),
    }


# --- events ---------------------------------------------------------------------------------


def enqueue_event(
    session: Session,
    *,
    organization_id: int,
    event: str,
    data: Mapping[str, Any],
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Write the event to the outbox if the organization subscribes to it (caller commits)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    settings = config_for(session, organization_id=organization_id)
    if settings is None or event not in settings.events:
        return None
    occurred_at = now or utcnow()
    message = OutboxMessage(
        organization_id=organization_id,
        kind="webhook",
        payload={"event": event, "occurred_at": occurred_at.isoformat(), "data": dict(data)},
        created_at=occurred_at,
    )
    session.add(message)
    session.flush()
    return message


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def assessment_completed(
    session: Session,
    *,
    organization_id: int,
    candidate_id: int,
    position_id: int,
    attempt_id: int,
    fit_score: float | None,
    fit_unit: str | None,
    band: str | None,
    completed_at: datetime | None,
    partial_fit: float | None = None,
    fit_coverage: float | None = None,
    requirements_passed: bool | None = None,
    requirements_missed: list[str] | None = None,
) -> OutboxMessage | None:
    """Queue ``assessment.completed``: ids, the fit and the requirements, no personal data."""
    return enqueue_event(
        session,
        organization_id=organization_id,
        event="assessment.completed",
        data={
            "candidate_id": candidate_id,
            "position_id": position_id,
            "attempt_id": attempt_id,
            "fit_score": fit_score,
            "fit_unit": fit_unit,
            "band": band,
            "partial_fit": partial_fit,
            "fit_coverage": fit_coverage,
            "requirements_passed": requirements_passed,
            "requirements_missed": requirements_missed or [],
            "completed_at": _iso(completed_at),
        },
    )


def decision_recorded(
    session: Session,
    *,
    organization_id: int,
    candidate_id: int,
    position_id: int,
    decision_id: int,
    decision: str,
    user_id: int | None,
    at: datetime,
) -> OutboxMessage | None:
    """Queue ``decision.recorded``: who (a staff id) decided what, when; never the note."""
    return enqueue_event(
        session,
        organization_id=organization_id,
        event="decision.recorded",
        data={
            "candidate_id": candidate_id,
            "position_id": position_id,
            "decision_id": decision_id,
            "decision": decision,
            "user_id": user_id,
            "at": _iso(at),
        },
    )


# --- signing --------------------------------------------------------------------------------


def body(delivery_id: int, payload: Mapping[str, Any]) -> bytes:
    """The request body of a delivery: the same bytes on every retry."""
    document = {
        "id": delivery_id,
        "event": payload.get("event"),
        "occurred_at": payload.get("occurred_at"),
        "data": payload.get("data") or {},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def webhook_id(delivery_id: int, created_at: datetime) -> str:
    """The event's Standard Webhooks id: the same on every attempt (it is made from the
    outbox row), unique across installations sending to one receiver, and without a dot."""
    return f"msg_{delivery_id}_{created_at.strftime('%Y%m%d%H%M%S%f')}"


def signing_key(secret: str) -> bytes:
    """The HMAC key of the standard signature: the base64 after ``whsec_`` decoded.

    Secrets made before the standard headers were sent are URL-safe base64 without padding;
    they are read that way (a Standard Webhooks library cannot: rotate such a secret).
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        return base64.urlsafe_b64decode(padded)


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` and the base64 HMAC-SHA256 of
    ``f"{id}.{timestamp}.{body}"``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: standard_signature(secret, message_id, timestamp, body),
    }


def verify_standard(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if the Standard Webhooks headers sign ``body`` with ``secret``, recently."""
    lowered = {key.lower(): value for key, value in headers.items()}
    message_id = lowered.get(ID_HEADER, "")
    timestamp = lowered.get(TIMESTAMP_HEADER, "")
    if not message_id or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    expected = standard_signature(secret, message_id, int(timestamp), body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in lowered.get(STANDARD_SIGNATURE_HEADER, "").split()
    )


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed with the secret."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """The ``KAM-Signature`` header value: ``t=<unix seconds>,v1=<hex>``."""
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of now."""
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
