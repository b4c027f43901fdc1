"""Time in one place: timezone-aware UTC datetimes (SQLModel stores and returns them as UTC)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
