"""Passwords (argon2id), opaque tokens and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.responses import Response

from app.core.config import get_settings

# OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same time when there is no user."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """An unguessable URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(secret_key: str, csrf_cookie: str) -> str:
    """The form token that matches a CSRF cookie (signed double-submit)."""
    return hmac.new(secret_key.encode(), b"csrf:" + csrf_cookie.encode(), "sha256").hexdigest()


def csrf_matches(secret_key: str, csrf_cookie: str | None, submitted: str | None) -> bool:
    """True when the submitted form token belongs to this browser's CSRF cookie."""
    if not csrf_cookie or not submitted:
        return False
    return hmac.compare_digest(csrf_for(secret_key, csrf_cookie), submitted)


# --- cookies ---------------------------------------------------------------------------------

SESSION_COOKIE = "kam_session"
CSRF_COOKIE = "kam_csrf"
LANGUAGE_COOKIE = "kam_lang"


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    """Cookies are HttpOnly, SameSite=Lax, and Secure when the site is served over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookies,
        path="/",
    )


def ensure_csrf_cookie(request: Request) -> str | None:
    """The browser's CSRF cookie, or a new one to set; stores the form token on the request."""
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = None
    if not cookie:
        cookie = fresh = new_token()
    request.state.csrf_token = csrf_for(get_settings().secret_key, cookie)
    return fresh
