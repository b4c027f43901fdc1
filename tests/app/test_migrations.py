"""Alembic is the only way the schema is made: one head, upgrades cleanly, matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import app.models
from app.db import get_engine
from app.migrations import heads, is_up_to_date, upgrade


def test_there_is_exactly_one_head():
    assert len(heads()) == 1


def test_empty_database_upgrades_to_head(fresh_database):
    engine = get_engine()
    assert not is_up_to_date()
    upgrade()
    assert is_up_to_date()
    assert set(app.models.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, app.models.metadata)
    assert differences == []


def test_upgrading_twice_changes_nothing(fresh_database):
    upgrade()
    upgrade()
    assert is_up_to_date()
