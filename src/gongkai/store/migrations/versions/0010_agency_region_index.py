"""an index on agency.region_code; a store generation the database bumps on every change to reports

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# What the web's cached tallies depend on (store.reports.memo): reports, their versions, review decisions.
WATCHED = ("report_version", "report", "finding_decision", "agency")


def upgrade() -> None:
    # A region filter is a range over region codes (`store.clauses.starts_with`): with this index a
    # province in one year is ~500 look-ups, not a walk over the whole year's ~14,000 reports.
    op.create_index(op.f("ix_agency_region_code"), "agency", ["region_code"])
    # One number that changes whenever any of them does, whoever writes (any web worker, the CLI), read
    # in one look-up: the cache key of the web's tallies, instead of counting 100,000 current versions.
    if op.get_bind().dialect.name == "postgresql":
        # A sequence: nextval takes no lock and is seen by every session; one bump per statement.
        op.execute("CREATE SEQUENCE store_generation")
        op.execute(
            "CREATE FUNCTION store_generation_bump() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM nextval('store_generation'); RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER store_generation_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_generation_bump()"
            )
    else:
        # SQLite has one writer at a time and row triggers only: a one-row table.
        op.execute("CREATE TABLE store_generation (n INTEGER NOT NULL)")
        op.execute("INSERT INTO store_generation VALUES (0)")
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER store_generation_{table}_{event.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE store_generation SET n = n + 1; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER store_generation_{table} ON {table}")
        op.execute("DROP FUNCTION store_generation_bump()")
        op.execute("DROP SEQUENCE store_generation")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER store_generation_{table}_{event}")
        op.execute("DROP TABLE store_generation")
    op.drop_index(op.f("ix_agency_region_code"), table_name="agency")
