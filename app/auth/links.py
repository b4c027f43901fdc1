"""Single-use, expiring links to set a password (a new colleague's first one, or a
forgotten one). Only the token's hash is stored; using a link ends every other link of the
person and every session they had."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.auth import service as auth_service
from app.auth.models import AuthSession, PasswordLink, User
from app.auth.security import hash_password, new_token, token_hash
from app.core.clock import utcnow
from app.core.db import pk
from app.core.errors import Invalid

#: How long each kind of link works.
VALID_FOR = {"welcome": timedelta(days=3), "reset": timedelta(hours=1)}


def issue(session: Session, *, user: User, purpose: str) -> str:
    """A fresh link for ``user`` (earlier unused links of the user stop working)."""
    if purpose not in VALID_FOR:
        raise ValueError(f"unknown purpose {purpose!r}")
    now = utcnow()
    session.exec(update(PasswordLink).where(col(PasswordLink.user_id) == user.id,
                                            col(PasswordLink.used_at).is_(None))
                 .values(used_at=now))
    token = new_token()
    session.add(PasswordLink(user_id=pk(user), token_hash=token_hash(token), purpose=purpose,
                             expires_at=now + VALID_FOR[purpose]))
    session.flush()
    return token


def find(session: Session, *, token: str) -> tuple[PasswordLink, User] | None:
    """The link and its person, while the link is unused, unexpired and the person active."""
    row = session.exec(
        select(PasswordLink, User).join(User, col(User.id) == PasswordLink.user_id)
        .where(PasswordLink.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    link, user = row
    if link.used_at is not None or link.expires_at <= utcnow() or not user.is_active:
        return None
    return link, user


def use(
    session: Session, *, token: str, new: str, again: str,
    translate: Callable[[str], str] | None = None,
) -> User | None:
    """Set the password through the link; None when the link no longer works. Raises 422
    naming the field when the passwords are refused."""
    found = find(session, token=token)
    if found is None:
        return None
    link, user = found
    _ = translate or (lambda text: text)
    if new != again:
        raise Invalid([{"loc": ["body", "password_again"], "field": "password_again",
                        "msg": _("The two new passwords are not the same."),
                        "type": "value_error", "message": "password_again"}])
    auth_service.check_password(new, email=user.email, full_name=user.full_name,
                                translate=translate)
    now = utcnow()
    # Conditional: a link used twice at once sets the password once.
    changed = session.exec(update(PasswordLink).where(col(PasswordLink.id) == link.id,
                                                      col(PasswordLink.used_at).is_(None))
                           .values(used_at=now)).rowcount
    if changed != 1:
        return None
    user.password_hash = hash_password(new)
    session.add(user)
    session.exec(delete(AuthSession).where(col(AuthSession.user_id) == user.id))
    session.flush()
    return user


def unusable_password() -> str:
    """A password hash nobody knows the password of (a colleague not yet welcomed)."""
    return hash_password(secrets.token_urlsafe(32))
