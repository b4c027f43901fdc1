"""POST → redirect → GET for staff forms with mistakes.

A form post that would answer 422 with the form again (``render(..., status_code=422)`` with
``values`` and ``errors`` in the context) instead keeps what was typed and the error messages
in a short-lived cookie and answers 303 to the page that shows the form. That page's GET,
reached with ``?draft=<id>``, renders the form with them: reloading it is an ordinary GET, so
the browser never asks to send the form again, and the values and errors stay while the
draft lives. Opening the page without the marker shows it fresh and drops the cookie.

The cookie is signed (HMAC-SHA256 with the secret key), HttpOnly, SameSite=Lax, scoped to the
form's page, and lives :data:`LIFETIME`; a tampered or expired one is ignored. It holds the
typed values (never a password) and the already translated messages, so it is shown in the
language it was written in. A draft larger than :data:`MAX_BYTES`, one that is not plain
JSON, or a page with no GET route falls back to today's 422 answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Match

from app.core.config import get_settings

#: The query parameter that marks a page showing a draft.
PARAM = "draft"
#: Seconds a draft lives: long enough to read the errors and reload, short enough not to
#: greet someone who comes back later.
LIFETIME = 600
#: Browsers keep cookies up to 4 KB; past this, the 422 answer is kept instead.
MAX_BYTES = 3500
#: The context keys stored by default.
KEYS = ("values", "errors")
_PURPOSE = b"form-draft:"
_PREFIX = "kam_draft_"


def cookie_name(path: str) -> str:
    """One cookie per page, so drafts of nested pages never shadow each other."""
    return _PREFIX + hashlib.sha256(path.encode()).hexdigest()[:12]


def _sign(body: bytes) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, _PURPOSE + body, hashlib.sha256).hexdigest()


def _without_secrets(values: Any) -> Any:
    """Typed values minus passwords and the CSRF token (never stored in a cookie)."""
    if not isinstance(values, Mapping):
        return values
    return {k: v for k, v in values.items()
            if "password" not in str(k).lower() and str(k) != "csrf_token"}


def encode(draft: Mapping[str, Any]) -> str | None:
    """The cookie value for ``draft``, or None when it is not JSON or too large."""
    try:
        body = json.dumps(draft, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError):
        return None
    value = base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _sign(body)
    return value if len(value) <= MAX_BYTES else None


def decode(value: str | None) -> dict[str, Any] | None:
    """The draft in a cookie value; None when missing, tampered with or expired."""
    if not value or "." not in value:
        return None
    encoded, signature = value.rsplit(".", 1)
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    if not hmac.compare_digest(_sign(body), signature):
        return None
    try:
        draft = json.loads(body)
    except ValueError:
        return None
    if not isinstance(draft, dict) or not isinstance(draft.get("expires"), int | float):
        return None
    return draft if draft["expires"] > time.time() else None


def _has_get_route(request: Request, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    router = getattr(request.app, "router", None)
    return any(route.matches(scope)[0] == Match.FULL for route in getattr(router, "routes", []))


def wants_draft(
    request: Request, context: Mapping[str, Any], status_code: int, keys: Sequence[str] = KEYS
) -> bool:
    """Whether this render is a staff form post with mistakes: a 422 whose stored keys carry
    an error (``errors``, or the key the call site names, such as ``error``). Candidate pages
    (``/a/``) keep their own redirects, and the JSON API is never a page."""
    return (
        request.method == "POST"
        and status_code == 422
        and any(context.get(key) for key in keys if "error" in key)
        and not request.url.path.startswith(("/a/", "/api/"))
    )


def redirect(
    request: Request, template: str, context: Mapping[str, Any], *,
    page: str | None = None, keys: Sequence[str] = KEYS,
) -> HTMLResponse | None:
    """Store the form's ``keys`` of ``context`` and answer 303 to ``page`` (the posted path
    by default; a path with its query); None when the draft cannot be kept (fall back)."""
    target = urlsplit(page or request.url.path)
    path = target.path
    if not path.startswith("/") or not _has_get_route(request, path):
        return None
    draft_id = secrets.token_urlsafe(6)
    stored = {key: context[key] if "error" in key else _without_secrets(context[key])
              for key in keys if key in context}
    value = encode({"id": draft_id, "path": path, "template": template,
                    "expires": int(time.time()) + LIFETIME, "context": stored})
    if value is None:
        return None
    posted = parse_qsl(request.url.query, keep_blank_values=True)
    # The posted query belongs to the form's own page; another page keeps only the language.
    query = parse_qsl(target.query, keep_blank_values=True) + [
        (k, v) for k, v in posted if page is None or k == "lang"]
    query = [(k, v) for k, v in query if k != PARAM]
    url = path + "?" + urlencode([*query, (PARAM, draft_id)])
    # An HTML response that redirects, so render() keeps its return type for every caller.
    response = HTMLResponse(f'<a href="{html.escape(url)}">{html.escape(url)}</a>',
                            status_code=303, headers={"location": url})
    response.set_cookie(cookie_name(path), value, max_age=LIFETIME, path=path, httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies)
    return response


def restore(request: Request, template: str) -> tuple[dict[str, Any] | None, bool]:
    """``(stored context, drop the cookie)`` for a GET of a form page: the draft when the
    page was reached through its redirect (``?draft=<id>``) and renders the same form."""
    if request.method != "GET":
        return None, False
    path = request.url.path
    value = request.cookies.get(cookie_name(path))
    if value is None:
        return None, False
    marker = request.query_params.get(PARAM)
    draft = decode(value)
    if (draft is None or marker is None or draft.get("id") != marker
            or draft.get("path") != path or draft.get("template") != template):
        return None, True
    stored = draft.get("context")
    return (stored if isinstance(stored, dict) else None), False


def forget(response: Response, request: Request) -> None:
    """Drop this page's draft cookie."""
    path = request.url.path
    response.delete_cookie(cookie_name(path), path=path, httponly=True, samesite="lax",
                           secure=get_settings().secure_cookies)
