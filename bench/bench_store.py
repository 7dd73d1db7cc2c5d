"""Store save rate: the five seed reports saved N times (as new versions) into SQLite and PostgreSQL, one
transaction each (save_report) and in batches (save_reports, as ingest saves).

.venv/bin/python bench/bench_store.py [--n 400] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from gongkai import api
from gongkai.store import Store
from gongkai.store.rows import prepare


def run(store: Store, reports, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        r = reports[i % len(reports)]
        store.reports.save(r, uuid.uuid4().hex * 2, f"copy-{i}")
    return n / (time.perf_counter() - t0)


def run_bulk(store: Store, reports, n: int, prepared: bool, batch: int = 200) -> float:
    """save_reports in batches (ingest's path); ``prepared``: rows built beforehand, as ingest's workers do."""
    items = [prepare(r) for r in reports] if prepared else reports
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        store.reports.save_many(
            [
                (items[i % len(items)], uuid.uuid4().hex * 2, f"copy-{i}")
                for i in range(start, min(n, start + batch))
            ]
        )
    return n / (time.perf_counter() - t0)


def rates(store: Store, reports, n: int) -> str:
    one = run(store, reports, n)
    bulk = run_bulk(store, reports, n, prepared=False)
    ready = run_bulk(store, reports, n, prepared=True)
    return f"{one:.0f} one by one, {bulk:.0f} in batches of 200, {ready:.0f} prepared in batches (reports/s)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    args = ap.parse_args()
    reports = [api.parse(p) for p in sorted((args.shared / "seeds").glob("*.txt"))]
    with tempfile.TemporaryDirectory() as d:
        print(f"SQLite (WAL): {rates(Store.open(f'sqlite:///{d}/b.db'), reports, args.n)}")
    name = f"gongkai_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f"create database {name}")
    try:
        store = Store.open(
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", files_dir=tempfile.mkdtemp()
        )
        print(f"PostgreSQL 15: {rates(store, reports, args.n)}")
        store.close()
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"drop database {name} with (force)")


if __name__ == "__main__":
    main()
