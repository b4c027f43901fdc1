"""Auth and staff users on the JSON API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from app.audit import service as audit
from app.auth import service as auth_service
from app.auth.dependencies import AdminUser, StaffUser, bearer_scheme, client_ip
from app.auth.schemas import Me, Token, UserCreate, UserPublic, UserUpdate
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import SessionDep, SessionRoute
from app.core.errors import NotAuthenticated
from app.core.i18n import gettext_for
from app.organizations import service as organization_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=Token)
def issue_token(
    request: Request,
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    organization: Annotated[
        str | None,
        Form(max_length=100, description="the organization's slug: needed only when the "
             "e-mail and password open accounts in several organizations (a 409 lists them)"),
    ] = None,
) -> Token:
    """Exchange e-mail (``username``) and password for a bearer token."""
    settings = get_settings()
    try:
        user = auth_service.authenticate(
            session,
            email=form.username,
            password=form.password,
            ip=client_ip(request),
            settings=settings,
            organization=organization or None,
        )
    except NotAuthenticated as exc:
        session.commit()  # keep the failure: it counts towards the rate limit
        exc.headers = {"WWW-Authenticate": "Bearer"}
        raise
    token = auth_service.open_session(
        session,
        user=user,
        kind="bearer",
        hours=settings.api_token_hours,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    session.commit()
    expires = utcnow() + timedelta(hours=settings.api_token_hours)
    return Token(access_token=token, expires_at=expires)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    session: SessionDep,
    user: StaffUser,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Response:
    """Revoke the bearer token used for this call."""
    if token:
        auth_service.close_session(session, token=token)
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def me(session: SessionDep, user: StaffUser) -> Me:
    """Who the token belongs to."""
    organization = organization_service.get(session, user.organization_id)
    return Me(**user.model_dump(), organization_name=organization.name if organization else "")


@router.get("/users", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: AdminUser) -> list[UserPublic]:
    """The organization's staff (admins only)."""
    users = auth_service.list_users(session, organization_id=admin.organization_id)
    return [UserPublic.model_validate(user, from_attributes=True) for user in users]


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(
    request: Request, session: SessionDep, admin: AdminUser, data: UserCreate
) -> UserPublic:
    """Add a staff user to the caller's organization (admins only)."""
    organization = organization_service.get_own(session, admin.organization_id)
    user = auth_service.create_user(
        session,
        organization=organization,
        email=data.email,
        full_name=data.full_name,
        role=data.role,
        password=data.password,
        language=data.language,
        # Why a password is refused, in the admin's own language.
        translate=gettext_for(getattr(request.state, "language", "en")),
    )
    audit.record(
        session,
        actor=admin,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={"email": user.email, "role": user.role},
        ip=client_ip(request),
    )
    session.commit()
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users/{user_id}", response_model=UserPublic)
def get_user(session: SessionDep, admin: AdminUser, user_id: int) -> UserPublic:
    """One staff user of the caller's organization (admins only)."""
    user = auth_service.get_user(session, organization_id=admin.organization_id, user_id=user_id)
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(
    user_id: int, request: Request, session: SessionDep, admin: AdminUser, data: UserUpdate
) -> UserPublic:
    """Deactivate or reactivate a staff user (admins only): a deactivated user's sessions
    and tokens stop working at once, and their sign-ins fail like a wrong password."""
    user = auth_service.get_user(session, organization_id=admin.organization_id, user_id=user_id)
    if data.is_active is not None and auth_service.set_active(
        session, user=user, active=data.is_active, actor=admin
    ):
        audit.record(
            session,
            actor=admin,
            action="user.activate" if data.is_active else "user.deactivate",
            object_type="user",
            object_id=user.id,
            details={"email": user.email},
            ip=client_ip(request),
        )
    result = UserPublic.model_validate(user, from_attributes=True)
    session.commit()
    return result
