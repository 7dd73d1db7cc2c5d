"""The collector, end to end over a local government site (tests/collect_site.py): real crawls by the
real CLI in a subprocess, real ingest into a real store, assertions on the values stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gongkai.collect.links import extract, published_date
from gongkai.collect.sites import in_shard, parse_shard, read_sites, shard_of
from gongkai.collect.watch import watch
from gongkai.review.coverage import coverage
from gongkai.review.diff import diff
from gongkai.store import Store

from .collect_site import EDU, FIN, GOV, GYZ, HEA, MKT, Built, Site, build
from .conftest import SHARED

PINGTAN = SHARED / "fixtures" / "pingtan"


def gk(*args: str, check: bool = False, files: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from gongkai.cli import main; main()", *args]
    env = {**os.environ, "GONGKAI_FILES": str(files)} if files else None
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def collect_args(b: Built, db: str, job: Path, *extra: str) -> list[str]:
    return [
        "collect", str(b.csv), "--db", db, "--year", "2024", "--job", str(job),
        "--delay", "0", "--timeout", "5", "--max-mb", "8", *extra,
    ]  # fmt: skip


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchall()


@dataclass
class Snapshot:
    out: str
    rc: int
    docs: list[dict[str, Any]]
    versions: list[tuple]
    failures: list[tuple]
    errors: list[tuple]
    findings: list[tuple]
    hits: list[Any] = field(default_factory=list)


def snapshot(store: Store, db: Path, p: subprocess.CompletedProcess[str], site: Site, since: int) -> Snapshot:
    return Snapshot(
        p.stdout + p.stderr,
        p.returncode,
        store.sites.documents(),
        rows(db, "SELECT v.id, a.name, r.year, v.sha256, v.is_current FROM report_version v "
                 "JOIN report r ON r.id = v.report_id JOIN agency a ON a.id = r.agency_id ORDER BY v.id"),
        rows(db, "SELECT path, sha256, error, attempts FROM failure ORDER BY id"),
        rows(db, "SELECT agency, url, kind, http_status, error FROM crawl_error ORDER BY id"),
        rows(db, "SELECT version_id, rule, message, cells FROM finding WHERE rule LIKE 'collect.%' ORDER BY id"),
        site.hits[since:],
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs of `gongkai collect` over the site: the first, one after a report page was edited,
    and one more with nothing new."""
    tmp = tmp_path_factory.mktemp("collect")
    site = Site()
    b = build(site, tmp)
    db = tmp / "g.db"
    url = f"sqlite:///{db}"
    store = Store.open(url)
    snaps = []
    for i in range(3):
        if i == 1:
            b.edit()
        since = len(site.hits)
        p = gk(*collect_args(b, url, tmp / "job"))
        snaps.append(snapshot(store, db, p, site, since))
    yield site, b, store, url, snaps, tmp
    site.close()


def _by_agency(docs: list[dict[str, Any]], status: str = "ingested") -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        if d["status"] == status:
            out.setdefault(d["agency"], []).append(d)
    return out


# -- pure parts -----------------------------------------------------------------------------------


def test_publication_date_on_real_pages():
    assert published_date((PINGTAN / "2025_gwh.html").read_text("utf-8")) == dt.date(2026, 1, 30)
    assert published_date((PINGTAN / "2024_gyz.html").read_text("utf-8")) == dt.date(2025, 1, 26)
    assert published_date("<p>成文日期：2025年3月2日</p><p>发布日期: 2025/03/05</p>") == dt.date(2025, 3, 5)
    assert published_date("<p>2025年3月2日</p>") is None


def test_links_of_a_column_and_of_a_report_page():
    page = (
        '<a href="./t1.html" title="某局2024年政府信息公开工作年度报告">某局2024年政府信息…</a>'
        '<a href="t0.html">某局2023年政府信息公开工作年度报告</a>'
        '<a href="/n.html">关于做好2024年政府信息公开工作年度报告编制工作的通知</a>'
        '<a href="index_1.html">下一页</a><a href="http://x.gov.cn/a.pdf">附件</a><a href="../">政府信息公开</a>'
    )
    links = {(k.url, k.role) for k in extract("http://h.gov.cn/c/ndbg/index.html", page, "column", year=2024)}
    assert links == {
        ("http://h.gov.cn/c/ndbg/t1.html", "detail"),
        ("http://h.gov.cn/c/ndbg/index_1.html", "list"),
    }
    # the other pagers of issue 13: 第N页 (whatever the address), ?page=N and its kin, TRS's script pager
    pagers = (
        '<a href="t1.html">某局2024年政府信息公开工作年度报告</a>'
        '<a href="list_2.html">第2页</a><a href="more.jsp?pageNo=3">3</a><a href="/c/ndbg/?page=4">尾页</a>'
        '<script>createPageHTML(3, 0, "index", "html");</script>'
    )
    found = {
        (k.url, k.role) for k in extract("http://h.gov.cn/c/ndbg/index.html", pagers, "column", year=2024)
    }
    assert found == {
        ("http://h.gov.cn/c/ndbg/t1.html", "detail"),
        ("http://h.gov.cn/c/ndbg/list_2.html", "list"),
        ("http://h.gov.cn/c/ndbg/more.jsp?pageNo=3", "list"),
        ("http://h.gov.cn/c/ndbg/?page=4", "list"),
        ("http://h.gov.cn/c/ndbg/index.html", "list"),  # the script pager's page 0: this page (seen)
        ("http://h.gov.cn/c/ndbg/index_1.html", "list"),
        ("http://h.gov.cn/c/ndbg/index_2.html", "list"),
    }
    real = (PINGTAN / "2024_gyz.html").read_text("utf-8")
    assert extract("https://www.pingtan.gov.cn/a/b.html", real, "detail") == []  # no attachment on it


def test_sites_csv_bad_rows_and_shards():
    data = "机关,网址\n甲局,http://a.gov.cn/ndbg/\n乙局,not a url\n,http://b.gov.cn/\n丙局,c.gov.cn\n".encode(
        "gbk"
    )
    sites, bad = read_sites(data)
    assert [(s.agency, s.url) for s in sites] == [
        ("甲局", "http://a.gov.cn/ndbg/"),
        ("丙局", "http://c.gov.cn"),
    ]
    assert [(b.line, b.problem) for b in bad] == [(3, "网址“http://not a url”无效"), (4, "机关名称为空")]
    many, _ = read_sites(
        ("agency,url\n" + "".join(f"局{i},http://h{i % 50}.gov.cn/p{i}\n" for i in range(200))).encode()
    )
    parts = [in_shard(many, parse_shard(f"{k}/4")) for k in range(1, 5)]
    assert sorted(s.url for p in parts for s in p) == sorted(s.url for s in many)  # every site, once
    for k, p in enumerate(parts, start=1):
        assert all(shard_of(s.host, 4) == k for s in p)  # one host, one shard
    assert all(parts)  # 50 hosts spread over the 4 shards


# -- the crawl --------------------------------------------------------------------------------------


def test_first_run_ingests_every_report_once(runs):
    _site, b, store, _url, snaps, _ = runs
    first = snaps[0]
    assert first.rc == 1, first.out  # a bad row and an unreachable site are reported
    assert "第8行" in first.out and "第9行" in first.out and "无法连接网站" in first.out
    reports = Counter((name, year) for _, name, year, _, _ in first.versions)
    # GYZ's real page is signed by its former name (README of the fixtures)
    assert reports == {
        ("平潭综合实验区国有资产管理局", 2024): 1,
        (GOV, 2024): 1,
        (EDU, 2024): 1,
        (FIN, 2024): 1,
    }
    got = _by_agency(first.docs)
    assert sorted(got) == sorted([GYZ, GOV, EDU, FIN])  # the agency is the sites list's
    dates = {a: [str(d["published"]) for d in ds] for a, ds in got.items()}
    assert dates == {GYZ: ["2025-01-26"], GOV: ["2025-04-15"], EDU: ["2025-01-20"], FIN: ["2025-01-15"]}
    pdf = got[GOV][0]
    assert pdf["kind"] == "attachment" and pdf["url"].endswith("P020250415_report.pdf")
    served = b.main.routes["/gl/xxgk/ndbg/t2025/P020250415_report.pdf"].body
    assert pdf["sha256"] == hashlib.sha256(served).hexdigest() and store.files.get(pdf["sha256"]) == served
    assert pdf["headers"]["content-type"] == "application/pdf" and pdf["etag"]
    assert pdf["fetched_at"] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert got[FIN][0]["url"].endswith(".docx") and got[FIN][0]["page_url"].endswith("t20250115.html")
    # the GBK page holding the same report as its PDF: linked, counted once
    (page,) = [d for d in first.docs if d["status"] == "duplicate"]
    assert page["agency"] == GOV and page["same_as"] == pdf["id"] and page["version_id"] is None
    # …and where the page says otherwise than the attachment, a finding on the attachment's version
    (differs,) = [f for f in first.findings if f[1] == "collect.page_differs"]
    assert differs[0] == pdf["version_id"] and json.loads(differs[3]) == ["t3.new.np"]
    assert "网页版与附件不一致（1 个单元格，以附件为准）" in differs[2]
    carrier = [d for d in first.docs if d["status"] == "carrier"]
    assert [d["agency"] for d in carrier] == [FIN]
    # the page that names a report but is not one: a failure, like any file ingest cannot read
    assert [(Path(f[0]).name, f[2][:4]) for f in first.failures] == [("jd2024.html", "不是政府")]


def test_first_run_is_polite_and_stays_on_the_sites(runs):
    _site, b, *_ = runs
    first = runs[4][0]
    paths = [(h.host, h.path) for h in first.hits]
    assert not [p for p in paths if p[0] == b.offsite.ip]  # the off-site link: never requested
    assert (b.main.ip, b.forbidden) not in paths  # robots.txt: never requested
    assert not [p for p in paths if "pingtan.gov.cn" in p[1]]
    assert all(h.user_agent.startswith("gongkai/") for h in first.hits)
    assert b.main.max_inflight == 1 and b.slow.max_inflight == 1  # one request at a time per host
    # the delay follows the host's response time (AutoThrottle): the slow host (0.25 s) is paced slower
    pattern = r"主机 ([\d.]+)：\d+ 次请求，平均响应 [\d.]+ 秒，当前间隔 ([\d.]+) 秒"
    delays = {m[0]: float(m[1]) for m in re.findall(pattern, first.out)}
    assert delays[b.slow.ip] >= 0.2 and delays[b.slow.ip] > delays.get(b.main.ip, 0.0)
    assert paths.count((b.main.ip, "/gl/files/missing.docx")) == 1  # a 404 is recorded, not retried
    assert [h.status for h in first.hits if h.path == "/czj/"] == [503, 200]  # a 503 is retried
    errors = {(Path(e[1]).name or e[1], e[4]) for e in first.errors}
    assert ("missing.docx", "页面不存在（HTTP 404）") in errors
    assert ("t2024.html", "robots.txt 禁止抓取") in errors
    assert ("jump.html", "重定向到站外，未跟随") in errors
    assert ("W020250115_scan.pdf", "文件超过大小上限，未下载") in errors  # 2 GB, capped
    assert ("bomb.html", "文件超过大小上限，未下载") in errors  # a gzip bomb, capped inflated
    assert any(e[0] == MKT and e[2] == "entry" and "连接被拒绝" in e[4] for e in first.errors)


def test_an_edited_page_becomes_a_new_version_with_its_diff(runs):
    _site, _b, store, _url, snaps, _ = runs
    first, second = snaps[0], snaps[1]
    seen = {v[0] for v in first.versions}
    new = [v for v in second.versions if v[0] not in seen]
    assert [(v[1], v[2]) for v in new] == [(EDU, 2024)]  # only the edited page, nothing else
    old_vid = next(v[0] for v in first.versions if v[1] == EDU)
    assert [v[4] for v in second.versions if v[0] == old_vid] == [0]  # the edit is the current version
    new_vid = new[0][0]
    d = diff(store.reports.load(old_vid), store.reports.load(new_vid))
    changed = {c.cell: (c.before, c.after) for c in d.cells}
    assert set(changed) == {
        "t3.new.np", "t3.new.total", "t3.granted.np", "t3.granted.total",
        "t3.handled.np", "t3.handled.total",
    }  # fmt: skip
    assert all(after == before + 1 for before, after in changed.values())
    (f,) = [f for f in second.findings if f[0] == new_vid]
    assert f[1] == "collect.edited" and "发布后被修改" in f[2] and "首次发布 2025-01-20" in f[2]
    assert str(dt.date.today()) in f[2] and "6 个单元格不同" in f[2]
    assert set(json.loads(f[3]) if isinstance(f[3], str) else f[3]) == set(changed)
    edu = [d for d in second.docs if d["agency"] == EDU]
    assert len(edu) == 2 and edu[1]["previous_id"] == edu[0]["id"] and edu[1]["version_id"] == new_vid
    # …and the workbench shows it: the difference cell by cell, the finding on the new version
    from fastapi.testclient import TestClient

    from gongkai.web.app import create_app
    from gongkai.web.filters import num

    with TestClient(create_app(store=store)) as client:
        page = client.get(f"/reports/{new_vid}/diff")
        assert page.status_code == 200
        for cell, (before, after) in changed.items():
            assert f'title="{cell}"' in page.text, cell
            assert f"<td>{num(before)}</td><td>{num(after)}</td>" in page.text, cell
        report = client.get(f"/reports/{new_vid}").text
        assert "collect.edited" in report and "发布后被修改" in report
    # the other reports were asked with their ETag and not sent again
    cond = {h.path: h.status for h in second.hits if h.if_none_match}
    assert cond["/gl/xxgk/ndbg/t2025/P020250415_report.pdf"] == 304
    assert cond["/czj/ndbg/W020250115_nb.docx"] == 304
    assert cond["/gyz/ndbg/202501/t20250126_96996.html"] == 304
    # a page served with Last-Modified and no ETag: asked with If-Modified-Since, not sent again
    since = {h.path: (h.if_modified_since, h.status) for h in second.hits if h.if_modified_since}
    assert since["/gl/xxgk/ndbg/t2025/detail_2024.html"] == ("Tue, 15 Apr 2025 08:00:00 GMT", 304)


def test_a_rerun_with_nothing_new_changes_nothing(runs):
    second, third = runs[4][1], runs[4][2]
    assert third.versions == second.versions and third.findings == second.findings
    assert third.failures == second.failures
    strip = lambda docs: [{k: v for k, v in d.items() if k != "checked_at"} for d in docs]  # noqa: E731
    assert strip(third.docs) == strip(second.docs)
    kept = {d["url"].split("/", 3)[3] for d in third.docs}
    assert not [h for h in third.hits if h.status == 200 and h.path.lstrip("/") in kept]  # 304s only


def test_watch_classifies_every_agency(runs):
    _site, _b, store, url, _snaps, tmp = runs
    states = {e.agency: e for e in watch(store, 2024)}
    assert {a: e.state for a, e in states.items()} == {
        GYZ: "on_time", GOV: "late", EDU: "edited", FIN: "on_time", HEA: "missing", MKT: "unreachable",
    }  # fmt: skip
    assert states[GOV].published == dt.date(2025, 4, 15) and states[GOV].deadline == dt.date(2025, 3, 31)
    assert states[EDU].published == dt.date(2025, 1, 20) and states[EDU].edited_found == dt.date.today()
    assert "连接被拒绝" in states[MKT].reason and states[MKT].reason_en
    p = gk("watch", "--year", "2024", "--db", url, "--json", "--xlsx", str(tmp / "w.xlsx"), check=True)
    assert {e["agency"]: e["state"] for e in json.loads(p.stdout)} == {a: e.state for a, e in states.items()}
    from openpyxl import load_workbook

    ws = load_workbook(tmp / "w.xlsx").active
    got = {r[0]: r[2] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert got[EDU] == "发布后被修改" and got[MKT] == "无法访问" and got[HEA] == "未发布"
    table = gk("watch", "--year", "2024", "--db", url, "--lang", "en", check=True).stdout
    assert "unreachable" in table and "edited after publication" in table


def test_watch_page_and_export(runs):
    from fastapi.testclient import TestClient

    from gongkai.web.app import create_app

    store = runs[2]
    with TestClient(create_app(store=store)) as client:
        page = client.get("/watch?year=2024")
        assert page.status_code == 200
        assert f'data-agency="{GOV}" data-state="late"' in page.text
        assert f'data-agency="{MKT}" data-state="unreachable"' in page.text
        en = client.get("/watch?year=2024&lang=en")
        assert "edited after publication" in en.text
        x = client.get("/watch.xlsx?year=2024")
        assert x.status_code == 200 and x.content[:2] == b"PK"
        api = client.get("/api/watch?year=2024").json()
        assert api["tally"]["late"] == 1 and api["tally"]["edited"] == 1 and api["tally"]["total"] == 6


def test_coverage_uses_the_collected_publication_date(runs):
    store = runs[2]
    (row,) = [r for r in store.reports.rows() if r["agency"] == GOV]
    store.reviews.add_expected(
        [{"name": GOV, "region_code": row["region_code"], "kind": "government"}], "test"
    )
    (e,) = [e for e in coverage(store, 2024) if e.name == GOV]
    # signed 2025-03-19 (on time by the signature), published on the site 2025-04-15: late
    assert e.date == dt.date(2025, 4, 15) and e.state == "late"


# -- interrupted, sharded ---------------------------------------------------------------------------


def test_kill_9_mid_crawl_then_rerun_completes_without_refetching(tmp_path):
    site = Site()
    b = build(site, tmp_path)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    job = tmp_path / "job"
    args = collect_args(b, db, job)
    args[args.index("--delay") + 1] = "0.4"  # slow enough to be caught mid-crawl
    p = subprocess.Popen([sys.executable, "-c", "from gongkai.cli import main; main()", *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    state = job / "state.sqlite"
    deadline = time.monotonic() + 120
    done: set[str] = set()
    while time.monotonic() < deadline:
        if state.exists():
            try:
                done = {r[0] for r in rows(state, "SELECT url FROM doc")}
            except sqlite3.OperationalError:
                done = set()
            if len(done) >= 8:
                break
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    done = {r[0] for r in rows(state, "SELECT url FROM doc")}  # what the state held when it died
    assert 8 <= len(done) < 20, len(done)
    before = len(site.hits)
    gk(*collect_args(b, db, job))
    hits = Counter((h.host, h.path) for h in site.hits if h.status == 200 and h.path != "/robots.txt")
    again = {k for k, n in hits.items() if n > 1}
    base = {h.ip: h.base for h in site.hosts}
    assert not {base[ip] + path for ip, path in again} & done  # nothing recorded was fetched twice
    assert len(site.hits) > before
    with Store.open(db) as store:
        got = Counter((r["agency"], r["year"]) for r in store.reports.rows())
        assert got == {
            ("平潭综合实验区国有资产管理局", 2024): 1,
            (GOV, 2024): 1,
            (EDU, 2024): 1,
            (FIN, 2024): 1,
        }
        assert {e.agency: e.state for e in watch(store, 2024)}[GOV] == "late"
    site.close()


def test_shards_split_the_hosts_and_cover_the_list(tmp_path):
    site = Site()
    b = build(site, tmp_path)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    hosts_by_shard = []
    for k in (1, 2):
        since = len(site.hits)
        gk(*collect_args(b, db, tmp_path / f"job{k}", "--shard", f"{k}/2"))
        hosts_by_shard.append({h.host for h in site.hits[since:]})
    assert not hosts_by_shard[0] & hosts_by_shard[1]  # a host is crawled by one shard only
    for k, hosts in enumerate(hosts_by_shard, start=1):
        assert all(shard_of(h, 2) == k for h in hosts)
    with Store.open(db) as store:
        assert {s["agency"] for s in store.sites.list()} == {GYZ, GOV, EDU, FIN, HEA, MKT}
        assert len(store.reports.rows()) == 4
    site.close()


def test_collect_and_watch_on_postgresql(tmp_path, pg_url):
    site = Site()
    b = build(site, tmp_path)
    p = gk(*collect_args(b, pg_url, tmp_path / "job"), files=tmp_path / "files")
    assert p.returncode == 1 and "无法连接网站" in p.stdout, p.stdout + p.stderr
    with Store.open(pg_url, files_dir=tmp_path / "files") as store:
        assert len(store.reports.rows()) == 4
        docs = store.sites.documents()
        assert {str(d["published"]) for d in docs if d["status"] == "ingested"} == {
            "2025-01-26", "2025-04-15", "2025-01-20", "2025-01-15",
        }  # fmt: skip
        assert {e.agency: e.state for e in watch(store, 2024)} == {
            GYZ: "on_time", GOV: "late", EDU: "on_time", FIN: "on_time", HEA: "missing", MKT: "unreachable",
        }  # fmt: skip
        (e,) = [e for e in coverage(store, 2024) if e.name == GOV]
        assert e.date == dt.date(2025, 4, 15) and e.state == "late"
    site.close()
