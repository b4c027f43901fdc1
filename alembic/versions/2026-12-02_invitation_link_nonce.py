"""invitation links the server can rebuild: a nonce per invitation

Revision ID: b7e3c1a9f4d2
Revises: i15a1b2c3d4e5
Create Date: 2026-12-02 16:45:00

* ``invitation.link_nonce``: the random nonce a link's token is derived from with the secret
  key (app/candidates/links.py), so a reminder can repeat the link. Nullable: links made
  before this revision keep no nonce, and their reminders point to the invitation e-mail.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "b7e3c1a9f4d2"
down_revision: str | None = "i15a1b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("link_nonce", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("link_nonce")
