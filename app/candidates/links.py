"""Invitation tokens the server can rebuild without storing them.

A token is ``base64url(HMAC-SHA256(secret key, "invitation-link:" + nonce))``: 256 bits, the
same shape as a random token. The database keeps the random nonce and, as before, only the
SHA-256 of the token (lookups are unchanged). Whoever holds both the secret key and the
database can therefore rebuild open links (docs/operations.md says so); the database alone
cannot. After the secret key changes, the rebuilt token no longer matches the stored hash:
:func:`recover` then returns None and a reminder falls back to pointing at the invitation
e-mail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from app.auth.security import token_hash
from app.candidates.models import Invitation
from app.core.config import get_settings

_PURPOSE = b"invitation-link:"


def new_nonce() -> str:
    """A random nonce for a new link (128 bits)."""
    return secrets.token_urlsafe(16)


def derive(nonce: str, *, secret_key: str | None = None) -> str:
    """The link token for ``nonce`` under the secret key (the configured one by default)."""
    key = (secret_key if secret_key is not None else get_settings().secret_key).encode()
    mac = hmac.new(key, _PURPOSE + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def new() -> tuple[str, str]:
    """``(nonce, token)`` for a new link."""
    nonce = new_nonce()
    return nonce, derive(nonce)


def recover(invitation: Invitation) -> str | None:
    """The invitation's token, rebuilt; None for a link made before nonces were stored or
    under another secret key."""
    if not invitation.link_nonce:
        return None
    token = derive(invitation.link_nonce)
    return token if hmac.compare_digest(token_hash(token), invitation.token_hash) else None
