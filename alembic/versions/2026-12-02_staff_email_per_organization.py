"""staff e-mails unique per organization; addresses staff sign in from

Revision ID: 7c1e4a9b2d30
Revises: acd606515bc6
Create Date: 2026-12-02 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "7c1e4a9b2d30"
down_revision: str | None = "acd606515bc6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One e-mail may have an account in several organizations (an agency's consultant), so
    # an admin of one cannot learn from a refusal that it exists in another.
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_staff_user_email"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_staff_user_organization_id_email"), ["organization_id", "email"]
        )
        batch_op.create_index(batch_op.f("ix_staff_user_email"), ["email"], unique=False)
    op.create_table(
        "login_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"],
                                name=op.f("fk_login_address_user_id_staff_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_address")),
        sa.UniqueConstraint("user_id", "ip", name=op.f("uq_login_address_user_id_ip")),
    )


def downgrade() -> None:
    op.drop_table("login_address")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_user_email"))
        batch_op.drop_constraint(batch_op.f("uq_staff_user_organization_id_email"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_staff_user_email"), ["email"])
