"""bank v2: forms on attempts, item exposure, pinned versions, the hurdle's language

Revision ID: 7c1d2e9a4b10
Revises: 7c1e4a9b2d30
Create Date: 2026-12-02 12:00:00

* ``attempt.forms``: the items each section's form gave the candidate (``{}`` for attempts
  taken before bank v2, whose sections show every item).
* ``item_exposure``: how many candidates of an organization have seen each item.
* ``position.questionnaire_versions``: the versions a position's candidates take; an
  existing position keeps the versions published when it was migrated (v1), so its campaign
  stays on one version, and new positions get the newest.
* ``position.language_hurdle``: from a level ("B2", measured in English) to
  ``{"language": "en", "level": "B2"}``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "7c1d2e9a4b10"
down_revision: str | None = "7c1e4a9b2d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("forms", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.alter_column("forms", server_default=None)

    op.create_table(
        "item_exposure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_key", sqlmodel.sql.sqltypes.AutoString(length=80),
                  nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("exposures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_item_exposure_organization_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_exposure")),
        sa.UniqueConstraint("organization_id", "questionnaire_key", "questionnaire_version",
                            "item_id", name=op.f("uq_item_exposure_item")),
    )
    with op.batch_alter_table("item_exposure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_exposure_organization_id"),
                              ["organization_id"], unique=False)

    # Copy, drop, re-create: SQLite's batch mode cannot change the type of a column in place
    # while its rows are rewritten, so the new value waits in a scratch column.
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hurdle_new", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("questionnaire_versions", sa.JSON(), nullable=True))
    connection = op.get_bind()
    published = dict(connection.execute(sa.text(
        "SELECT key, MAX(version) FROM questionnaire_version GROUP BY key"
    )).all())
    position = sa.table(
        "position", sa.column("id", sa.Integer), sa.column("language_hurdle", sa.String),
        sa.column("questionnaires", sa.JSON), sa.column("hurdle_new", sa.JSON),
        sa.column("questionnaire_versions", sa.JSON),
    )
    rows = connection.execute(
        sa.select(position.c.id, position.c.language_hurdle, position.c.questionnaires)
    ).all()
    for position_id, level, keys in rows:
        connection.execute(
            position.update().where(position.c.id == position_id).values(
                hurdle_new={"language": "en", "level": level} if level else None,
                questionnaire_versions={key: published.get(key, 1) for key in keys or []},
            )
        )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("language_hurdle")
        batch_op.alter_column("questionnaire_versions", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_hurdle", sa.JSON(), nullable=True))
    moved = sa.table("position", sa.column("language_hurdle", sa.JSON),
                     sa.column("hurdle_new", sa.JSON))
    connection.execute(moved.update().values(language_hurdle=moved.c.hurdle_new))
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("hurdle_new")


def downgrade() -> None:
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hurdle_old", sqlmodel.sql.sqltypes.AutoString(length=8),
                                      nullable=True))
    connection = op.get_bind()
    position = sa.table("position", sa.column("id", sa.Integer),
                        sa.column("language_hurdle", sa.JSON), sa.column("hurdle_old", sa.String))
    for position_id, hurdle in connection.execute(
        sa.select(position.c.id, position.c.language_hurdle)
    ).all():
        connection.execute(position.update().where(position.c.id == position_id)
                           .values(hurdle_old=(hurdle or {}).get("level")))
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("language_hurdle")
        batch_op.drop_column("questionnaire_versions")
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_hurdle",
                                      sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
    moved = sa.table("position", sa.column("language_hurdle", sa.String),
                     sa.column("hurdle_old", sa.String))
    connection.execute(moved.update().values(language_hurdle=moved.c.hurdle_old))
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("hurdle_old")
    with op.batch_alter_table("item_exposure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_exposure_organization_id"))
    op.drop_table("item_exposure")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_column("forms")
