"""Who is calling: chained dependencies for staff on the API and on pages, and roles.

No ``from __future__ import annotations`` here: FastAPI must resolve the ``Annotated``
dependencies inside ``require`` at definition time, closures included.
"""


from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.datastructures import FormData

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.permissions import Action, ensure

# The cookie names live with the cookie helpers; re-exported for the pages that read them.
from app.auth.security import CSRF_COOKIE as CSRF_COOKIE
from app.auth.security import LANGUAGE_COOKIE as LANGUAGE_COOKIE
from app.auth.security import SESSION_COOKIE as SESSION_COOKIE
from app.auth.security import csrf_matches
from app.core.config import get_settings
from app.core.db import ReadSessionDep, ends_transactions
from app.core.errors import N_, Forbidden, Invalid, LoginRequired, NotAuthenticated
from app.core.i18n import pick_language
from app.organizations.models import Organization

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def client_ip(request: Request) -> str:
    """The peer address (a proxy in front should be configured to pass the real one)."""
    return request.client.host if request.client else "unknown"


@ends_transactions
def optional_user(
    request: Request,
    session: ReadSessionDep,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> User | None:
    """The signed-in staff member from a bearer token or the session cookie, or None.

    A read: it never takes SQLite's write lock, and its transaction ends in this thread
    (``ends_transactions``) before the handler runs in another.
    """
    user = None
    cookie_only = False
    if token:
        user = auth_service.user_for_token(session, token=token, kind="bearer")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = auth_service.user_for_token(session, token=cookie, kind="cookie")
        cookie_only = user is not None
    if cookie_only and not _csrf_header_ok(request):
        raise Forbidden(N_(
            "A change through the API with the browser's session needs the X-CSRF-Token "
            "header (the csrf_token of the page), or use a bearer token."
        ))
    request.state.user = user
    if user is not None:
        organization = session.get(Organization, user.organization_id)
        request.state.time_zone = ((organization.settings or {}).get("time_zone")
                                   if organization else None)
        request.state.language = pick_language(
            request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE), user.language
        )
    return user


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _csrf_header_ok(request: Request) -> bool:
    """Pages (forms) check their own token; a state-changing API call that relies on the
    session cookie alone must prove it comes from our page (signed double submit)."""
    if request.method in SAFE_METHODS or not request.url.path.startswith("/api/"):
        return True
    return csrf_matches(
        get_settings().secret_key,
        request.cookies.get(CSRF_COOKIE),
        request.headers.get("x-csrf-token"),
    )


def api_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """A signed-in staff member, or 401 for the API."""
    if user is None:
        raise NotAuthenticated(headers={"WWW-Authenticate": "Bearer"})
    return user


def page_user(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User:
    """A signed-in staff member, or a redirect to the login page."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def require(action: Action, *, page: bool = False) -> Callable[..., User]:
    """A dependency that lets through the roles the permission table allows ``action``
    (403 for the others); ``page``: a sign-in redirect instead of 401."""
    base = page_user if page else api_user

    def dependency(user: Annotated[User, Depends(base)]) -> User:
        ensure(user, action)
        return user

    return dependency


async def posted_form(request: Request) -> AsyncIterator[FormData]:
    """The posted form, read once (sync handlers cannot await it) and closed after the
    response (an upload is a temporary file).

    Listed before the CSRF check (``FormFirst``), so the form is closed even when that
    check refuses it. Handlers that touch the database stay sync and take the form from
    here: an async handler would run its queries on the event loop.
    """
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


async def csrf_protect(request: Request) -> None:
    """Every state-changing form carries the token that matches this browser's CSRF cookie."""
    form = await request.form()
    submitted = form.get("csrf_token")
    if not csrf_matches(
        get_settings().secret_key,
        request.cookies.get(CSRF_COOKIE),
        submitted if isinstance(submitted, str) else None,
    ):
        raise Invalid(N_(
            "The form has expired or was not sent from this site. Reload the page and try again."
        ))


StaffUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
AdminUser = Annotated[User, Depends(require(Action.administer))]
HrUser = Annotated[User, Depends(require(Action.manage_hiring))]
AdminPageUser = Annotated[User, Depends(require(Action.administer, page=True))]
HrPageUser = Annotated[User, Depends(require(Action.manage_hiring, page=True))]
CsrfChecked = Depends(csrf_protect)
PostedForm = Annotated[FormData, Depends(posted_form)]
FormFirst = [Depends(posted_form), CsrfChecked]
