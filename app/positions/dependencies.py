"""Resolve a position from the path, or 404 (other organization, or not assigned)."""

from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import StaffUser
from app.db import SessionDep
from app.positions import service as position_service
from app.positions.models import Position


def valid_position(position_id: int, session: SessionDep, user: StaffUser) -> Position:
    """The position in the path, if the caller may see it."""
    return position_service.get(session, position_id=position_id, user=user)


VisiblePosition = Annotated[Position, Depends(valid_position)]
