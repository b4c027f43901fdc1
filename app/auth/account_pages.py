"""The signed-in person's own account: e-mail notices and a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.audit import service as audit
from app.auth import service as auth_service
from app.auth.dependencies import SESSION_COOKIE, CsrfChecked, PageUser, client_ip
from app.auth.models import User
from app.core.db import SessionDep, SessionRoute
from app.core.errors import Invalid
from app.core.i18n import gettext_for
from app.core.templating import render

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

SAVED = ("notifications", "password")
Secret = Annotated[str, Form(max_length=200)]


def _page(request: Request, user: User, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    saved = request.query_params.get("saved", "")
    return render(request, "auth/account.html", {
        "user": user, "errors": errors or {}, "saved": saved if saved in SAVED else "",
    }, status_code=status_code, form_page="/account")


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: PageUser) -> Response:
    """Who I am here, the e-mails I get, and changing my password."""
    return _page(request, user)


@router.post("/account/notifications", dependencies=[CsrfChecked])
def notifications(
    request: Request, session: SessionDep, user: PageUser,
    notify_completions: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Switch the e-mail on completion on or off (POST → redirect → GET)."""
    user = session.merge(user)
    user.notify_completions = notify_completions == "on"
    session.add(user)
    session.commit()
    return RedirectResponse("/account?saved=notifications", status_code=303)


@router.post("/account/password", dependencies=[CsrfChecked])
def password(
    request: Request, session: SessionDep, user: PageUser,
    current_password: Secret = "", new_password: Secret = "", new_password_again: Secret = "",
) -> Response:
    """Change my password; my other sessions end, this one stays."""
    user = session.merge(user)
    try:
        auth_service.change_password(
            session, user=user, current=current_password, new=new_password,
            again=new_password_again, keep_token=request.cookies.get(SESSION_COOKIE),
            translate=gettext_for(getattr(request.state, "language", user.language)),
        )
    except Invalid as exc:
        session.rollback()
        errors = exc.field_errors(
            gettext_for(getattr(request.state, "language", user.language)))
        return _page(request, user, errors=errors, status_code=422)
    audit.record(session, actor=user, action="user.password", object_type="user",
                 object_id=user.id, ip=client_ip(request))
    session.commit()
    return RedirectResponse("/account?saved=password", status_code=303)
