"""applicants under Art. 29 (identity, contact, information, form wanted), retention purge marker;
the public portal: agencies open to online applications and submissions awaiting confirmation

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = (
    ("id_type", 20),
    ("legal_rep", 200),
    ("contact_person", 200),
    ("phone", 40),
    ("address", 300),
    ("postcode", 10),
    ("email", 200),
    ("info_title", 300),
    ("info_number", 100),
    ("form_wanted", 20),
    ("delivery", 20),
)


def upgrade() -> None:
    with op.batch_alter_table("ledger_application") as b:
        for name, length in _TEXT_COLUMNS:
            b.add_column(sa.Column(name, sa.String(length=length), server_default="", nullable=False))
        b.add_column(sa.Column("purged_at", sa.DateTime(), nullable=True))
    op.create_table(
        "portal_agency",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_portal_agency_agency_id_agency")),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_portal_agency")),
    )
    op.create_table(
        "portal_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("attachment_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_portal_submission_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["ledger_application.id"],
            name=op.f("fk_portal_submission_application_id_ledger_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_submission")),
        sa.UniqueConstraint("agency_id", "number", name="uq_portal_submission_agency_number"),
    )
    op.create_index(op.f("ix_portal_submission_agency_id"), "portal_submission", ["agency_id"])
    op.create_index(op.f("ix_portal_submission_number"), "portal_submission", ["number"])


def downgrade() -> None:
    op.drop_table("portal_submission")
    op.drop_table("portal_agency")
    with op.batch_alter_table("ledger_application") as b:
        b.drop_column("purged_at")
        for name, _ in reversed(_TEXT_COLUMNS):
            b.drop_column(name)
