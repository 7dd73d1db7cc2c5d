"""The crawl, on Scrapy: its scheduler, robots.txt, AutoThrottle, retries, redirects and size cap.

What the spider adds: which links to follow (``links``, from a ``Profile``), the per-site boundary
(never a host off the sites list), conditional GETs from what the store already holds, the job state
(every fetched URL recorded at once, so a re-run after kill -9 fetches nothing twice), and a back-off
on 5xx and timeouts that slows the whole host down, not just the one request.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from .. import __version__
from .jobstate import JobState
from .links import Link, extract, host_of, page_title, published_date, same_site
from .profile import DEFAULT, Profile
from .sites import Site

USER_AGENT = (
    f"gongkai/{__version__} (collector of government information disclosure annual reports; "
    "obeys robots.txt, one request at a time per host)"
)
ROBOTS_AGENT = "gongkai"


@dataclass
class Options:
    year: int | None = None
    delay: float = 1.0  # the least delay between two requests to one host (AutoThrottle adapts it)
    max_delay: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    max_bytes: int = 100 * 1024 * 1024
    profile: Profile = field(default_factory=lambda: DEFAULT)


@dataclass
class HostStats:
    requests: int = 0
    latency: float = 0.0  # sum of download latencies
    final_delay: float = 0.0


class BackoffRetry(RetryMiddleware):
    """Scrapy's retry, plus a back-off: each retry doubles the host's download delay (AutoThrottle
    brings it down again when the host answers well)."""

    def _retry(self, request: Request, reason: Any) -> Request | None:
        name = type(reason).__name__ if isinstance(reason, Exception) else ""
        if "ConnectionRefused" in name or "DNSLookup" in name:
            request.meta.setdefault("max_retry_times", 1)  # nothing listens: once more, not four times
        retry = super()._retry(request, reason)
        if retry is not None and self.crawler.engine is not None:
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                cap = self.crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 30.0)
                slot.delay = min(max(slot.delay * 2, 0.5), cap)
        return retry


class SiteBoundary:
    """Every request, redirects included, stays on its site's hosts: a report link that redirects to
    another site is not followed there (an entry page may move to another host: the site follows)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteBoundary:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        from scrapy.exceptions import IgnoreRequest

        spider = self.crawler.spider
        sid = request.meta.get("sid")
        if sid is None or not isinstance(spider, ReportSpider) or not request.meta.get("redirect_urls"):
            return None
        host = host_of(request.url)
        hosts = spider.site_hosts[sid]
        if same_site(host, hosts):
            return None
        if request.meta.get("role") == "entry":
            hosts.add(host)  # the site moved (http → https, a new domain): its new host is the site's
            return None
        raise IgnoreRequest(f"offsite redirect to {host}")


def settings(job: str, opts: Options) -> dict[str, Any]:
    return {
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_USER_AGENT": ROBOTS_AGENT,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": opts.delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(opts.delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": opts.max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "DOWNLOAD_TIMEOUT": opts.timeout,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": opts.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            BackoffRetry: 550,
            SiteBoundary: 40,  # before robots.txt (100): not even the other site's robots.txt
        },
        "DOWNLOAD_MAXSIZE": opts.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": 10,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOG_FILE": f"{job}/crawl.log",
        "LOG_FILE_APPEND": True,
        "LOG_STDOUT": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "HTTPERROR_ALLOW_ALL": False,
    }


# HTTP statuses the spider handles itself (the rest go to the errback once retries are done)
HANDLED = [304, 400, 401, 403, 404, 410, 451]


def _h(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class ReportSpider(scrapy.Spider):
    name = "gongkai"

    def __init__(
        self,
        sites: list[tuple[Site, int]],
        state: JobState,
        opts: Options,
        known: dict[str, dict[str, Any]],
        old_body: Callable[[str], bytes | None],
        progress: Callable[[dict[str, int]], None] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.sites, self.state, self.opts, self.known = sites, state, opts, known
        self.old_body, self.progress = old_body, progress
        self.site_hosts: dict[int, set[str]] = {sid: {s.host} for s, sid in sites}
        self.list_pages: dict[int, int] = {}
        self.seen: set[str] = set()
        self.counts = {"fetched": 0, "not_modified": 0, "resumed": 0, "errors": 0, "offsite": 0, "robots": 0}
        self.hosts: dict[str, HostStats] = {}

    # -- requests --------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for site, sid in self.sites:
            for r in self._follow(site.url, "entry", 0, site.agency, sid, None):
                yield r

    def _follow(
        self, url: str, role: str, depth: int, agency: str, sid: int, parent: str | None
    ) -> Iterator[Request]:
        """A request for ``url``, or, when this job fetched it already, the requests its links led to."""
        if url in self.seen:
            return
        self.seen.add(url)
        if role != "entry" and not same_site(host_of(url), self.site_hosts[sid]):
            self.counts["offsite"] += 1
            return
        if role == "list":
            self.list_pages[sid] = self.list_pages.get(sid, 0) + 1
            if self.list_pages[sid] > self.opts.profile.max_pages:
                return
        done = self.state.doc(url)
        if done is not None:
            self.counts["resumed"] += 1
            if done.get("final_url"):
                self.site_hosts[sid].add(host_of(done["final_url"]))
            for c in done["children"]:
                yield from self._follow(c["url"], c["role"], c["depth"], agency, sid, url)
            return
        headers = {}
        known = self.known.get(url)
        if known and role in ("detail", "attachment"):
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        meta = {
            "agency": agency,
            "sid": sid,
            "role": role,
            "gk_depth": depth,
            "parent": parent,
            "handle_httpstatus_list": HANDLED,
        }
        prio = {"attachment": 30, "detail": 20, "list": 10}.get(role, 0)
        yield Request(
            url, callback=self.parse, errback=self.failed, headers=headers, meta=meta, priority=prio
        )

    # -- responses -------------------------------------------------------------------------------

    def _host(self, response: Response) -> None:
        st = self.hosts.setdefault(host_of(response.url), HostStats())
        st.requests += 1
        st.latency += float(response.meta.get("download_latency") or 0.0)
        if self.crawler.engine is not None:
            d = self.crawler.engine.downloader
            slot = d.slots.get(d.get_slot_key(response.request))
            if slot is not None:
                st.final_delay = slot.delay

    def parse(self, response: Response) -> Iterator[Request]:
        m = response.meta
        url = response.request.meta.get("redirect_urls", [response.request.url])[0]
        self._host(response)
        if m["role"] == "entry":
            self.site_hosts[m["sid"]].add(host_of(response.url))
        common = {
            "agency": m["agency"],
            "site_id": m["sid"],
            "role": m["role"],
            "parent": m["parent"],
            "depth": m["gk_depth"],
            "final_url": response.url,
            "http_status": response.status,
            "elapsed": float(m.get("download_latency") or 0.0),
        }
        if response.status == 304:
            self.counts["not_modified"] += 1
            known = self.known[url]
            children = []
            if m["role"] == "detail":
                body = self.old_body(known["sha256"])
                if body is not None:
                    children = self._links(url, body.decode("utf-8", "replace"), "detail", m)
            self.state.record(url, **common, sha=known["sha256"], children=children)
            yield from self._children(children, m, url)
            self._tick()
            return
        if response.status >= 400:
            self.counts["errors"] += 1
            zh, en = _status_text(response.status)
            self.state.record(url, **common, error=zh, error_en=en)
            self._tick()
            return
        self.counts["fetched"] += 1
        body = response.body
        is_text = isinstance(response, TextResponse)
        text = response.text if is_text else ""
        children: list[dict[str, Any]] = []
        if is_text and m["role"] != "attachment":
            children = self._links(response.url, text, m["role"], m)
        keep = m["role"] in ("detail", "attachment") or (is_text and _looks_like_report(text))
        values: dict[str, Any] = {}
        if keep:
            headers = _h(response)
            values = {
                "sha": self.state.put_body(body),
                "size": len(body),
                "etag": headers.get("etag"),
                "last_modified": headers.get("last-modified"),
                "headers": headers,
                "published": str(shown) if (shown := published_date(text, self.opts.profile)) else None,
                "title": page_title(text) if is_text else "",
            }
        self.state.record(url, **common, **values, children=children)
        yield from self._children(children, m, url)
        self._tick()

    def _links(self, base: str, text: str, role: str, m: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[Link] = extract(base, text, role, self.opts.profile, self.opts.year)
        out = []
        for link in found:
            depth = m["gk_depth"] + 1 if link.role in ("nav", "column") else m["gk_depth"]
            if depth > self.opts.profile.max_depth:
                continue
            out.append({"url": link.url, "role": link.role, "depth": depth})
        return out

    def _children(self, children: list[dict[str, Any]], m: dict[str, Any], parent: str) -> Iterator[Request]:
        for c in children:
            yield from self._follow(c["url"], c["role"], c["depth"], m["agency"], m["sid"], parent)

    def failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        m = request.meta
        url = m.get("redirect_urls", [request.url])[0]
        zh, en, status = _failure_text(failure)
        if status == "robots":
            self.counts["robots"] += 1
        else:
            self.counts["errors"] += 1
        self.state.record(
            url,
            agency=m["agency"],
            site_id=m["sid"],
            role=m["role"],
            parent=m["parent"],
            depth=m["gk_depth"],
            http_status=status if isinstance(status, int) else None,
            error=zh,
            error_en=en,
            children=[],
        )
        self._tick()

    def _tick(self) -> None:
        if self.progress:
            self.progress(dict(self.counts))


def _looks_like_report(text: str) -> bool:
    head = text[:200_000]
    return "年度报告" in head and "政府信息公开" in head and "<table" in head.lower()


def _status_text(status: int) -> tuple[str, str]:
    if status in (404, 410):
        return f"页面不存在（HTTP {status}）", f"not found (HTTP {status})"
    if status in (401, 403, 451):
        return f"拒绝访问（HTTP {status}）", f"access refused (HTTP {status})"
    return f"服务器返回错误（HTTP {status}）", f"server error (HTTP {status})"


def _failure_text(failure: Failure) -> tuple[str, str, int | str | None]:
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    exc = failure.value
    name = type(exc).__name__
    msg = str(exc)
    if isinstance(exc, HttpError):
        status = exc.response.status
        zh, en = _status_text(status)
        return f"{zh}，已重试", f"{en}, retried", status
    if isinstance(exc, IgnoreRequest) and "robots" in msg.lower():
        return "robots.txt 禁止抓取", "forbidden by robots.txt", "robots"
    if isinstance(exc, IgnoreRequest) and msg.startswith("offsite redirect"):
        return "重定向到站外，未跟随", f"redirected off the site, not followed ({msg[17:]})", None
    if "maxsize" in msg.lower() or "max size" in msg.lower() or name == "DownloadCancelledError":
        return "文件超过大小上限，未下载", "over the size cap, not downloaded", None
    if "DNS" in name or "DNSLookup" in name:
        return "域名无法解析", "the host name does not resolve", None
    if "ConnectionRefused" in name:
        return "无法连接网站（连接被拒绝）", "cannot connect (connection refused)", None
    if "Timeout" in name or "timed out" in msg.lower() or "took longer" in msg:
        return "网站响应超时，已重试", "the site timed out, retried", None
    return f"无法访问：{name}", f"cannot fetch: {name}: {msg[:200]}", None


def run(
    sites: list[tuple[Site, int]],
    state: JobState,
    opts: Options,
    known: dict[str, dict[str, Any]],
    old_body: Callable[[str], bytes | None],
    progress: Callable[[dict[str, int]], None] | None = None,
) -> tuple[dict[str, int], dict[str, HostStats], float]:
    """Crawl the sites (blocking; Twisted's reactor runs once per process). Returns the counts, the
    per-host stats and the seconds taken."""
    from scrapy.crawler import CrawlerProcess

    t0 = time.perf_counter()
    process = CrawlerProcess(settings(str(state.root), opts))
    crawler = process.create_crawler(ReportSpider)
    process.crawl(
        crawler, sites=sites, state=state, opts=opts, known=known, old_body=old_body, progress=progress
    )
    process.start()
    spider = crawler.spider
    assert isinstance(spider, ReportSpider)
    return spider.counts, spider.hosts, time.perf_counter() - t0
