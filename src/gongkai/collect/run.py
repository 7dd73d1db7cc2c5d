"""``gongkai collect``: crawl the sites list, then put every document through the normal ingest.

Two phases over one job directory. The crawl (``spider``) fetches and records; the ingest phase reads
the job state and, for each report page and its attachments: keeps the originals in ``store.files``,
parses them, saves report versions in ``store.reports`` (failures in ``store.failures``), and records
every fetched document in ``store.sites`` with its URL, agency, headers, hash and publication date.
A page and its attachment that hold the same report are linked and counted once (the attachment's
numbers are kept; a difference between the two is a finding). A URL whose bytes changed since the last
run becomes a new version of its report with the finding "发布后被修改" and its cell diff.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import api
from ..errors import GongkaiError
from ..report import Finding, Report
from ..review.diff import diff
from .jobstate import JobState
from .sites import BadRow, Site, in_shard, read_sites
from .spider import HostStats, Options

if TYPE_CHECKING:
    from ..store import Store

EDITED = "collect.edited"
PAGE_DIFFERS = "collect.page_differs"


@dataclass
class Summary:
    sites: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    pages: int = 0  # HTTP responses with a body (pages and attachments)
    not_modified: int = 0
    resumed: int = 0  # URLs this job had fetched before it was interrupted
    errors: int = 0
    robots: int = 0
    offsite: int = 0
    reports: int = 0  # new report versions
    unchanged: int = 0  # documents fetched again with the same bytes
    linked: int = 0  # pages that hold the same report as their attachment
    edited: int = 0  # URLs whose content changed since the last run
    failed: int = 0  # documents that could not be read as a report
    unreachable: list[tuple[str, str, str]] = field(default_factory=list)  # (agency, zh, en)
    crawl_seconds: float = 0.0
    ingest_seconds: float = 0.0
    hosts: dict[str, HostStats] = field(default_factory=dict)

    def lines(self, lang: str = "zh") -> list[str]:
        en = lang == "en"
        out = []
        for b in self.bad_rows:
            out.append(("skipped " if en else "已跳过 ") + b.text(lang))
        for agency, zh, e in self.unreachable:
            out.append(f"{agency}: {e}" if en else f"{agency}：{zh}")
        slow = sorted(self.hosts.items(), key=lambda kv: -kv[1].latency / max(kv[1].requests, 1))[:3]
        for host, st in slow:
            avg = st.latency / max(st.requests, 1)
            out.append(
                f"host {host}: {st.requests} requests, mean response {avg:.2f} s, delay now {st.final_delay:.2f} s"
                if en
                else f"主机 {host}：{st.requests} 次请求，平均响应 {avg:.2f} 秒，当前间隔 {st.final_delay:.2f} 秒"
            )
        if en:
            out.append(
                f"{self.sites} sites: {self.pages} fetched, {self.not_modified} not modified, "
                f"{self.resumed} already fetched by this job, {self.errors} errors, "
                f"{self.robots} forbidden by robots.txt, {self.offsite} off-site links not followed; "
                f"{self.reports} new report versions, {self.unchanged} unchanged, {self.linked} page/attachment "
                f"pairs counted once, {self.edited} edited after publication, {self.failed} not readable "
                f"as a report ({self.crawl_seconds:.1f} s crawl, {self.ingest_seconds:.1f} s ingest)."
            )
        else:
            out.append(
                f"共 {self.sites} 个网站：抓取 {self.pages} 个，未变化（304）{self.not_modified} 个，"
                f"本任务已抓取 {self.resumed} 个，出错 {self.errors} 个，robots.txt 禁止 {self.robots} 个，"
                f"站外链接未跟随 {self.offsite} 个；新报告版本 {self.reports} 个，内容未变 {self.unchanged} 个，"
                f"网页与附件合并计 {self.linked} 对，发布后被修改 {self.edited} 个，无法读取为年报 {self.failed} 个"
                f"（抓取 {self.crawl_seconds:.1f} 秒，导入 {self.ingest_seconds:.1f} 秒）。"
            )
        return out


def load_sites(path: str | Path) -> tuple[list[Site], list[BadRow]]:
    p = Path(path)
    return read_sites(p.read_bytes(), p.name)


def collect(
    sites_csv: str | Path,
    store: Store,
    job: str | Path,
    opts: Options | None = None,
    shard: tuple[int, int] | None = None,
    progress: Any = None,
) -> Summary:
    """Crawl the sites of ``sites_csv`` (this shard of them) and ingest what was found. Blocking; the
    crawl runs Twisted's reactor, which runs once per process (the CLI is one process per run)."""
    from . import spider

    opts = opts or Options()
    summary = Summary()
    sites, summary.bad_rows = load_sites(sites_csv)
    sites = in_shard(sites, shard)
    summary.sites = len(sites)
    ids = store.sites.sync((s.agency, s.url, s.host) for s in sites)
    state = JobState(job)
    try:
        if state.get("finished"):
            state.reset()  # a finished job run again is a new crawl (conditional GETs keep it cheap)
        state.set("year", str(opts.year or ""))
        known = store.sites.latest()

        def old_body(sha: str) -> bytes | None:
            return store.files.get(sha) if store.files.exists(sha) else None

        if not state.get("crawled"):
            counts, hosts, secs = spider.run(
                [(s, ids[(s.agency, s.url)]) for s in sites], state, opts, known, old_body, progress
            )
            state.set("crawled", "1")
            summary.hosts, summary.crawl_seconds = hosts, secs
            summary.pages, summary.not_modified = counts["fetched"], counts["not_modified"]
            summary.resumed, summary.errors = counts["resumed"], counts["errors"]
            summary.robots, summary.offsite = counts["robots"], counts["offsite"]
        t0 = dt.datetime.now()
        _ingest(state, store, sites, ids, summary)
        summary.ingest_seconds = (dt.datetime.now() - t0).total_seconds()
        state.set("finished", "1")
    finally:
        state.close()
    return summary


def _ingest(state: JobState, store: Store, sites: list[Site], ids: dict, summary: Summary) -> None:
    docs = state.docs()
    by_url = {d["url"]: d for d in docs}
    # how each site's entry page answered
    for s in sites:
        sid = ids[(s.agency, s.url)]
        entry = by_url.get(s.url)
        if entry is None:
            continue
        if entry.get("error"):
            store.sites.mark(sid, "unreachable", entry["error"], entry["error_en"])
            summary.unreachable.append((s.agency, entry["error"], entry["error_en"]))
        else:
            store.sites.mark(sid, "ok")
    atts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        if d["role"] == "attachment" and d.get("sha") and d.get("parent") in by_url:
            parent = by_url[d["parent"]]
            if parent.get("sha") and parent["role"] != "attachment":
                atts[d["parent"]].append(d)
                continue
    grouped = {a["url"] for group in atts.values() for a in group}
    latest = store.sites.latest({d["url"] for d in docs if d.get("sha")})
    for d in docs:
        if d["ingested"]:
            continue
        if d.get("error"):
            store.sites.add_error(
                d["site_id"], d["agency"], d["url"], d["role"], d["error"], d["error_en"], d["http_status"]
            )
        elif d.get("sha") and d["url"] not in grouped:
            _group(store, state, d, atts.get(d["url"], []), latest, summary)
            for a in atts.get(d["url"], []):
                state.mark_ingested(a["url"])
        state.mark_ingested(d["url"])


@dataclass
class _Doc:
    row: dict[str, Any]
    data: bytes
    report: Report | None = None
    problem: tuple[str, str] | None = None
    prev: dict[str, Any] | None = None
    published: dt.date | None = None


def _group(
    store: Store,
    state: JobState,
    page: dict[str, Any],
    attachments: list[dict[str, Any]],
    latest: dict[str, dict[str, Any]],
    summary: Summary,
) -> None:
    """One report page (or a lone document) and its attachments."""
    page_date = dt.date.fromisoformat(page["published"]) if page.get("published") else None
    items: list[_Doc] = []
    for row in [page, *attachments]:
        prev = latest.get(row["url"])
        if prev is not None and prev["sha256"] == row["sha"]:
            store.sites.update_document(prev["id"], checked_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
            summary.unchanged += 1
            continue
        data = state.body(row["sha"])
        store.files.put(data, Path(row["url"].rstrip("/")).name or "index.html")
        doc = _Doc(row, data, prev=prev, published=page_date)
        try:
            doc.report = api.parse_bytes(data, row.get("final_url") or row["url"])
        except GongkaiError as e:
            doc.problem = (e.problem, e.problem_en)
        except Exception as e:  # a reader's crash on hostile bytes is one failure, not the run's end
            doc.problem = (f"读取失败：{type(e).__name__}", f"failed: {e!r}"[:300])
        items.append(doc)
    if not items:
        return
    page_doc = items[0] if items[0].row is page else None
    readable = [d for d in items if d.report is not None]
    atts_ok = [d for d in readable if d is not page_doc]
    primary = atts_ok[0] if atts_ok else (page_doc if page_doc and page_doc.report else None)
    if primary is not None:
        assert primary.report is not None
        if page_doc is not None and page_doc is not primary and page_doc.report is not None:
            _compare(page_doc, primary)
        if primary.prev is not None:
            _edited(store, primary)
    for d in items:
        values: dict[str, Any] = {
            "site_id": d.row["site_id"],
            "agency": d.row["agency"],
            "url": d.row["url"],
            "kind": "attachment" if d.row["role"] == "attachment" else "page",
            "page_url": d.row["parent"] if d.row["role"] == "attachment" else None,
            "http_status": d.row["http_status"] or 200,
            "headers": d.row["headers"],
            "sha256": d.row["sha"],
            "size": d.row["size"] or len(d.data),
            "etag": d.row["etag"],
            "last_modified": d.row["last_modified"],
            "published": d.published,
            "title": d.row["title"],
            "fetched_at": dt.datetime.fromisoformat(d.row["fetched_at"]),
            "previous_id": d.prev["id"] if d.prev else None,
        }
        if d is primary:
            assert d.report is not None
            vid, created = store.reports.save(d.report, d.row["sha"], d.row["url"])
            summary.reports += created
            summary.edited += d.prev is not None
            values |= {"status": "ingested", "version_id": vid}
        elif d.report is not None and primary is not None and _same(d.report, primary.report):
            summary.linked += 1
            values |= {"status": "duplicate", "note": primary.row["url"]}
        elif d.report is not None:  # a second, different report on one page: its own version
            vid, created = store.reports.save(d.report, d.row["sha"], d.row["url"])
            summary.reports += created
            values |= {"status": "ingested", "version_id": vid}
        elif d is page_doc and attachments:
            values |= {"status": "carrier", "note": d.problem[1] if d.problem else None}
        else:
            assert d.problem is not None
            store.failures.record(d.row["url"], d.row["sha"], *d.problem)
            summary.failed += 1
            values |= {"status": "failed", "note": d.problem[0]}
        doc_id = store.sites.add_document(**values)
        if d is primary:
            d.row["doc_id"] = doc_id
    if primary is not None and "doc_id" in primary.row:
        for d in items:
            if d is not primary and d.report is not None and _same(d.report, primary.report):
                _link(store, d.row, primary.row["doc_id"])


def _link(store: Store, row: dict[str, Any], primary_id: int) -> None:
    for doc in store.sites.latest({row["url"]}).values():
        if doc["sha256"] == row["sha"]:
            store.sites.update_document(doc["id"], same_as=primary_id)


def _same(a: Report | None, b: Report | None) -> bool:
    return a is not None and b is not None and a.year == b.year and a.agency.name == b.agency.name


def _compare(page: _Doc, att: _Doc) -> None:
    """The page and its attachment hold the same report: the attachment's numbers are kept, and any
    cell where the page says otherwise is a finding on the attachment's version."""
    assert page.report is not None and att.report is not None
    if not _same(page.report, att.report):
        return
    d = diff(att.report, page.report)
    if not d.cells:
        return
    listed = "；".join(f"{c.cell}: 附件 {c.before} / 网页 {c.after}" for c in d.cells[:12])
    listed_en = "; ".join(f"{c.cell}: attachment {c.before} / page {c.after}" for c in d.cells[:12])
    more = "……" if len(d.cells) > 12 else ""
    att.report.findings.append(
        Finding(
            rule=PAGE_DIFFERS,
            severity="warning",
            cells=[c.cell for c in d.cells],
            message=f"网页版与附件不一致（{len(d.cells)} 个单元格，以附件为准）：{listed}{more}",
            message_en=f"the web page and its attachment differ in {len(d.cells)} cells "
            f"(the attachment is kept): {listed_en}",
        )
    )


def _edited(store: Store, doc: _Doc) -> None:
    """This URL held other bytes before: the new report version carries "发布后被修改" with both dates
    and the cells that changed."""
    assert doc.report is not None and doc.prev is not None
    prev = doc.prev
    first = prev.get("published") or prev["fetched_at"].date()
    found = dt.date.fromisoformat(doc.row["fetched_at"][:10])
    cells: list[str] = []
    changes = ""
    changes_en = ""
    if prev.get("version_id"):
        d = diff(store.reports.load(prev["version_id"]), doc.report)
        cells = [c.cell for c in d.cells]
        changes = "；".join(f"{c.cell}: {c.before} → {c.after}" for c in d.cells[:12])
        changes_en = "; ".join(f"{c.cell}: {c.before} → {c.after}" for c in d.cells[:12])
    shown = f"，页面发布日期 {doc.published.isoformat()}" if doc.published else ""
    shown_en = f", page date {doc.published.isoformat()}" if doc.published else ""
    doc.report.findings.append(
        Finding(
            rule=EDITED,
            severity="warning",
            cells=cells,
            message=f"发布后被修改：首次发布 {first.isoformat()}，{found.isoformat()} 发现内容变化{shown}；"
            f"{len(cells)} 个单元格不同" + (f"：{changes}" if changes else ""),
            message_en=f"edited after publication: first published {first.isoformat()}, change found "
            f"{found.isoformat()}{shown_en}; {len(cells)} cells differ"
            + (f": {changes_en}" if changes_en else ""),
        )
    )
