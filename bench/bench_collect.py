"""The collector over a local government site of N agencies (default 200): pages/s, reports/s, memory.

Builds the site (tests/collect_site.py's servers and page builders: TRS CMS chrome from
../shared/fixtures/pingtan, a two-page column per agency, the report as an HTML page, every fourth
one with a DOCX attachment), spread over 20 loopback hosts (Scrapy keeps one request at a time per
host), then runs the real CLI (`gongkai collect … --delay 0`) in a subprocess twice: a cold run and a
re-run (conditional GETs). Memory is the peak RSS of the collect process.

    .venv/bin/python bench/bench_collect.py [--agencies 200] [--hosts 20]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

import random  # noqa: E402

from collect_site import Route, Site, cms_page, list_page, render, report_body  # noqa: E402
from gongkai.demo import _counties, _region, synthetic  # noqa: E402
from gongkai.report import Agency  # noqa: E402
from gongkai.store import Store  # noqa: E402

DEPARTMENTS = (
    "教育局",
    "财政局",
    "民政局",
    "司法局",
    "卫生健康局",
    "住房和城乡建设局",
    "交通运输局",
    "商务局",
)


def build(site: Site, n: int, hosts: int, tmp: Path) -> Path:
    hs = [site.host(f"127.0.1.{i + 1}") for i in range(hosts)]
    lines = ["agency,url"]
    rng = random.Random(7)
    codes = _counties(rng, n // len(DEPARTMENTS) + 1)
    for i in range(n):
        h = hs[i % hosts]
        region = _region(codes[i // len(DEPARTMENTS)])
        name = f"{region.province if region.city is None else region.city}{region.county}{DEPARTMENTS[i % len(DEPARTMENTS)]}"
        r, _ = synthetic(Agency(name, "department", region), 2024, {}, rng)
        base = f"/a{i}/ndbg/"
        h.routes[base + "index.html"] = Route(
            list_page(
                "政府信息公开年报",
                [("t2025.html", f"{name}2024年政府信息公开工作年度报告", "2025-01-20")],
                '<a href="index_1.html">下一页</a>',
            )
        )
        h.routes[base + "index_1.html"] = Route(
            list_page(
                "政府信息公开年报", [("t2024.html", f"{name}2023年政府信息公开工作年度报告", "2024-01-20")]
            )
        )
        attachments = []
        if i % 4 == 0:
            h.routes[base + "nb.docx"] = Route(render(r, "docx"), content_type="application/octet-stream")
            attachments = [("nb.docx", "2024年年报.docx")]
        page = cms_page(f"{name}2024年政府信息公开工作年度报告", report_body(r), "2025-01-20", attachments)
        h.routes[base + "t2025.html"] = Route(page.encode())
        lines.append(f"{name},{h.url(base + 'index.html')}")
    csv = tmp / "sites.csv"
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    return csv


def run(csv: Path, db: str, job: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", "from gongkai.cli import main; main()", "collect", str(csv), "--db", db,
         "--year", "2024", "--job", str(job), "--delay", "0"],
        capture_output=True, text=True,
    )  # fmt: skip
    return time.perf_counter() - t0, p.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agencies", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        site = Site()
        t0 = time.perf_counter()
        csv = build(site, a.agencies, a.hosts, tmp)
        print(f"site built: {a.agencies} agencies on {a.hosts} hosts in {time.perf_counter() - t0:.1f} s")
        db = f"sqlite:///{tmp / 'g.db'}"
        secs, line = run(csv, db, tmp / "job")
        fetched = sum(1 for h in site.hits if h.status == 200 and h.path != "/robots.txt")
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        with Store.open(db) as store:
            reports = len(store.reports.rows())  # distinct (agency, year) reports
        print(line)
        print(f"cold run: {secs:.1f} s, {fetched} responses ({fetched / secs:.1f} pages/s), "
              f"{reports} reports ({reports / secs:.2f} reports/s), peak RSS {rss:.0f} MiB")  # fmt: skip
        before = len(site.hits)
        secs2, line2 = run(csv, db, tmp / "job")
        again = site.hits[before:]
        print(line2)
        print(f"re-run: {secs2:.1f} s, {len(again)} requests, "
              f"{sum(h.status == 304 for h in again)} answered 304")  # fmt: skip
        site.close()


if __name__ == "__main__":
    main()
