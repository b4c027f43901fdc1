"""Sign-in and sign-out pages (session cookie + CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    client_ip,
    optional_user,
)
from app.auth.security import new_token, set_cookie
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import NotAuthenticated, TooManyRequests
from app.core.i18n import gettext_for
from app.core.templating import render

router = APIRouter(route_class=SessionRoute, include_in_schema=False)


def safe_next(next_url: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    # Browsers read "/\\host" as "//host" and drop tabs and newlines: refuse them outright
    # rather than rely on the redirect's URL quoting.
    if (
        next_url
        and next_url.startswith("/")
        and not next_url.startswith("//")
        and not any(char == "\\" or ord(char) < 32 for char in next_url)
    ):
        return next_url
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    """The sign-in form (or straight on, when already signed in)."""
    if optional_user(request, session, None) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/login.html", {
        "next": safe_next(next), "error": None,
        "password_set": request.query_params.get("password") == "set"})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
    organization: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Check the credentials, start a fresh session and rotate the CSRF cookie."""
    settings = get_settings()
    try:
        user = auth_service.authenticate(
            session, email=email, password=password, ip=client_ip(request), settings=settings,
            organization=organization or None,
        )
    except (NotAuthenticated, TooManyRequests, auth_service.ChooseOrganization) as exc:
        session.commit()
        _ = gettext_for(request.state.language)
        choices = None
        if isinstance(exc, NotAuthenticated):
            message, code = _("Wrong e-mail or password."), 401
        elif isinstance(exc, auth_service.ChooseOrganization):
            # Only someone who knows the password of each of these accounts gets here.
            message, code = _("You have an account in several organizations: choose one and "
                              "enter your password again."), 409
            choices = [(o.slug, o.name) for o in exc.organizations]
        else:
            message, code = _("Too many failed sign-ins. Wait a few minutes and try "
                              "again."), 429
        response: Response = render(
            request,
            "auth/login.html",
            {"next": safe_next(next), "error": message, "email": email,
             "organizations": choices},
            status_code=code,
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    # A new session token on every sign-in (session fixation), and a new CSRF cookie with it.
    if old := request.cookies.get(SESSION_COOKIE):
        auth_service.close_session(session, token=old)
    token = auth_service.open_session(
        session,
        user=user,
        kind="cookie",
        hours=settings.session_hours,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, SESSION_COOKIE, token, max_age=settings.session_hours * 3600)
    set_cookie(response, CSRF_COOKIE, new_token())
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, session: SessionDep) -> Response:
    """End the session."""
    if token := request.cookies.get(SESSION_COOKIE):
        auth_service.close_session(session, token=token)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
