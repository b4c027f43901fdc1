"""Writing to the outbox in the caller's transaction: a message exists iff its cause does."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.outbox.models import OutboxMessage


def enqueue_email(
    session: Session,
    *,
    organization_id: int | None,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    reference: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue an e-mail; the worker delivers it after the caller commits."""
    message = OutboxMessage(
        organization_id=organization_id,
        kind="email",
        payload={"to": to, "subject": subject, "text": text, "html": html,
                 "reference": reference or {}},
    )
    session.add(message)
    session.flush()
    return message
