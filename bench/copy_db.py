"""Copy a filled benchmark database to another URL (SQLite → PostgreSQL), table by table with COPY, so
that the web benchmark runs on both back ends over the same rows without generating them twice.

    .venv/bin/python bench/copy_db.py sqlite:///bench/web-100k.db \
        postgresql+psycopg://postgres@127.0.0.1:5432/gongkai_bench_web100k
"""

from __future__ import annotations

import json
import sys
import time

import psycopg
from sqlalchemy import JSON, create_engine, select, text

from gongkai.store import Store
from gongkai.store.models import Base

TABLES = ("agency", "report", "report_version", "cell", "finding", "search_doc", "stored_file")


def main() -> None:
    src_url, dst_url = sys.argv[1], sys.argv[2]
    name = dst_url.rsplit("/", 1)[1]
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    Store.open(dst_url).close()  # the schema, by the migrations
    src = create_engine(src_url)
    raw = psycopg.connect(dst_url.replace("postgresql+psycopg://", "postgresql://"))
    for table in TABLES:
        t = Base.metadata.tables[table]
        cols = [c.name for c in t.columns]
        json_cols = {i for i, c in enumerate(t.columns) if isinstance(c.type, JSON)}
        t0, n = time.perf_counter(), 0
        with src.connect() as conn, raw.cursor() as cur:
            result = conn.execution_options(stream_results=True).execute(
                select(*[text(f'"{c}"') for c in cols]).select_from(t)
            )
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                for row in result:
                    row = list(row)
                    for i in json_cols:
                        if row[i] is not None and not isinstance(row[i], str):
                            row[i] = json.dumps(row[i])
                    if table in ("report_version", "stored_file"):
                        row = [bool(v) if cols[k] in ("is_current",) else v for k, v in enumerate(row)]
                    cp.write_row(row)
                    n += 1
        raw.commit()
        print(f"{table}: {n} rows in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    with raw.cursor() as cur:
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
                if "id" in [c.name for c in Base.metadata.tables[table].columns]
                else "SELECT 1"
            )
    raw.commit()
    raw.close()
    store = Store.open(dst_url)
    store.optimize()  # statistics and the visibility map, as after any bulk load
    store.close()


if __name__ == "__main__":
    main()
