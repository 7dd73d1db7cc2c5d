"""Web and API latency (p50/p95) with N reports in the database, through a real server over HTTP.

    .venv/bin/python bench/bench_web.py --reports 10000 --db sqlite:///bench/web-10k.db
    .venv/bin/python bench/bench_web.py --reports 10000 --db postgresql+psycopg://postgres@127.0.0.1:5432/gongkai_bench_web

The database is filled once with synthetic reports (gongkai.demo.synthetic: deterministic, every
region level, both formats, some with errors) and reused by later runs. Then `gongkai serve` runs
in its own process and one client requests each endpoint ``--requests`` times with varied
parameters, the way a reviewer clicks through, and prints p50/p95/max per endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gongkai import regions
from gongkai.demo import DEPARTMENTS, _break, _region, synthetic
from gongkai.errors import GongkaiError
from gongkai.report import Agency
from gongkai.rules import run_rules
from gongkai.store import Store

ROOT = Path(__file__).resolve().parents[1]
BENCH_PASSWORD = "bench-web-password-1"


def fill(store: Store, n: int, seed: int = 7) -> int:
    """Add synthetic reports until the store holds ``n``; returns how many were added."""
    have = store.reports.counts()["reports"]
    if have >= n:
        return 0
    rng = random.Random(seed)
    counties = [r.code for r in regions.regions() if r.level == "county"]
    years = range(2019, 2026)
    added, t0 = 0, time.perf_counter()
    k = 0
    batch = []
    save_many = store.reports.save_many
    while have + added < n:
        code = counties[k % len(counties)]
        region = _region(code)
        place = f"{region.city or ''}{region.county or ''}"
        dept = k // len(counties)
        name = f"{place}人民政府" if dept == 0 else f"{place}{DEPARTMENTS[(dept - 1) % len(DEPARTMENTS)]}"
        agency = Agency(name, "government" if dept == 0 else "department", region)
        state: dict = {"forward": {}, "in_force": {}}
        for year in years:
            report, state = synthetic(agency, year, state["forward"], rng, state["in_force"])
            if rng.random() < 0.15:
                _break(report, rng)
            report.findings = run_rules(report)
            sha = f"{k:08x}{year:04d}".ljust(64, "0")
            batch.append((report, sha, f"bench/{k}/{year}"))
            if len(batch) >= 500:
                save_many(batch)
                batch = []
            added += 1
            if have + added >= n:
                break
        k += 1
        if k % 200 == 0:
            print(f"  {have + added} reports ({added / (time.perf_counter() - t0):.0f}/s)", file=sys.stderr)
    if batch:
        save_many(batch)
    store.optimize()
    return added


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--db", default="sqlite:///bench/web-10k.db")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--fill-only", action="store_true")
    args = ap.parse_args()
    if args.db.startswith("postgresql"):
        import psycopg

        name = args.db.rsplit("/", 1)[1]
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            if not c.execute("select 1 from pg_database where datname=%s", (name,)).fetchone():
                c.execute(f'create database "{name}"')
    store = Store.open(args.db)
    t0 = time.perf_counter()
    added = fill(store, args.reports)
    if added:
        print(f"filled {added} reports in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.fill_only:
        return
    rows = store.reports.rows()
    with contextlib.suppress(GongkaiError):  # an admin for the review pages; made by an earlier run
        store.users.add("bench", BENCH_PASSWORD, role="admin")
    store.close()
    ids = [r["version_id"] for r in rows]
    years = sorted({r["year"] for r in rows if r["year"]})
    provinces = sorted({r["region_code"][:2] for r in rows if r["region_code"]})
    names = [r["agency"] for r in rows]
    cities = sorted(
        {
            r["region_code"][:4] + "00"
            for r in rows
            if r["region_code"] and regions.get(r["region_code"][:4] + "00")
        }
    )
    print(f"{len(ids)} reports in {args.db}")

    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gongkai"), "serve", "--db", args.db, "--port", str(args.port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "GONGKAI_LOG": "warning"},
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    client.get("/api/aggregates")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            form = client.get("/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            r = client.post("/login", data={"username": "bench", "password": BENCH_PASSWORD, "csrf": csrf})
            if r.status_code != 303:
                raise SystemExit(f"login: HTTP {r.status_code}")
            rng = random.Random(1)
            endpoints = {
                "dashboard /": lambda: "/",
                "report list /reports?year=": lambda: f"/reports?year={rng.choice(years)}",
                "report page /reports/{id}": lambda: f"/reports/{rng.choice(ids)}",
                "compare /compare?year=&region=": lambda: (
                    f"/compare?year={rng.choice(years)}&region={rng.choice(provinces)}"
                ),
                "agency page /agency?name=": lambda: f"/agency?name={rng.choice(names)}",
                "API /api/reports?year=": lambda: f"/api/reports?year={rng.choice(years)}&limit=100",
                "API /api/reports/{id}": lambda: f"/api/reports/{rng.choice(ids)}",
                "API /api/aggregates": lambda: "/api/aggregates",
                "API /api/compare": lambda: (
                    f"/api/compare?year={rng.choice(years)}&region={rng.choice(provinces)}"
                ),
                "compare, county governments": lambda: (
                    f"/compare?year={rng.choice(years)}&region={rng.choice(provinces)}&level=county&kind=government"
                ),
                "regions /regions (country)": lambda: f"/regions?year={rng.choice(years)}",
                "region /regions/{province}": lambda: (
                    f"/regions/{rng.choice(provinces)}0000?year={rng.choice(years)}"
                ),
                "region /regions/{city}": lambda: f"/regions/{rng.choice(cities)}?year={rng.choice(years)}",
                "coverage /coverage?year=&region=": lambda: (
                    f"/coverage?year={rng.choice(years)}&region={rng.choice(provinces)}0000"
                ),
                "report list, filtered": lambda: (
                    f"/reports?year={rng.choice(years)}&region={rng.choice(provinces)}&errors=1&kind=department"
                ),
                "API /api/regions/{province}": lambda: (
                    f"/api/regions/{rng.choice(provinces)}0000?year={rng.choice(years)}"
                ),
                "API /api/coverage": lambda: (
                    f"/api/coverage?year={rng.choice(years)}&region={rng.choice(provinces)}0000"
                ),
                "API /api/agency?name=": lambda: f"/api/agency?name={rng.choice(names)}",
                "API /api/reports/{id}/findings": lambda: f"/api/reports/{rng.choice(ids)}/findings",
                "API /api/reports/{id}/review": lambda: f"/api/reports/{rng.choice(ids)}/review",
                "review queue /review?year=": lambda: f"/review?year={rng.choice(years)}",
                "publication watch /watch?year=": lambda: f"/watch?year={rng.choice(years)}",
                "audit log /audit": lambda: "/audit",
            }
            documents = {  # downloads, built on demand: timed, but not pages
                "通报 /review/circular.docx (a city)": lambda: (
                    f"/review/circular.docx?year={rng.choice(years)}&region={rng.choice(cities)}"
                ),
                "整改通知 /reports/{id}/notice.docx": lambda: f"/reports/{rng.choice(ids)}/notice.docx",
            }
            print(f"{'endpoint':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for label, url in [*endpoints.items(), *documents.items()]:
                client.get(url())  # warm
                times = []
                for _ in range(args.requests if label in endpoints else max(5, args.requests // 10)):
                    u = url()
                    t = time.perf_counter()
                    r = client.get(u)
                    times.append((time.perf_counter() - t) * 1000)
                    if r.status_code != 200:
                        raise SystemExit(f"{u}: HTTP {r.status_code}")
                print(
                    f"{label:36} {statistics.median(times):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}"
                )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(10)


if __name__ == "__main__":
    main()
