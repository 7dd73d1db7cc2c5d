"""First contact: on exactly the data `make run` loads, every page reachable by links from / answers
without a server error or a broken link — anonymous in both languages, and as the demo reviewer and an
admin (every page kind they see). Runs the real server."""

from __future__ import annotations

import re
import urllib.parse
from collections import Counter

import httpx
import pytest

from gongkai.review.cli import DEMO_REVIEWER
from gongkai.store import Store

from .workbench import ADMIN, load, serve

HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"', re.I)


def kind(path: str) -> str:
    """/reports/123/diff?against=4 → /reports/N/diff: one page kind."""
    return re.sub(r"\d+", "N", urllib.parse.urlsplit(path).path)


def crawl(
    client: httpx.Client, base: str, starts: list[str], per_kind: int | None = None
) -> tuple[set, list]:
    """Breadth-first over internal <a href> links; returns (pages seen, failures)."""
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    queue, bad = list(starts), []
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        if per_kind is not None and kinds[kind(path)] >= per_kind:
            continue
        seen.add(path)
        kinds[kind(path)] += 1
        r = client.get(base + path)
        if r.status_code >= 500 or r.status_code == 404:
            bad.append(f"{path}: HTTP {r.status_code}")
            continue
        if "html" not in r.headers.get("content-type", ""):
            continue
        for href in HREF.findall(r.text):
            u = urllib.parse.urlsplit(urllib.parse.urljoin(base + path, href.replace("&amp;", "&")))
            if u.netloc != urllib.parse.urlsplit(base).netloc or u.path in ("/logout", "/api/docs"):
                continue
            q = u.path + ("?" + u.query if u.query else "")
            if q not in seen:
                queue.append(q)
    return seen, bad


def login(client: httpx.Client, base: str, user: str, password: str) -> None:
    form = client.get(base + "/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = client.post(base + "/login", data={"username": user, "password": password, "csrf": csrf})
    assert r.status_code == 303, r.text


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_corpus):
    folder = tmp_path_factory.mktemp("crawl")
    store = Store.open(f"sqlite:///{folder / 'g.db'}", files_dir=folder / "files")
    load(store, demo_corpus)
    with serve(store) as base:
        yield base, store
    store.close()


def test_every_link_from_the_start_page_answers(site):
    base, store = site
    # the data has what the first page choked on: the blank template (no year, agency or region)
    assert store.reports.rows(unknown_year=True)
    with httpx.Client(timeout=60) as client:
        seen, bad = crawl(client, base, ["/", "/?lang=en"])
    assert not bad, bad[:20]
    kinds = {kind(p) for p in seen}
    for expected in (
        "/",
        "/reports",
        "/reports/N",
        "/reports/N/original",
        "/regions",
        "/regions/N",
        "/compare",
        "/coverage",
        "/agency",
        "/login",
        "/coverage.csv",
        "/api/export",
    ):
        assert expected in kinds, (expected, sorted(kinds))
    assert any("lang=en" in p for p in seen) and len(seen) > 300


@pytest.mark.parametrize("account", [DEMO_REVIEWER, ADMIN], ids=["reviewer", "admin"])
def test_every_page_kind_answers_when_logged_in(site, account):
    base, _ = site
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        login(client, base, *account)
        seen, bad = crawl(client, base, ["/", "/?lang=en", "/review", "/review?lang=en"], per_kind=4)
    assert not bad, bad[:20]
    kinds = {kind(p) for p in seen}
    assert {"/review", "/reports/N/notice.docx", "/review/circular.docx", "/upload"} <= kinds, sorted(kinds)
    if account == ADMIN:
        assert {"/audit", "/audit.csv", "/desk", "/desk/N"} <= kinds
