"""Positions on the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from app.audit import service as audit
from app.auth.dependencies import HrUser, StaffUser, client_ip
from app.core.db import SessionDep, SessionRoute
from app.positions import service as position_service
from app.positions.dependencies import VisiblePosition, valid_position
from app.positions.schemas import PositionCreate, PositionPublic, PositionUpdate
from app.scores import service as score_service

router = APIRouter(route_class=SessionRoute, prefix="/api/v1", tags=["positions"])


@router.post("/positions", response_model=PositionPublic, status_code=status.HTTP_201_CREATED)
def create_position(
    request: Request, session: SessionDep, user: HrUser, data: PositionCreate
) -> PositionPublic:
    """Open a position (admin, hr)."""
    position = position_service.create(session, data=data, actor=user)
    audit.record(session, actor=user, action="position.create", object_type="position",
                 object_id=position.id, details={"title": position.title}, ip=client_ip(request))
    result = position_service.public(session, position)
    session.commit()
    return result


@router.get("/positions", response_model=list[PositionPublic])
def list_positions(session: SessionDep, user: StaffUser) -> list[PositionPublic]:
    """The positions the caller may see (managers: those assigned to them)."""
    return [position_service.public(session, p)
            for p in position_service.list_visible(session, user=user)]


@router.get("/positions/{position_id}", response_model=PositionPublic)
def get_position(position_id: int, session: SessionDep, user: StaffUser) -> PositionPublic:
    """One position."""
    position = valid_position(position_id, session, user)
    return position_service.public(session, position)


@router.patch("/positions/{position_id}", response_model=PositionPublic)
def update_position(
    user: HrUser, position: VisiblePosition, request: Request, session: SessionDep,
    data: PositionUpdate,
) -> PositionPublic:
    """Change a position (admin, hr). New weights re-rank from stored scores."""
    before = position_service.rule_snapshot(position)
    changes = position_service.update(session, position=position, data=data)
    if position_service.changes_scores(changes):
        score_service.rescore_position(session, position=position)
    audit.record(session, actor=user, action="position.update", object_type="position",
                 object_id=position.id, details={"fields": sorted(changes),
                          **position_service.rule_changes(before, position)},
                 ip=client_ip(request))
    result = position_service.public(session, position)
    session.commit()
    return result
