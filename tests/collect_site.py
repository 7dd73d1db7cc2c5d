"""A realistic local government site for the collector's tests, served by http.server in threads.

Several hosts (127.0.0.x, one server each: Scrapy keys its per-host politeness by host name) carry
the annual-report columns of a handful of agencies: list pages with pagination (下一页, ?page=N,
TRS's createPageHTML), report pages in the real CMS layout of ../shared/fixtures/pingtan (site chrome,
breadcrumbs, 时间/发布时间, share buttons: built at test time from those files, never copied), PDF
and DOCX attachments made by the writer, GBK pages, relative links, a redirect, a robots.txt that
forbids one path, a slow host, a flaky column (503 once), an attachment that 404s, a 2 GB
attachment streamed from a generator, a gzip bomb, a page that names a report but is not one, and a
link to another site that must never be requested. Conditional GETs are answered on ETag and, for
one page, on Last-Modified alone. Every request is logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from gongkai.demo import _region, synthetic
from gongkai.report import Agency, Report
from gongkai.writer import render

PINGTAN = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "pingtan"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterator[bytes]] | None = None  # served without Content-Length
    fail_first: int = 0  # answer 503 this many times first
    etag: bool = True
    last_modified: str | None = None  # an HTTP date: sent, and If-Modified-Since on it answers 304


@dataclass
class Hit:
    host: str
    path: str
    status: int
    if_none_match: str | None
    at: float
    user_agent: str = ""
    if_modified_since: str | None = None


class Host:
    """One web server on its own loopback address."""

    def __init__(self, site: Site, ip: str, delay: float = 0.0) -> None:
        self.site, self.ip, self.delay = site, ip, delay
        self.routes: dict[str, Route] = {}
        self.inflight = 0
        self.max_inflight = 0  # requests served at once: the collector's politeness, measured
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with host.site.lock:
                    host.inflight += 1
                    host.max_inflight = max(host.max_inflight, host.inflight)
                self.released = False
                try:
                    host.serve(self)
                finally:
                    host.release(self)

        self.server = ThreadingHTTPServer((ip, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{ip}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self, h: BaseHTTPRequestHandler) -> None:
        """The request is answered (its body is on its way): it no longer counts as in flight."""
        if not getattr(h, "released", True):
            h.released = True  # type: ignore[attr-defined]
            with self.site.lock:
                self.inflight -= 1

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        route = self.routes.get(h.path)
        inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")

        def log(status: int) -> None:
            with self.site.lock:
                ua = h.headers.get("User-Agent", "")
                self.site.hits.append(Hit(self.ip, h.path, status, inm, time.monotonic(), ua, ims))

        if route is None:
            log(404)
            h.send_response(404)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.end_headers()
            h.wfile.write("<html><body>404 页面不存在</body></html>".encode())
            return
        if route.fail_first > 0:
            route.fail_first -= 1
            log(503)
            h.send_response(503)
            h.end_headers()
            return
        if route.stream is not None:
            log(route.status)
            h.send_response(route.status)
            h.send_header("Content-Type", route.content_type)
            h.end_headers()
            self.release(h)
            try:
                for chunk in route.stream():
                    h.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"' if route.etag else None
        if etag and inm == etag and route.status == 200:
            log(304)
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        if route.last_modified and ims == route.last_modified and route.status == 200:
            log(304)
            h.send_response(304)
            h.send_header("Last-Modified", route.last_modified)
            h.end_headers()
            return
        log(route.status)
        h.send_response(route.status)
        h.send_header("Content-Type", route.content_type)
        h.send_header("Content-Length", str(len(route.body)))
        if etag:
            h.send_header("ETag", etag)
        if route.last_modified:
            h.send_header("Last-Modified", route.last_modified)
        for k, v in route.headers.items():
            h.send_header(k, v)
        h.end_headers()
        self.release(h)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.wfile.write(route.body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Site:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.hosts: list[Host] = []

    def host(self, ip: str, delay: float = 0.0) -> Host:
        h = Host(self, ip, delay)
        self.hosts.append(h)
        return h

    def close(self) -> None:
        for h in self.hosts:
            h.close()

    def fetched(self, status: int = 200) -> list[tuple[str, str]]:
        with self.lock:
            return [(x.host, x.path) for x in self.hits if x.status == status]


# -- documents ---------------------------------------------------------------------------------------

YEAR = 2024


def report(name: str, kind: str, seed: int, year: int = YEAR) -> Report:
    r, _ = synthetic(Agency(name, kind, _region("350102")), year, {}, random.Random(seed))
    return r


@cache
def rendered(name: str, kind: str, seed: int, fmt: str) -> bytes:
    return render(report(name, kind, seed), fmt)


def report_body(r: Report) -> str:
    """The writer's HTML of a report, without its own head: the article of a CMS page."""
    html = render(r, "html").decode()
    return html[html.index("<body>") + 6 : html.rindex("</body>")]


def cms_page(title: str, article: str, date: str, attachments: list[tuple[str, str]] = ()) -> str:
    """A report page in the real layout of the Pingtan TRS CMS: its chrome, breadcrumbs, date line
    and share buttons around ``article``."""
    page = (PINGTAN / "2025_gwh.html").read_text("utf-8")
    lines = page.split("\n")
    i = next(k for k, line in enumerate(lines) if "<div class=TRS_Editor>" in line)
    lines[i] = f"<div class=TRS_Editor>{article}</div>"
    page = "\n".join(lines)
    page = re.sub(
        r"<title>.*?</title>", f"<title>{title}_政府信息公开年报</title>", page, count=1, flags=re.S
    )
    page = page.replace("时间：2026-01-30 09:49", f"发布时间：{date} 09:30")
    items = "".join(f'<li><a href="{href}" title="{text}">{text}</a></li>' for href, text in attachments)
    return page.replace('<ul id="file_ul_fj">', f'<ul id="file_ul_fj">{items}', 1)


def real_page(name: str, date: str | None = None) -> str:
    """One of the real Pingtan report pages, its date line optionally changed."""
    page = (PINGTAN / name).read_text("utf-8")
    if date:
        page = re.sub(r"时间：\d{4}-\d{2}-\d{2}", f"时间：{date}", page, count=1)
    return page


def list_page(
    title: str, items: list[tuple[str, str, str]], pager: str = "", charset: str = "utf-8"
) -> bytes:
    """A column list: (href, link text, date) rows and a pager."""
    rows = "".join(
        f'<li><a href="{h}" title="{t}" target="_blank">{t}</a><span>{d}</span></li>' for h, t, d in items
    )
    html = (
        f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head><body>'
        f'<div class="crumbs"><a href="/">首页</a> &gt; <a href="../">政府信息公开</a> &gt; {title}</div>'
        f'<ul class="list">{rows}</ul><div class="pager">{pager}</div>'
        f'<div class="footer"><a href="https://www.gov.cn/">中国政府网</a> <a href="javascript:void(0)">无障碍</a>'
        f'<img src="/images/logo.png"></div></body></html>'
    )
    return html.encode(charset, "xmlcharrefreplace")


def gzip_bomb(mb: int = 120) -> bytes:
    """A small gzip body that inflates to ``mb`` MB of HTML."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [z.compress(b"<html><body>" + b"<div>" * 1000)]
    chunk = b" " * (1 << 20)
    out += [z.compress(chunk) for _ in range(mb)]
    out.append(z.flush())
    return b"".join(out)


def two_gb() -> Iterator[bytes]:
    """2 GB, a megabyte at a time, never held in memory."""
    yield b"%PDF-1.4\n"
    chunk = b"\0" * (1 << 20)
    for _ in range(2048):
        yield chunk


# -- the test site -------------------------------------------------------------------------------------

GYZ = "平潭综合实验区投资促进局"  # the real 2024 page: on time (2025-01-26)
GOV = "福州市鼓楼区人民政府"  # GBK site, PDF + the same report on the page (one typo): late (2025-04-15)
EDU = "福州市鼓楼区教育局"  # slow host, a page edited between runs: edited after publication
FIN = "福州市鼓楼区财政局"  # DOCX attachment on a page that only links it: on time; 2 GB and bomb links
HEA = "福州市鼓楼区卫生健康委员会"  # only a 2023 report and a page that is not a report: missing
MKT = "福州市鼓楼区市场监督管理局"  # nothing listens: unreachable


@dataclass
class Built:
    csv: Path
    urls: dict[str, str]
    main: Host
    slow: Host
    offsite: Host
    edit: Callable[[], None]  # edits EDU's report page (one number) as a CMS editor would
    forbidden: str  # the path robots.txt forbids (a report link points there)


def build(site: Site, tmp: Path) -> Built:
    main = site.host("127.0.0.11")
    slow = site.host("127.0.0.12", delay=0.25)
    offsite = site.host("127.0.0.13")
    offsite.routes["/steal.html"] = Route(cms_page("转载", "<p>转载</p>", "2025-01-02"))
    main.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    slow.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", content_type="text/plain")

    # GYZ: a redirect to the column; two list pages (下一页); the real page; a forbidden and an off-site link
    main.routes["/old/gyz/"] = Route(status=301, headers={"Location": "/gyz/ndbg/index.html"}, etag=False)
    main.routes["/gyz/ndbg/index.html"] = Route(
        list_page(
            "政府信息公开年报",
            [
                ("./202501/t20250126_96996.html", f"{GYZ}2024年度政府信息公开工作年度报告", "2025-01-26"),
                ("/private/t2024.html", f"{GYZ}2024年政府信息公开工作年度报告（内部稿）", "2025-01-20"),
                (offsite.url("/steal.html"), "2024年政府信息公开工作年度报告（转载）", "2025-01-02"),
                ("./jump.html", "2024年政府信息公开工作年度报告（镜像）", "2025-01-02"),
                (
                    "../../gyz/notice.html",
                    "关于做好2024年政府信息公开工作年度报告编制和发布工作的通知",
                    "2024-12-01",
                ),
            ],
            '<a href="index_1.html">下一页</a>',
        )
    )
    main.routes["/gyz/ndbg/jump.html"] = Route(
        status=302, headers={"Location": offsite.url("/steal.html")}, etag=False
    )  # an on-site link that redirects off the site
    main.routes["/gyz/ndbg/index_1.html"] = Route(
        list_page(
            "政府信息公开年报",
            [("./202401/t20240120_1.html", f"{GYZ}2023年政府信息公开工作年度报告", "2024-01-20")],
        )
    )
    main.routes["/gyz/ndbg/202501/t20250126_96996.html"] = Route(real_page("2024_gyz.html").encode())
    main.routes["/private/t2024.html"] = Route(real_page("2024_gyz.html", "2025-01-20").encode())

    # GOV: home page → 政府信息公开 → 年报 column (GBK), ?page=2 holds the 2024 report; page + PDF + a 404 DOCX
    gov = report(GOV, "government", 11)  # the page as typed into the CMS: one number differs from the PDF
    gov.cells["t3.new.np"].value += 10
    main.routes["/gl/index.html"] = Route(
        '<html><head><meta charset="gbk"><title>福州市鼓楼区人民政府</title></head><body>'
        '<a href="xxgk/">政府信息公开</a> <a href="news/">新闻</a></body></html>'.encode("gbk"),
        content_type="text/html",
    )
    main.routes["/gl/xxgk/"] = Route(
        '<html><head><meta charset="gbk"></head><body><a href="./ndbg/index.html">政府信息公开年报</a></body></html>'.encode(
            "gbk"
        ),
        content_type="text/html",
    )
    main.routes["/gl/xxgk/ndbg/index.html"] = Route(
        list_page(
            "政府信息公开年报",
            [("../../news/a.html", "2025年工作要点", "2025-02-01")],
            '<a href="?page=2">2</a>',
            "gbk",
        ),
        content_type="text/html",
    )
    main.routes["/gl/xxgk/ndbg/index.html?page=1"] = main.routes["/gl/xxgk/ndbg/index.html"]
    main.routes["/gl/xxgk/ndbg/index.html?page=2"] = Route(
        list_page(
            "政府信息公开年报",
            [
                (
                    "./2025/../t2025/./../t2025/detail_2024.html",
                    f"{GOV}2024年政府信息公开工作年度报告",
                    "2025-04-15",
                )
            ],
            '<a href="?page=1">上一页</a>',
            "gbk",
        ),
        content_type="text/html",
    )
    gov_page = (
        cms_page(
            f"{GOV}2024年政府信息公开工作年度报告",
            report_body(gov),
            "2025-04-15",
            [
                ("./P020250415_report.pdf", "附件1：2024年年报.pdf"),
                ("/gl/files/missing.docx", "附件2：2024年年报.docx"),
            ],
        )
        .replace('charset="utf-8"', 'charset="gbk"')
        .replace("charset=utf-8", "charset=gbk")
    )
    main.routes["/gl/xxgk/ndbg/t2025/detail_2024.html"] = Route(  # no ETag: Last-Modified only
        gov_page.encode("gbk", "xmlcharrefreplace"),
        content_type="text/html; charset=gbk",
        etag=False,
        last_modified="Tue, 15 Apr 2025 08:00:00 GMT",
    )
    main.routes["/gl/xxgk/ndbg/t2025/P020250415_report.pdf"] = Route(
        rendered(GOV, "government", 11, "pdf"), content_type="application/pdf"
    )

    # EDU: a slow host; the report as the page itself (TRS createPageHTML pager)
    edu = report(EDU, "department", 12)
    slow.routes["/jyj/ndbg/index.html"] = Route(
        list_page(
            "年度报告", [("t20250120_1.html", f"{EDU}2024年政府信息公开工作年度报告", "2025-01-20")]
        ).replace(b"</body>", b'<script>createPageHTML(2, 0, "index", "html");</script></body>')
    )
    slow.routes["/jyj/ndbg/index_1.html"] = Route(
        list_page("年度报告", [("t2023.html", "2023年度报告", "2024-01-10")])
    )
    edu_title = f"{EDU}2024年政府信息公开工作年度报告"
    slow.routes["/jyj/ndbg/t20250120_1.html"] = Route(
        cms_page(edu_title, report_body(edu), "2025-01-20").encode()
    )

    def edit() -> None:
        edu.cells["t3.new.np"].value += 1  # one more application: the totals follow
        edu.cells["t3.new.total"].value += 1
        edu.cells["t3.granted.np"].value += 1
        edu.cells["t3.granted.total"].value += 1
        edu.cells["t3.handled.np"].value += 1
        edu.cells["t3.handled.total"].value += 1
        slow.routes["/jyj/ndbg/t20250120_1.html"] = Route(
            cms_page(edu_title, report_body(edu), "2025-01-20").encode()
        )

    # FIN: a flaky column (503 once); a page that only links its DOCX; a 2 GB attachment; a gzip bomb
    main.routes["/czj/"] = Route(
        list_page(
            "政府信息公开年报",
            [
                ("ndbg/t20250115.html", f"{FIN}2024年政府信息公开工作年度报告", "2025-01-15"),
                ("ndbg/bomb.html", f"{FIN}2024年政府信息公开工作年度报告（图解）", "2025-01-16"),
            ],
        ),
        fail_first=1,
    )
    main.routes["/czj/ndbg/t20250115.html"] = Route(
        cms_page(
            f"{FIN}2024年政府信息公开工作年度报告",
            "<p>详见附件。</p>",
            "2025-01-15",
            [
                ("./W020250115_nb.docx", "2024年年报.docx"),
                ("./W020250115_scan.pdf", "2024年年报（扫描件）.pdf"),
            ],
        ).encode()
    )
    main.routes["/czj/ndbg/W020250115_nb.docx"] = Route(
        rendered(FIN, "department", 13, "docx"),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    main.routes["/czj/ndbg/W020250115_scan.pdf"] = Route(stream=two_gb, content_type="application/pdf")
    main.routes["/czj/ndbg/bomb.html"] = Route(gzip_bomb(), headers={"Content-Encoding": "gzip"}, etag=False)

    # HEA: a 2023 report and a page that names the 2024 report but is not one
    main.routes["/wjw/ndbg/"] = Route(
        list_page(
            "年度报告",
            [
                ("jd2024.html", "2024年政府信息公开工作年度报告图文解读", "2025-01-22"),
                ("t2023.html", f"{HEA}2023年政府信息公开工作年度报告", "2024-01-22"),
            ],
        )
    )
    main.routes["/wjw/ndbg/jd2024.html"] = Route(
        cms_page(
            "2024年政府信息公开工作年度报告图文解读",
            "<p>一图读懂我委年度报告：公开更透明，服务更贴心。</p>",
            "2025-01-22",
        ).encode()
    )

    closed = _closed_port()
    urls = {
        GYZ: main.url("/old/gyz/"),
        GOV: main.url("/gl/index.html"),
        EDU: slow.url("/jyj/ndbg/index.html"),
        FIN: main.url("/czj/"),
        HEA: main.url("/wjw/ndbg/"),
        MKT: f"http://127.0.0.14:{closed}/",
    }
    csv = tmp / "sites.csv"
    lines = (
        ["机关,网址"]
        + [f"{a},{u}" for a, u in urls.items()]
        + ["福州市鼓楼区某局,not a url", ",http://127.0.0.11/"]
    )
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    return Built(csv, urls, main, slow, offsite, edit, "/private/t2024.html")


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.14", 0))
    port = s.getsockname()[1]
    s.close()
    return port
