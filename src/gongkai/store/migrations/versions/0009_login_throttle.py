"""login throttle in the database: one count for every web worker; a finding keeps the value the
identities suggest for a misread scan cell

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last"), "login_throttle", ["last"])
    with op.batch_alter_table("finding") as b:
        b.add_column(sa.Column("suggested", sa.JSON(), nullable=True))
    # Region tallies and trends read (errors, dismissed errors, summary) of every current version in a
    # region. Those columns sit after the ~3 KB `meta` in each row, so SQLite walked meta's overflow pages
    # for each: 160 ms for a province at 100k reports. An index holding them answers without the rows.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_report_version_light ON report_version (report_id, is_current) "
            "INCLUDE (errors, dismissed_errors, summary)"
        )
    else:
        op.execute(
            "CREATE INDEX ix_report_version_light ON report_version "
            "(report_id, is_current, errors, dismissed_errors, summary)"
        )


def downgrade() -> None:
    op.execute("DROP INDEX ix_report_version_light")
    with op.batch_alter_table("finding") as b:
        b.drop_column("suggested")
    op.drop_index(op.f("ix_login_throttle_last"), table_name="login_throttle")
    op.drop_table("login_throttle")
