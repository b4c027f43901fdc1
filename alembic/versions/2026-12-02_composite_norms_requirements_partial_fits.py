"""composite norms, requirements and partial fits

Revision ID: d5f760be7a4a
Revises: 986f834b5d46
Create Date: 2026-12-02 07:55:22.149393

The scores already stored get ``requirements_passed`` from what they hold (knock-outs and
hurdles) and ``fit_coverage`` 1.0 where they have a fit score; partial fits and the
re-standardized fit follow at the next rescore (a norm rebuild or a change of rules).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "d5f760be7a4a"
down_revision: str | None = "986f834b5d46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _requirements(knockouts: bool | None, hurdles: bool | None) -> bool | None:
    if knockouts is False or hurdles is False:
        return False
    if knockouts is None or hurdles is None:
        return None
    return True


def upgrade() -> None:
    op.create_table(
        "composite_norm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_composite_norm_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["position.id"],
            name=op.f("fk_composite_norm_position_id_position"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_composite_norm")),
        sa.UniqueConstraint("position_id", name=op.f("uq_composite_norm_position_id")),
    )
    with op.batch_alter_table("composite_norm", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_composite_norm_organization_id"), ["organization_id"], unique=False
        )

    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partial_fit", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("fit_coverage", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("requirements_passed", sa.Boolean(), nullable=True))

    score = sa.table(
        "score",
        sa.column("id", sa.Integer()),
        sa.column("fit_score", sa.Float()),
        sa.column("knockouts_passed", sa.Boolean()),
        sa.column("composite", sa.JSON()),
        sa.column("fit_coverage", sa.Float()),
        sa.column("requirements_passed", sa.Boolean()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(score.c.id, score.c.fit_score, score.c.knockouts_passed, score.c.composite)
    ).all()
    updates = [
        {
            "score_id": row.id,
            "coverage": None if row.fit_score is None else 1.0,
            "passed": _requirements(
                row.knockouts_passed, (row.composite or {}).get("hurdles_passed")
            ),
        }
        for row in rows
    ]
    if updates:
        bind.execute(
            sa.update(score)
            .where(score.c.id == sa.bindparam("score_id"))
            .values(
                fit_coverage=sa.bindparam("coverage"),
                requirements_passed=sa.bindparam("passed"),
            ),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("score", schema=None) as batch_op:
        batch_op.drop_column("requirements_passed")
        batch_op.drop_column("fit_coverage")
        batch_op.drop_column("partial_fit")

    with op.batch_alter_table("composite_norm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_composite_norm_organization_id"))

    op.drop_table("composite_norm")
