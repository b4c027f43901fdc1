"""Run Alembic from code (``kam init``, the tests) with the project's alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from alembic import command

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic config; with a connection, migrations run on it."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection | None = None, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(connection), revision)


def heads() -> list[str]:
    """The head revisions (there must be exactly one)."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def is_up_to_date() -> bool:
    """True when the database is at the single head revision."""
    from alembic.runtime.migration import MigrationContext

    from app.core.db import get_engine

    with get_engine().connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(heads())
