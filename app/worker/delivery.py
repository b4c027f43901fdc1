"""Senders: how one outbox message leaves the building (SMTP, the log, signed webhooks).

A sender gets a plain snapshot of the message (:class:`Outgoing`), never an ORM object: it
runs outside any transaction, and a lazy load there would open one behind our back.

Adding a kind (e.g. webhooks) is one class with ``kinds = frozenset({"webhook"})`` and a
``send`` method, plus one line in :func:`sender_from_settings`. A worker only claims the kinds
its sender can deliver, so messages of a kind nobody sends yet simply wait, untouched.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from app.core.config import Settings, get_settings
from app.ops.egress import EgressPolicy, EgressRefused, PinnedTransport, Unresolvable
from app.webhooks import service as webhook_service
from app.webhooks.service import WebhookConfig

logger = logging.getLogger(__name__)

DEFAULT_SMTP_TIMEOUT_S = 10.0
_TRUE = {"1", "true", "yes", "on"}


class PermanentDeliveryError(Exception):
    """Retrying cannot help (malformed message, recipient refused for good): mark it dead."""


@dataclass(frozen=True)
class Outgoing:
    """What a sender needs to know about one outbox message."""

    id: int
    kind: str
    organization_id: int | None
    payload: Mapping[str, Any]
    attempts: int
    created_at: datetime


class Sender(Protocol):
    """Delivers messages of ``kinds``; raises on failure (PermanentDeliveryError: don't retry)."""

    kinds: frozenset[str]

    def send(self, message: Outgoing) -> None:
        """Deliver ``message`` or raise."""
        ...


class KindRouter:
    """A sender that hands each message to the sender registered for its kind."""

    def __init__(self, senders: Mapping[str, Sender]) -> None:
        self.senders = dict(senders)
        self.kinds = frozenset(self.senders)

    def send(self, message: Outgoing) -> None:
        """Deliver through the sender registered for ``message.kind``."""
        self.senders[message.kind].send(message)


# -- e-mail -------------------------------------------------------------------------------------


def message_id(message: Outgoing, *, mail_from: str) -> str:
    """A Message-ID that is the same on every retry, so mail systems can drop duplicates."""
    # The outbox id alone would repeat across installations sending from one domain; the
    # creation instant (microseconds) makes it unique per row while staying stable.
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{message.id}.{stamp}@{domain}>"


def build_email(message: Outgoing, *, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox e-mail payload (text, optional HTML alternative)."""
    payload = message.payload
    missing = [key for key in ("to", "subject", "text") if not isinstance(payload.get(key), str)]
    if missing:
        raise PermanentDeliveryError(f"malformed e-mail payload: no {', '.join(missing)}")
    try:
        email = EmailMessage()
        email["From"] = mail_from
        email["To"] = payload["to"]
        email["Subject"] = payload["subject"]
        email["Message-ID"] = message_id(message, mail_from=mail_from)
        # The creation time, not the send time: a retried copy is then identical.
        email["Date"] = format_datetime(message.created_at)
        email.set_content(payload["text"], charset="utf-8")
        if payload.get("html"):
            email.add_alternative(payload["html"], subtype="html", charset="utf-8")
    except (KeyError, TypeError, ValueError) as exc:
        # A missing field or a header with a line break will not get better on retry.
        raise PermanentDeliveryError(f"malformed e-mail payload: {exc!r}") from exc
    return email


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server, parsed from KAM_SMTP_URL."""

    host: str
    port: int
    security: Literal["none", "starttls", "tls"]
    username: str | None
    password: str | None
    timeout: float


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``smtp://``, ``smtps://`` (implicit TLS) or ``smtp+starttls://`` (or ?starttls=1)."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    security: Literal["none", "starttls", "tls"]
    if scheme == "smtps":
        security, default_port = "tls", 465
    elif scheme == "smtp+starttls" or (
        scheme == "smtp" and query.get("starttls", "").lower() in _TRUE
    ):
        security, default_port = "starttls", 587
    elif scheme == "smtp":
        security, default_port = "none", 25
    else:
        raise ValueError(
            f"KAM_SMTP_URL must start with smtp://, smtps:// or smtp+starttls://, not {scheme!r}"
        )
    if not parts.hostname:
        raise ValueError("KAM_SMTP_URL names no host (smtp://user:pass@host:port)")
    try:
        port = parts.port or default_port
        timeout = float(query.get("timeout", DEFAULT_SMTP_TIMEOUT_S))
    except ValueError as exc:
        raise ValueError(f"KAM_SMTP_URL: {exc}") from None
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
    )


class SmtpSender:
    """Sends outbox e-mails through an SMTP server, one connection per message."""

    kinds = frozenset({"email"})

    def __init__(self, url: str, mail_from: str) -> None:
        self.config = parse_smtp_url(url)
        self.mail_from = mail_from

    def send(self, message: Outgoing) -> None:
        """Deliver one e-mail; raises smtplib/OSError on failure, Permanent... if hopeless."""
        email = build_email(message, mail_from=self.mail_from)
        smtp = self._connect()
        try:
            if self.config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.config.username:
                _login(smtp, self.config.username, self.config.password or "")
            try:
                smtp.send_message(email)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(code >= 500 for code in codes):
                    raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
                raise
        finally:
            # Once DATA is accepted the mail is out: a failing QUIT must not turn that into a
            # retry (a duplicate), so it only closes the socket.
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "tls":
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                timeout=config.timeout,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """Log in; non-ASCII credentials go as UTF-8 AUTH PLAIN (RFC 4616), which smtplib can't."""
    if (username + password).isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class LogSender:
    """Development stand-in when KAM_SMTP_URL is unset: logs the whole e-mail, counts it sent."""

    kinds = frozenset({"email"})

    def send(self, message: Outgoing) -> None:
        """Write recipient, subject and the full text body to the log."""
        payload = message.payload
        # WARNING, not INFO: with no logging configured (``kam serve``) only warnings reach the
        # console, and the invitation link in the body is what the developer or HR is after.
        logger.warning(
            "KAM_SMTP_URL is not set: e-mail %s logged instead of sent\nTo: %s\nSubject: %s\n\n%s",
            message.id,
            payload.get("to"),
            payload.get("subject"),
            payload.get("text"),
        )


# -- webhooks -----------------------------------------------------------------------------------

WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
#: 4xx answers that mean "not now" rather than "never": retried like a 5xx.
RETRIED_CLIENT_ERRORS = frozenset({408, 429})


class WebhookDeliveryError(Exception):
    """The receiver was unreachable or answered with a status worth retrying."""


def stored_webhook_config(organization_id: int | None) -> WebhookConfig | None:
    """The organization's current webhook settings, read in a short read-only transaction."""
    from app.core.db import get_engine, session_for

    # The process-wide engine: one quick read, its connection handed back at once. Read at
    # send time so a new URL or a rotated secret applies to messages still waiting.
    with session_for(get_engine(), read_only=True) as session:
        return webhook_service.config_for(session, organization_id=organization_id)


class WebhookSender:
    """POSTs signed webhook events: 2xx delivered; 4xx (but 408, 429) dead; the rest retried.

    Every attempt checks where the URL leads (``egress``, app/ops/egress.py) and
    connects to the address it checked, following no redirect: an address that is not
    allowed makes the event dead without a connection.
    """

    kinds = frozenset({"webhook"})

    def __init__(
        self,
        *,
        config_for: Callable[[int | None], WebhookConfig | None] = stored_webhook_config,
        timeout: httpx.Timeout | float = WEBHOOK_TIMEOUT,
        clock: Callable[[], float] = time.time,
        egress: EgressPolicy | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.config_for = config_for
        self.timeout = timeout
        self.clock = clock
        self.egress = egress
        self.verify = verify

    def _address(self, url: str) -> str:
        """The vetted address to connect to for ``url``."""
        egress = self.egress if self.egress is not None else get_settings().webhook_egress
        parts = urlsplit(url)
        try:
            return egress.vet(parts.hostname or "", webhook_service.default_port(parts))[0]
        except EgressRefused as exc:
            raise PermanentDeliveryError(f"refused: {exc}") from None
        except (Unresolvable, ValueError) as exc:
            raise WebhookDeliveryError(f"cannot resolve the receiver: {exc}") from None

    def send(self, message: Outgoing) -> None:
        """Sign and POST one event; raises WebhookDeliveryError or PermanentDeliveryError."""
        event = message.payload.get("event")
        config = self.config_for(message.organization_id)
        if config is None:
            raise PermanentDeliveryError("webhooks are not configured for this organization")
        if event not in config.events:
            raise PermanentDeliveryError(f"the organization does not subscribe to {event!r}")
        body = webhook_service.body(message.id, message.payload)
        timestamp = int(self.clock())
        event_id = webhook_service.webhook_id(message.id, message.created_at)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "KAM-Assess-Webhooks/1",
            **webhook_service.standard_headers(config.secret, event_id, timestamp, body),
            webhook_service.SIGNATURE_HEADER: webhook_service.signature_header(
                config.secret, body, timestamp
            ),
            webhook_service.EVENT_HEADER: str(event),
            webhook_service.DELIVERY_HEADER: str(message.id),
        }
        transport = PinnedTransport(self._address(config.url), verify=self.verify)
        try:
            with httpx.Client(
                transport=transport, timeout=self.timeout, follow_redirects=False,
                trust_env=False,
            ) as client:
                response = client.post(config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            # The message names the failure, never a header (the signature stays out of logs).
            raise WebhookDeliveryError(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        problem = f"the receiver answered HTTP {status} {response.reason_phrase}".rstrip()
        if 400 <= status < 500 and status not in RETRIED_CLIENT_ERRORS:
            raise PermanentDeliveryError(problem)
        raise WebhookDeliveryError(problem)


def sender_from_settings(settings: Settings) -> Sender:
    """The sender for every kind we can deliver: SMTP if configured, else the log; webhooks."""
    if settings.smtp_url:
        email: Sender = SmtpSender(settings.smtp_url, settings.mail_from)
    else:
        if settings.env == "production":
            logger.warning("KAM_SMTP_URL is not set: e-mails will be logged, not sent")
        email = LogSender()
    return KindRouter({"email": email, "webhook": WebhookSender(egress=settings.webhook_egress)})
