"""the collector: sites, fetched documents, crawl errors

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("last_run", sa.DateTime(), nullable=True),
        sa.Column("last_state", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_site")),
        sa.UniqueConstraint("agency", "url", name="uq_crawl_site_agency_url"),
    )
    op.create_index(op.f("ix_crawl_site_agency"), "crawl_site", ["agency"])
    op.create_table(
        "fetched_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("same_as", sa.Integer(), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["crawl_site.id"],
            name=op.f("fk_fetched_document_site_id_crawl_site"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["report_version.id"],
            name=op.f("fk_fetched_document_version_id_report_version"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetched_document")),
        sa.UniqueConstraint("url", "sha256", name="uq_fetched_document_url_sha256"),
    )
    op.create_index(op.f("ix_fetched_document_site_id"), "fetched_document", ["site_id"])
    op.create_index(op.f("ix_fetched_document_agency"), "fetched_document", ["agency"])
    op.create_index(op.f("ix_fetched_document_sha256"), "fetched_document", ["sha256"])
    op.create_index(op.f("ix_fetched_document_version_id"), "fetched_document", ["version_id"])
    op.create_index("ix_fetched_document_url", "fetched_document", ["url"])
    op.create_table(
        "crawl_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("error_en", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["crawl_site.id"], name=op.f("fk_crawl_error_site_id_crawl_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_error")),
    )
    op.create_index(op.f("ix_crawl_error_site_id"), "crawl_error", ["site_id"])


def downgrade() -> None:
    op.drop_table("crawl_error")
    op.drop_table("fetched_document")
    op.drop_table("crawl_site")
