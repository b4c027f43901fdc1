"""decisions keep the score they were based on

Revision ID: acd606515bc6
Revises: d5f760be7a4a
Create Date: 2026-12-02 08:39:02.744646

Decisions recorded before this have no score: their basis is empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "acd606515bc6"
down_revision: str | None = "d5f760be7a4a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("scoring_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("basis", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_score_id_score"),
            "score",
            ["score_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.alter_column("basis", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decision_score_id_score"), type_="foreignkey")
        batch_op.drop_column("basis")
        batch_op.drop_column("scoring_version")
        batch_op.drop_column("score_id")
