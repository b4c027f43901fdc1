"""Admins manage their colleagues in the pages: add one (who gets an e-mail with a link to
set a password), change a role, deactivate and reactivate. Everyone else: forgot password
and the set-password link, on pages that never tell whether an e-mail has an account."""

from __future__ import annotations

from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.audit import service as audit
from app.auth import links
from app.auth import service as auth_service
from app.auth.dependencies import AdminPageUser, CsrfChecked, client_ip
from app.auth.models import Role, User
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import Conflict, DomainError, Invalid, TooManyRequests
from app.core.i18n import gettext_for
from app.core.templating import render
from app.ops import ratelimit
from app.organizations import service as organization_service
from app.outbox import service as outbox
from app.reports.wording import Numbers

router = APIRouter(route_class=SessionRoute, include_in_schema=False)

DONE = ("added", "role", "deactivated", "activated", "welcome", "time_zone")
ROLES = tuple(role.value for role in Role)


def _lang(request: Request) -> str:
    return getattr(request.state, "language", "en")


def _link_email(session: Session, *, user: User, token: str, purpose: str,
                invited_by: User | None = None) -> None:
    """The e-mail with the link, in the person's language."""
    _ = gettext_for(user.language)
    organization = organization_service.get(session, user.organization_id)
    company = organization.name if organization else ""
    url = f"{get_settings().base_url.rstrip('/')}/set-password/{token}"
    if purpose == "welcome":
        subject = _("Your KAM Assess account at %(company)s", company=company)
        opening = _("%(who)s has added you to KAM Assess at %(company)s. Choose your password "
                    "with this link (valid for 3 days, once):",
                    who=invited_by.full_name if invited_by else company, company=company)
    else:
        subject = _("Set a new KAM Assess password")
        opening = _("Someone (we hope you) asked to set a new password for your account at "
                    "%(company)s. Use this link within an hour, once:", company=company)
    lines = [_("Hello %(name)s,", name=user.full_name), "", opening, url, "",
             _("Your e-mail to sign in: %(email)s", email=user.email)]
    if purpose == "reset":
        lines += ["", _("If you did not ask, ignore this e-mail: your password stays as it is.")]
    outbox.enqueue_email(session, organization_id=user.organization_id, to=user.email,
                         subject=subject, text="\n".join(lines) + "\n",
                         reference={"user_id": user.id, "password_link": purpose})


# --- staff (admins) -------------------------------------------------------------------------


def _staff_page(request: Request, session: Session, admin: User, *,
                errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    done = request.query_params.get("done", "")
    return render(request, "auth/staff.html", {
        "users": auth_service.list_users(session, organization_id=admin.organization_id),
        "roles": ROLES, "errors": errors or {}, "values": values or {},
        "done": done if done in DONE else "", "me": admin,
        "time_zone": organization_service.time_zone(
            organization_service.get(session, admin.organization_id)),
        "time_zones": organization_service.time_zones(),
        "fmt": Numbers(_lang(request), getattr(request.state, "time_zone", None)),
    }, status_code=status_code)


@router.get("/admin/staff", response_class=HTMLResponse)
def staff(request: Request, session: SessionDep, admin: AdminPageUser) -> Response:
    """The organization's staff: roles, who is active; add a colleague."""
    return _staff_page(request, session, admin)


def _field_errors(exc: DomainError, _: Any) -> dict[str, str]:
    return exc.field_errors(_)


@router.post("/admin/staff", dependencies=[CsrfChecked])
def add_colleague(
    request: Request, session: SessionDep, admin: AdminPageUser,
    full_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=16)] = "hr",
    language: Annotated[str, Form(max_length=2)] = "en",
) -> Response:
    """Add a colleague and e-mail them a link to choose their password."""
    _ = gettext_for(_lang(request))
    values = {"full_name": full_name, "email": email, "role": role, "language": language}
    errors = {}
    if not full_name.strip():
        errors["full_name"] = _("Write the colleague's name.")
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _("Write the colleague's e-mail address, such as name@company.it.")
    if role not in ROLES:
        errors["role"] = _("Choose a role: admin, HR or hiring manager.")
    if errors:
        return _staff_page(request, session, admin, errors=errors, values=values,
                           status_code=422)
    try:
        colleague = auth_service.add_colleague(
            session, organization=organization_service.get_own(session, admin.organization_id),
            email=email, full_name=full_name, role=role, language=language,
            password_hash=links.unusable_password())
    except Conflict:
        session.rollback()
        errors = {"email": _("Your organization already has a user with the e-mail "
                             "%(email)s.", email=email.strip().lower())}
        return _staff_page(request, session, admin, errors=errors, values=values,
                           status_code=422)
    except Invalid as exc:
        session.rollback()
        return _staff_page(request, session, admin, errors=_field_errors(exc, _),
                           values=values, status_code=422)
    token = links.issue(session, user=colleague, purpose="welcome")
    _link_email(session, user=colleague, token=token, purpose="welcome", invited_by=admin)
    audit.record(session, actor=admin, action="user.create", object_type="user",
                 object_id=colleague.id, details={"email": colleague.email,
                                                  "role": colleague.role},
                 ip=client_ip(request))
    session.commit()
    return RedirectResponse("/admin/staff?done=added", status_code=303)


@router.post("/admin/staff/{user_id:int}/role", dependencies=[CsrfChecked])
def change_role(
    user_id: int, request: Request, session: SessionDep, admin: AdminPageUser,
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Give a colleague another role."""
    _ = gettext_for(_lang(request))
    colleague = auth_service.get_user(session, organization_id=admin.organization_id,
                                      user_id=user_id)
    if role not in ROLES:
        raise Invalid(_("role: choose admin, hr or manager."))
    if admin.id == colleague.id:
        raise Conflict(_("You cannot change your own role; ask another admin."))
    before = colleague.role
    if auth_service.set_role(session, user=colleague, role=role, actor=admin):
        audit.record(session, actor=admin, action="user.role", object_type="user",
                     object_id=colleague.id, details={"from": before, "to": role},
                     ip=client_ip(request))
        session.commit()
    return RedirectResponse("/admin/staff?done=role", status_code=303)


@router.post("/admin/staff/{user_id:int}/active", dependencies=[CsrfChecked])
def set_active(
    user_id: int, request: Request, session: SessionDep, admin: AdminPageUser,
    active: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Deactivate (sessions end at once) or reactivate a colleague."""
    _ = gettext_for(_lang(request))
    colleague = auth_service.get_user(session, organization_id=admin.organization_id,
                                      user_id=user_id)
    on = active == "yes"
    if admin.id == colleague.id and not on:
        raise Conflict(_("You cannot deactivate your own account; ask another admin."))
    if auth_service.set_active(session, user=colleague, active=on, actor=admin):
        audit.record(session, actor=admin, action="user.activate" if on else "user.deactivate",
                     object_type="user", object_id=colleague.id,
                     details={"email": colleague.email}, ip=client_ip(request))
        session.commit()
    return RedirectResponse(f"/admin/staff?done={'activated' if on else 'deactivated'}",
                            status_code=303)


@router.post("/admin/staff/{user_id:int}/welcome", dependencies=[CsrfChecked])
def send_welcome_again(
    user_id: int, request: Request, session: SessionDep, admin: AdminPageUser
) -> Response:
    """E-mail a colleague a fresh link to set a password (the earlier one stops working)."""
    colleague = auth_service.get_user(session, organization_id=admin.organization_id,
                                      user_id=user_id)
    token = links.issue(session, user=colleague, purpose="welcome")
    _link_email(session, user=colleague, token=token, purpose="welcome", invited_by=admin)
    audit.record(session, actor=admin, action="user.password_link", object_type="user",
                 object_id=colleague.id, ip=client_ip(request))
    session.commit()
    return RedirectResponse("/admin/staff?done=welcome", status_code=303)


@router.post("/admin/organization/time-zone", dependencies=[CsrfChecked])
def set_time_zone(
    request: Request, session: SessionDep, admin: AdminPageUser,
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Show times in the organization's time zone (pages and e-mails)."""
    _ = gettext_for(_lang(request))
    organization = organization_service.get_own(session, admin.organization_id)
    try:
        organization_service.set_time_zone(session, organization=organization, name=time_zone)
    except ValueError:
        raise Invalid(
            _("time_zone: choose a time zone from the list, such as Europe/Rome.")) from None
    audit.record(session, actor=admin, action="organization.time_zone",
                 object_type="organization", object_id=organization.id,
                 details={"time_zone": time_zone}, ip=client_ip(request))
    session.commit()
    return RedirectResponse("/admin/staff?done=time_zone#time-zone", status_code=303)


# --- forgot password and the link -----------------------------------------------------------


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    """Ask for a link to set a new password."""
    return render(request, "auth/forgot.html", {"sent": request.query_params.get("sent")})


@router.post("/forgot-password", dependencies=[CsrfChecked])
def forgot(
    request: Request, session: SessionDep, email: Annotated[str, Form(max_length=320)] = ""
) -> Response:
    """Send a link to every active account with this e-mail; the answer is the same whether
    there is one or not (and past the hourly limit nothing more is sent, silently)."""
    address = auth_service.normalize_email(email)
    if address:
        try:
            ratelimit.enforce(session, limit=ratelimit.PASSWORD_RESETS, subject=address,
                              message="")
        except TooManyRequests:
            address = ""
    for account in auth_service.accounts_for_email(session, email=address) if address else []:
        token = links.issue(session, user=account, purpose="reset")
        _link_email(session, user=account, token=token, purpose="reset")
    session.commit()
    return RedirectResponse("/forgot-password?sent=1", status_code=303)


def _set_page(request: Request, token: str, *, valid: bool, errors: dict[str, str] | None = None,
              status_code: int = 200, user: User | None = None) -> Response:
    response = render(request, "auth/set_password.html", {
        "token": token, "valid": valid, "errors": errors or {}, "person": user,
    }, status_code=status_code, draft_keys=("errors",))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/set-password/{link}", response_class=HTMLResponse)
def set_password_form(link: str, request: Request, session: SessionDep) -> Response:
    """The form behind the link, or why the link no longer works."""
    found = links.find(session, token=link[:100])
    if found is None:
        return _set_page(request, link, valid=False, status_code=410)
    return _set_page(request, link, valid=True, user=found[1])


@router.post("/set-password/{link}", dependencies=[CsrfChecked])
def set_password(
    link: str, request: Request, session: SessionDep,
    password: Annotated[str, Form(max_length=200)] = "",
    password_again: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set the password (once); then sign in with it."""
    _ = gettext_for(_lang(request))
    try:
        user = links.use(session, token=link[:100], new=password, again=password_again,
                         translate=_)
    except Invalid as exc:
        session.rollback()
        found = links.find(session, token=link[:100])
        return _set_page(request, link, valid=found is not None,
                         errors=_field_errors(exc, _), status_code=422,
                         user=found[1] if found else None)
    if user is None:
        return _set_page(request, link, valid=False, status_code=410)
    audit.record(session, actor=user, action="user.password", object_type="user",
                 object_id=user.id, details={"by": "link"}, ip=client_ip(request))
    session.commit()
    return RedirectResponse("/login?password=set", status_code=303)
