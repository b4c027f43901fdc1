"""structured interviews, candidate stages, overall weights and hire outcomes (issue 16)

Revision ID: 16a1b2c3d4e5
Revises: 7c1d2e9a4b10
Create Date: 2026-12-02 13:30:00

Candidates already there start at the stage their record shows: "decision" when someone
recorded a hire or a rejection, else "assessment".
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "16a1b2c3d4e5"
down_revision: str | None = "7c1d2e9a4b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                      server_default="assessment")
        )
        batch_op.create_index(batch_op.f("ix_candidate_stage"), ["stage"], unique=False)
    op.execute(
        "UPDATE candidate SET stage = 'decision' WHERE id IN "
        "(SELECT candidate_id FROM decision WHERE decision IN ('hire', 'reject'))"
    )
    op.create_table(
        "interview_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revisions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_interview_assignment_organization_id_organization")),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"],
                                name=op.f("fk_interview_assignment_position_id_position")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name=op.f("fk_interview_assignment_candidate_id_candidate"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["interviewer_id"], ["staff_user.id"],
                                name=op.f("fk_interview_assignment_interviewer_id_staff_user")),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["staff_user.id"],
                                name=op.f("fk_interview_assignment_assigned_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_assignment")),
        sa.UniqueConstraint("candidate_id", "interviewer_id",
                            name=op.f("uq_interview_assignment_candidate_id_interviewer_id")),
    )
    for column in ("organization_id", "position_id", "candidate_id", "interviewer_id"):
        op.create_index(op.f(f"ix_interview_assignment_{column}"), "interview_assignment",
                        [column], unique=False)
    op.create_table(
        "overall_weights",
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("test_weight", sa.Float(), nullable=False),
        sa.Column("interview_weight", sa.Float(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"],
                                name=op.f("fk_overall_weights_position_id_position"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_overall_weights_organization_id_organization")),
        sa.PrimaryKeyConstraint("position_id", name=op.f("pk_overall_weights")),
    )
    op.create_index(op.f("ix_overall_weights_organization_id"), "overall_weights",
                    ["organization_id"], unique=False)
    op.create_table(
        "hire_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("performance", sa.Integer(), nullable=True),
        sa.Column("performance_by_competency", sa.JSON(), nullable=False),
        sa.Column("quota_attainment_pct", sa.Float(), nullable=True),
        sa.Column("still_employed", sa.Boolean(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("months_to_quota", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_hire_outcome_organization_id_organization")),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"],
                                name=op.f("fk_hire_outcome_position_id_position")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name=op.f("fk_hire_outcome_candidate_id_candidate"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["staff_user.id"],
                                name=op.f("fk_hire_outcome_recorded_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hire_outcome")),
        sa.UniqueConstraint("candidate_id", "months",
                            name=op.f("uq_hire_outcome_candidate_id_months")),
    )
    for column in ("organization_id", "position_id", "candidate_id"):
        op.create_index(op.f(f"ix_hire_outcome_{column}"), "hire_outcome", [column], unique=False)
    op.create_table(
        "outcome_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"],
                                name=op.f("fk_outcome_reminder_organization_id_organization")),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"],
                                name=op.f("fk_outcome_reminder_candidate_id_candidate"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_reminder")),
        sa.UniqueConstraint("candidate_id", "months",
                            name=op.f("uq_outcome_reminder_candidate_id_months")),
    )
    for column in ("organization_id", "candidate_id"):
        op.create_index(op.f(f"ix_outcome_reminder_{column}"), "outcome_reminder", [column],
                        unique=False)


def downgrade() -> None:
    op.drop_table("outcome_reminder")
    op.drop_table("hire_outcome")
    op.drop_table("overall_weights")
    op.drop_table("interview_assignment")
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_stage"))
        batch_op.drop_column("stage")
