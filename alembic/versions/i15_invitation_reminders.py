"""reminders and notices: a position's switch, when each invitation was reminded, who is
told about completions

Revision ID: i15a1b2c3d4e5
Revises: i17a1b2c3d4e5
Create Date: 2026-12-02 14:00:00

* ``position.reminders``: whether the worker e-mails reminders to this position's candidates
  (on for every position, existing ones included); ``position.feedback_page``: whether
  candidates see a developmental feedback page after handing in (off).
* ``invitation.reminded_unstarted_at`` / ``invitation.reminded_expiry_at``: when the reminder
  "not started after 48 hours" and "the link expires within 24 hours" went to the outbox.
* ``staff_user.notify_completions``: e-mail this person when a candidate completes (off).
* ``staff_user.dashboard_seen_at``: the previous visit of the dashboard.
* ``password_link``: single-use links to set a password (a new colleague, a forgotten one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "i15a1b2c3d4e5"
down_revision: str | None = "i17a1b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.alter_column("reminders", server_default=None)
        batch_op.add_column(sa.Column("feedback_page", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.alter_column("feedback_page", server_default=None)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        for name in ("reminded_unstarted_at", "reminded_expiry_at"):
            batch_op.add_column(
                sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
            )
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_completions", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.alter_column("notify_completions", server_default=None)
        batch_op.add_column(
            sa.Column("dashboard_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )

    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"],
                                name=op.f("fk_password_link_user_id_staff_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_link_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_link_user_id"))
    op.drop_table("password_link")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("dashboard_seen_at")
        batch_op.drop_column("notify_completions")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("reminded_expiry_at")
        batch_op.drop_column("reminded_unstarted_at")
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_column("feedback_page")
        batch_op.drop_column("reminders")
