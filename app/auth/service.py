"""Sign-in, sessions, bearer tokens and staff users. Services flush; handlers commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.auth import passwords, throttle
from app.auth.models import AuthSession, Role, User
from app.auth.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
)
from app.core import tenancy
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import pk
from app.core.errors import N_, Conflict, Invalid, NotAuthenticated, NotFound, field_problem
from app.core.fields import check_one_line
from app.core.tenancy import owned_by, readable
from app.organizations.models import Organization

WRONG_LOGIN = "Wrong e-mail or password."
# Kept for callers and tests that read it here; the rules are in app/auth/throttle.py.
IP_FAILURE_FACTOR = throttle.IP_FAILURE_FACTOR


class ChooseOrganization(Conflict):
    """The e-mail and password match accounts in several organizations: say which."""

    def __init__(self, organizations: list[Organization]) -> None:
        slugs = ", ".join(o.slug for o in organizations)
        super().__init__(
            "This e-mail and password open accounts in several organizations; sign in again "
            f"with one of them as organization: {slugs}."
        )
        self.organizations = organizations


def normalize_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    settings: Settings,
    organization: str | None = None,
) -> User:
    """The active user with these credentials; the same error for unknown user and bad password.

    An e-mail may have an account in several organizations. The password is checked against
    each (or only the one of ``organization``, a slug, when given); the sign-in succeeds when
    exactly one active account matches, and asks for the organization (409) when several do,
    which only someone who knows each of their passwords can see. A failure counts towards
    the delays of app/auth/throttle.py; the caller must commit even when this raises.
    """
    email = normalize_email(email)
    throttle.check(session, email=email, ip=ip, settings=settings)
    query = select(User).where(User.email == email).order_by(col(User.id))
    if organization:
        query = query.join(Organization, col(Organization.id) == User.organization_id).where(
            Organization.slug == organization.strip().lower()
        )
    accounts = list(session.exec(query))
    if not accounts:
        verify_password(None, password)  # the same time as a wrong password
    matching = [
        user for user in accounts
        if verify_password(user.password_hash, password) and user.is_active
    ]
    if not matching:
        throttle.failed(session, email=email, ip=ip)
        raise NotAuthenticated(WRONG_LOGIN)
    if len(matching) > 1:
        raise ChooseOrganization([
            organization_row for user in matching
            if (organization_row := session.get(Organization, user.organization_id)) is not None
        ])
    user = matching[0]
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    throttle.succeeded(session, user=user, ip=ip)
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


def open_session(
    session: Session,
    *,
    user: User,
    kind: str,
    hours: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Start a cookie session or issue a bearer token; returns the secret (stored hashed)."""
    token = new_token()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=pk(user),
            kind=kind,
            expires_at=utcnow() + timedelta(hours=hours),
            ip=ip,
            user_agent=(user_agent or "")[:400] or None,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, *, token: str, kind: str) -> User | None:
    """The active user behind a live session or token, or None."""
    row = session.exec(
        select(AuthSession, User)
        .join(User, col(User.id) == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token), AuthSession.kind == kind)
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.expires_at <= utcnow() or not user.is_active:
        return None
    return user


def close_session(session: Session, *, token: str) -> None:
    """End a session or revoke a token (idempotent)."""
    session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash(token)))
    session.flush()


def _field_error(field: str, message: str) -> Invalid:
    return field_problem(field, message, loc=["body", field])


def check_password(
    password: str, *, email: str = "", full_name: str = "",
    translate: Callable[[str], str] | None = None,
) -> None:
    """422 naming ``password`` and saying why (in the reader's language with ``translate``),
    when NIST SP 800-63B rules refuse it."""
    problem = passwords.message(password, context=(email, full_name), translate=translate)
    if problem is not None:
        raise _field_error("password", problem)


def create_user(
    session: Session,
    *,
    organization: Organization,
    email: str,
    full_name: str,
    role: Role | str,
    password: str,
    language: str = "en",
    translate: Callable[[str], str] | None = None,
) -> User:
    """A new staff user; the e-mail must be unused in the organization (accounts of other
    organizations are never looked at, so nothing about them can be learned here)."""
    email = normalize_email(email)
    role = Role(role)
    try:
        full_name = check_one_line("full_name", full_name)
    except ValueError as exc:
        raise _field_error("full_name", str(exc).partition(": ")[2]) from None
    check_password(password, email=email, full_name=full_name, translate=translate)
    existing = session.exec(
        select(User.id).where(User.email == email, owned_by(User, pk(organization)))
    ).first()
    if existing is not None:
        raise Conflict(N_("your organization already has a user with the e-mail %(email)s"),
                       field="email", params={"email": email})
    user = User(
        organization_id=pk(organization),
        email=email,
        full_name=full_name or email,
        role=role.value,
        password_hash=hash_password(password),
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, organization_id: int, user_id: int) -> User:
    """A user of the caller's organization; another organization's user is a 404."""
    user = tenancy.get(session, User, user_id, organization_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def list_users(session: Session, *, organization_id: int) -> list[User]:
    """The organization's staff, by name."""
    return list(
        session.exec(
            readable(User, organization_id).order_by(User.full_name)
        )
    )


def find_by_email(session: Session, *, organization_id: int, email: str) -> User | None:
    """The organization's user with this e-mail, if any."""
    return session.exec(
        readable(User, organization_id).where(User.email == normalize_email(email))
    ).first()


def set_active(session: Session, *, user: User, active: bool, actor: User | None = None) -> bool:
    """Deactivate (or reactivate) a staff user; True if it changed. Deactivating ends every
    session and token of the user at once; nobody deactivates their own account."""
    if actor is not None and actor.id == user.id and not active:
        raise Conflict(N_("You cannot deactivate your own account; ask another admin."))
    if user.is_active == active:
        return False
    user.is_active = active
    session.add(user)
    if not active:
        session.exec(delete(AuthSession).where(col(AuthSession.user_id) == user.id))
    session.flush()
    return True


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    again: str,
    keep_token: str | None = None,
    translate: Callable[[str], str] | None = None,
) -> None:
    """Change one's own password: the current one must be right, the new one acceptable and
    typed twice alike. Every other session and token of the user ends (the one in use,
    ``keep_token``, stays)."""
    _ = translate or (lambda text: text)
    if not verify_password(user.password_hash, current):
        raise _field_error("current_password", _("The current password is not right."))
    if new != again:
        raise _field_error("new_password_again", _("The two new passwords are not the same."))
    try:
        check_password(new, email=user.email, full_name=user.full_name, translate=translate)
    except Invalid as exc:
        raise _field_error("new_password", exc.detail[0]["msg"]) from None
    user.password_hash = hash_password(new)
    session.add(user)
    others = delete(AuthSession).where(col(AuthSession.user_id) == user.id)
    if keep_token:
        others = others.where(col(AuthSession.token_hash) != token_hash(keep_token))
    session.exec(others)
    session.flush()


def add_colleague(
    session: Session,
    *,
    organization: Organization,
    email: str,
    full_name: str,
    role: Role | str,
    language: str = "en",
    password_hash: str,
) -> User:
    """A new staff user who sets their own password through a link (``password_hash`` is
    one nobody knows); the e-mail must be unused in the organization."""
    email = normalize_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise _field_error("role", N_("choose admin, hr or manager")) from None
    try:
        full_name = check_one_line("full_name", full_name)
    except ValueError as exc:
        raise _field_error("full_name", str(exc).partition(": ")[2]) from None
    if not full_name.strip():
        raise _field_error("full_name", N_("write the colleague's name"))
    if "@" not in email or len(email) > 320:
        raise _field_error("email", N_("write an e-mail address"))
    if find_by_email(session, organization_id=pk(organization), email=email) is not None:
        raise Conflict(N_("your organization already has a user with the e-mail %(email)s"),
                       field="email", params={"email": email})
    user = User(organization_id=pk(organization), email=email, full_name=full_name,
                role=role.value, password_hash=password_hash,
                language=language if language in ("it", "en") else "en")
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, *, user: User, role: Role | str, actor: User) -> bool:
    """Change a colleague's role; True if it changed. Nobody changes their own role (so an
    organization always keeps the admin who is doing it)."""
    role = Role(role)
    if actor.id == user.id:
        raise Conflict(N_("You cannot change your own role; ask another admin."))
    if user.role == role.value:
        return False
    user.role = role.value
    session.add(user)
    session.flush()
    return True


def accounts_for_email(session: Session, *, email: str) -> list[User]:
    """Every active account with this e-mail, in any organization (for "forgot password")."""
    return list(session.exec(
        select(User).where(User.email == normalize_email(email), col(User.is_active).is_(True))
    ))
