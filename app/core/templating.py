"""The one Jinja2 environment: templates, filters and the per-request language."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core import form_drafts
from app.core.i18n import LANGUAGE_NAMES, gettext_for

templates = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def language_url(request: Request, code: str) -> str:
    """This page in another language: the same query (filters, sort, page), ``lang`` set.

    A page that answers a form (a POST) has no address to load again: the link goes back to
    the page the form was sent from (same site only), else to the dashboard.
    """
    if request.method == "GET":
        base, params = "", list(request.query_params.multi_items())
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc and referer.path.startswith("/")
        base = referer.path if same_site else "/"
        params = parse_qsl(referer.query) if same_site else []
    # A form draft's messages are in the language they were written in: the other language
    # shows the form afresh.
    kept = [(k, v) for k, v in params if k not in ("lang", form_drafts.PARAM)]
    return base + "?" + urlencode([*kept, ("lang", code)])


templates.env.globals["language_url"] = language_url


def display(_: Any, key: str | None) -> str:
    """A stored key (a status, a role) as people read it: ``in_progress`` is "in progress",
    ``hr`` is "HR", in the page's language; never the raw key."""
    if key is None:
        return "—"
    names = {
        "in_progress": _("in progress"),
        "invited": _("invited"),
        "completed": _("completed"),
        "expired": _("expired"),
        "revoked": _("revoked"),
        "draft": _("draft"),
        "open": _("open"),
        "closed": _("closed"),
        "admin": _("admin"),
        "hr": _("HR"),
        "manager": _("hiring manager"),
        "below_A2": _("below A2"),
    }
    return str(names.get(key, _(key)))


templates.env.globals["display"] = display


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    language: str | None = None,
    form_page: str | Literal[False] | None = None,
    draft_keys: Sequence[str] | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language with the CSRF token and current user.

    A staff form posted with mistakes (``status_code=422``, a context with ``values`` and
    ``errors``) is answered 303 to the page showing the form, whose GET renders the same
    template with those two keys restored (app/core/form_drafts.py; the GET needs nothing).
    The page is the posted path; ``form_page`` names another one (a path, with a query when
    the page needs one), ``draft_keys`` other context keys to keep (which also turns drafts
    on for a context without ``values``), and ``form_page=False`` keeps the 422 answer."""
    context = dict(context or {})
    drafted = form_page is not False and (
        form_page is not None or draft_keys is not None or "values" in context)
    keys = draft_keys or form_drafts.KEYS
    if drafted and form_drafts.wants_draft(request, context, status_code, keys):
        redirect = form_drafts.redirect(request, template, context, page=form_page or None,
                                        keys=keys)
        if redirect is not None:
            return redirect
    restored, drop = form_drafts.restore(request, template)
    if restored:
        context.update(restored)
    lang = language or str(getattr(request.state, "language", "en"))
    values: dict[str, Any] = {
        "lang": lang,
        "_": gettext_for(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_user": getattr(request.state, "user", None),
    }
    values.update(context)
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    if drop:
        form_drafts.forget(response, request)
    return response
