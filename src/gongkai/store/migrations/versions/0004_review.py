"""the review: decisions on findings, cell notes, review steps, expected agencies, audit log;
reviewer regions and disabled accounts; per-version summary (ratios, key cells) for compare

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report") as b:
        b.add_column(
            sa.Column("review_status", sa.String(length=20), nullable=False, server_default="pending")
        )
    with op.batch_alter_table("report_version") as b:
        b.add_column(sa.Column("dismissed_errors", sa.Integer(), nullable=False, server_default="0"))
        b.add_column(sa.Column("summary", sa.JSON(), nullable=True))
    with op.batch_alter_table("finding") as b:
        b.add_column(sa.Column("review", sa.String(length=10), nullable=True))
    with op.batch_alter_table("app_user") as b:
        b.add_column(sa.Column("region_code", sa.String(length=12), nullable=False, server_default=""))
        b.add_column(sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "finding_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["finding.id"],
            name=op.f("fk_finding_decision_finding_id_finding"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_decision")),
    )
    op.create_index(op.f("ix_finding_decision_finding_id"), "finding_decision", ["finding_id"])
    op.create_table(
        "cell_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.String(length=60), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_version.id"],
            name=op.f("fk_cell_note_version_id_report_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cell_note")),
    )
    op.create_index(op.f("ix_cell_note_version_id"), "cell_note", ["version_id"])
    op.create_table(
        "review_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_review_step_report_id_report"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_step")),
    )
    op.create_index(op.f("ix_review_step_report_id"), "review_step", ["report_id"])
    op.create_table(
        "expected_agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expected_agency")),
        sa.UniqueConstraint("name", "region_code", name="uq_expected_agency_name_region"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])


def downgrade() -> None:
    for t in ("audit_log", "expected_agency", "review_step", "cell_note", "finding_decision"):
        op.drop_table(t)
    with op.batch_alter_table("app_user") as b:
        b.drop_column("disabled")
        b.drop_column("region_code")
    with op.batch_alter_table("finding") as b:
        b.drop_column("review")
    with op.batch_alter_table("report_version") as b:
        b.drop_column("summary")
        b.drop_column("dismissed_errors")
    with op.batch_alter_table("report") as b:
        b.drop_column("review_status")
