"""the desk: disclosure-application ledger, events, year inputs, calendar overrides

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "desk_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("t2", sa.JSON(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("signature_date", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_desk_year_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_year")),
        sa.UniqueConstraint("agency_id", "year", name="uq_desk_year_agency_year"),
    )
    op.create_table(
        "ledger_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("applicant_type", sa.String(length=20), nullable=False),
        sa.Column("applicant", sa.String(length=200), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("handler", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_ledger_application_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_application")),
        sa.UniqueConstraint("agency_id", "number", name="uq_ledger_application_agency_number"),
    )
    op.create_index(op.f("ix_ledger_application_agency_id"), "ledger_application", ["agency_id"])
    op.create_index(op.f("ix_ledger_application_received"), "ledger_application", ["received"])
    op.create_table(
        "ledger_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("document_no", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["ledger_application.id"],
            name=op.f("fk_ledger_event_application_id_ledger_application"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_event")),
        sa.UniqueConstraint("application_id", "seq", name="uq_ledger_event_application_seq"),
    )
    op.create_index(op.f("ix_ledger_event_application_id"), "ledger_event", ["application_id"])


def downgrade() -> None:
    op.drop_table("ledger_event")
    op.drop_table("ledger_application")
    op.drop_table("desk_year")
    op.drop_table("calendar_day")
