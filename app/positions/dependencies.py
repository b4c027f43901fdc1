"""Resolve a position from the path, or 404 (other organization, or not assigned)."""

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.auth.dependencies import StaffUser
from app.auth.models import User
from app.core.db import ReadSessionDep, ends_transactions
from app.positions import service as position_service
from app.positions.models import Position


def valid_position(position_id: int, session: Session, user: User) -> Position:
    """The position in the path, if the caller may see it."""
    return position_service.get(session, position_id=position_id, user=user)


@ends_transactions
def visible_position(position_id: int, session: ReadSessionDep, user: StaffUser) -> Position:
    """The position in the path, looked up with a read: an unknown or foreign id is a 404
    that never takes the write lock. The handler writes the returned (detached) object."""
    return valid_position(position_id, session, user)


VisiblePosition = Annotated[Position, Depends(visible_position)]
