"""fairness and accountability: hash-chained audit log, voluntary self-identification

Revision ID: i17a1b2c3d4e5
Revises: 16a1b2c3d4e5
Create Date: 2026-12-02 13:30:00

* ``audit_log`` gains ``prev_hash``, ``content_hash``, ``entry_hash`` and ``pruned_at``;
  ``audit_head`` holds the newest entry of each organization's chain. Existing entries are
  sealed here, in id order, per organization (``app.audit.chain``).
* ``self_identification``: a candidate's voluntary answers, apart from their scores.
* ``contest``: a candidate's request to review a decision, its reviewer, due date, outcome.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from app.audit import chain as audit_chain

revision: str = "i17a1b2c3d4e5"
down_revision: str | None = "16a1b2c3d4e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASH = sqlmodel.sql.sqltypes.AutoString(length=64)


def _seal_existing() -> None:
    connection = op.get_bind()
    log = sa.table(
        "audit_log", sa.column("id"), sa.column("organization_id"), sa.column("actor_user_id"),
        sa.column("action"), sa.column("object_type"), sa.column("object_id"),
        sa.column("details", sa.JSON()), sa.column("ip"),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("prev_hash"), sa.column("content_hash"), sa.column("entry_hash"),
    )
    heads: dict[int, tuple[int, str, int]] = {}
    rows = connection.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        key = row["organization_id"] or 0
        _last, prev, count = heads.get(key, (0, audit_chain.GENESIS, 0))
        content = audit_chain.content_hash(row)
        entry = audit_chain.link(prev, content)
        connection.execute(
            log.update().where(log.c.id == row["id"])
            .values(prev_hash=prev, content_hash=content, entry_hash=entry)
        )
        heads[key] = (row["id"], entry, count + 1)
    head = sa.table("audit_head", sa.column("chain"), sa.column("last_id"),
                    sa.column("last_hash"), sa.column("entries"))
    for key, (last, entry, count) in heads.items():
        connection.execute(
            head.insert().values(chain=key, last_id=last, last_hash=entry, entries=count)
        )


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", HASH, nullable=True))
        batch_op.add_column(sa.Column("content_hash", HASH, nullable=True))
        batch_op.add_column(sa.Column("entry_hash", HASH, nullable=True))
        batch_op.add_column(
            sa.Column("pruned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "audit_head",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", HASH, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_head")),
    )
    _seal_existing()

    op.create_table(
        "self_identification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("gender", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("age_band", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("first_language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("disability", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("consent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], ondelete="CASCADE",
                                name=op.f("fk_self_identification_candidate_id_candidate")),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_self_identification_organization_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_identification")),
        sa.UniqueConstraint("candidate_id", name=op.f("uq_self_identification_candidate_id")),
    )
    with op.batch_alter_table("self_identification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_self_identification_organization_id"),
                              ["organization_id"], unique=False)


    op.create_table(
        "contest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("outcome_note", sqlmodel.sql.sqltypes.AutoString(length=4000),
                  nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], ondelete="CASCADE",
                                name=op.f("fk_contest_candidate_id_candidate")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["staff_user.id"],
                                name=op.f("fk_contest_closed_by_id_staff_user")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff_user.id"],
                                name=op.f("fk_contest_decided_by_id_staff_user")),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"], ondelete="SET NULL",
                                name=op.f("fk_contest_decision_id_decision")),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_contest_organization_id_organization")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["staff_user.id"],
                                name=op.f("fk_contest_reviewer_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contest")),
    )
    with op.batch_alter_table("contest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contest_candidate_id"), ["candidate_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_contest_organization_id"), ["organization_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_contest_reviewer_id"), ["reviewer_id"],
                              unique=False)


def downgrade() -> None:
    op.drop_table("contest")
    op.drop_table("self_identification")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("pruned_at")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("prev_hash")
