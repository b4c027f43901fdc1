"""The one Jinja2 environment: templates, filters and the per-request language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.i18n import LANGUAGE_NAMES, gettext_for

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    language: str | None = None,
) -> HTMLResponse:
    """Render ``template`` in the request's language with the CSRF token and current user."""
    lang = language or str(getattr(request.state, "language", "en"))
    values: dict[str, Any] = {
        "lang": lang,
        "_": gettext_for(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_user": getattr(request.state, "user", None),
    }
    values.update(context or {})
    return templates.TemplateResponse(request, template, values, status_code=status_code)
