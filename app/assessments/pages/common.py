"""What the candidate's pages share: the language, the friendly error page (and the decorator
that turns domain errors into it), the CSRF check, redirects, numbers and clocks in the
candidate's words, and the attempt's state caught up with the clock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from app.assessments import service as assessment_service
from app.assessments.models import Attempt
from app.auth.dependencies import CSRF_COOKIE, LANGUAGE_COOKIE
from app.auth.security import csrf_matches
from app.candidates import service as candidate_service
from app.core.config import get_settings
from app.core.errors import Conflict, Gone, Invalid, NotFound
from app.core.i18n import pick_language
from app.core.numbers import show_number
from app.core.templating import render
from app.organizations import service as organization_service
from app.scores import service as score_service

Token = Annotated[str, Path(max_length=200)]


#: Items a calculator helps with: the intro says it is on the page.
CALCULATOR_TYPES = ("numeric",)


def _language(request: Request, ctx: assessment_service.Context | None) -> str:
    """?lang=, then the language the candidate chose before (cookie), then the invitation's."""
    attempt_language = ctx.attempt.language if ctx and ctx.attempt else None
    invited_language = ctx.candidate.language if ctx else None
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        attempt_language,
        invited_language,
        getattr(request.state, "language", None),
    )


def _problem(
    request: Request,
    session: Session,
    token: str,
    exc: Exception,
    ctx: assessment_service.Context | None = None,
) -> HTMLResponse:
    """A friendly page for 404/409/410/422 in the candidate's language, saying what to do."""
    status = getattr(exc, "status_code", 400)
    found = (
        (ctx.invitation, ctx.candidate) if ctx
        else candidate_service.find_by_token(session, token=token)
    )
    invitation, candidate = found if found else (None, None)
    lang = pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        candidate.language if candidate else None,
        getattr(request.state, "language", None),
    )
    organization = (
        organization_service.get(session, candidate.organization_id) if candidate else None
    )
    if candidate is None:
        kind = "not_found"
    elif status == 410:
        withdrawn = (invitation is not None and invitation.revoked_at) or candidate.erased_at
        kind = "withdrawn" if withdrawn else "expired"
    elif status == 422:
        kind = "invalid"
    else:  # 404 of a part of a valid link, 409: the step is no longer possible
        kind = "conflict"
    return render(
        request,
        "assessments/problem.html",
        {
            "kind": kind,
            "token": token if kind in ("conflict", "invalid") else None,
            "company": organization.name if organization else None,
        },
        status_code=status,
        language=lang,
    )


async def unknown_link_page(request: Request, _exc: Exception) -> Response:
    """The page for a link that does not exist (refused by the token guard before any
    handler), in the browser's language; it needs no database."""
    response = render(request, "assessments/problem.html",
                      {"kind": "not_found", "token": None, "company": None}, status_code=404,
                      language=_language(request, None))
    return _private(response)


def _private(response: Response) -> Response:
    """Personal pages behind a secret link, with a live timer: never cached, never indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _candidate_page(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Turn the domain errors a candidate can meet into a friendly page (not JSON)."""

    @functools.wraps(handler)
    def wrapper(**kwargs: Any) -> Response:
        try:
            response = handler(**kwargs)
        except (NotFound, Gone, Conflict, Invalid) as exc:
            response = _problem(kwargs["request"], kwargs["session"], kwargs["token"], exc)
        return _private(response)

    return wrapper


def _csrf_ok(request: Request, form: FormData) -> bool:
    submitted = form.get("csrf_token")
    return csrf_matches(
        get_settings().secret_key,
        request.cookies.get(CSRF_COOKIE),
        submitted if isinstance(submitted, str) else None,
    )


def _posted(
    request: Request, session: Session, token: str, form: FormData, *, started: bool | None = True
) -> assessment_service.Context | Response:
    """The context of a candidate's form post, or the page to answer instead: the refusal of a
    form without this browser's CSRF token, else the page the candidate belongs on when the
    attempt is not as the form expects (``started``: the landing page before the start;
    ``started=False``: the current section after it; ``None``: any)."""
    ctx = assessment_service.resolve(session, token=token)
    if not _csrf_ok(request, form):
        return _refuse_csrf(request, session, token, ctx)
    if started and ctx.attempt is None:
        return _redirect(f"/a/{token}")
    if started is False and ctx.attempt is not None:
        return _redirect(f"/a/{token}/section")
    return ctx


def _refuse_csrf(
    request: Request, session: Session, token: str, ctx: assessment_service.Context
) -> HTMLResponse:
    return _problem(request, session, token, Invalid("csrf"), ctx)


def _token(request: Request) -> str:
    """The token of the current candidate page (from the path)."""
    return str(request.path_params["token"])


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _show_number(value: Any, lang: str, *, group_from: float = 1000) -> str:
    """A number as the candidate's language writes it (3.400,5 in Italian, 3,400.5 in English)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return show_number(value, lang, group_from=group_from)


def _clock(seconds: int) -> str:
    """12:00, or 1:05:00 past an hour."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _attempt(ctx: assessment_service.Context) -> Attempt:
    """The attempt of a candidate whose page has sent them to the landing page when there is none
    (a 409 page otherwise)."""
    if ctx.attempt is None:
        raise Conflict("The assessment has not started yet.")
    return ctx.attempt


def _current_state(
    session: Session, ctx: assessment_service.Context, lang: str
) -> dict[str, Any]:
    """Catch the attempt up with the clock (finalizing it when overdue) and read its state."""
    if assessment_service.finalize_if_overdue(session, ctx=ctx):
        score_service.score_submitted(session, attempt=_attempt(ctx))
        session.commit()
    state = assessment_service.state(session, ctx=ctx, language=lang)
    session.commit()
    return state


def _times_up(state: dict[str, Any], key: str | None) -> dict[str, Any] | None:
    """The section just before ``key`` (the last one when None) if the clock ended it."""
    keys = [s["key"] for s in state["sections"]]
    index = keys.index(key) if key in keys else len(keys)
    previous = state["sections"][index - 1] if index > 0 else None
    return previous if previous and previous.get("ended_by_time") else None
