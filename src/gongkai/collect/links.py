"""Reading a fetched page: which links lead to reports, attachments, further list pages or the
report column, and the publication date the page shows. Pure functions over (url, html); the words
and patterns come from a ``Profile``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree, html

from .profile import DEFAULT, Profile

MAX_HTML = 8 * 1024 * 1024  # a page longer than this is not read for links (an HTML bomb)


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    role: str  # detail | attachment | list (a further page of a column) | column | nav
    text: str


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site(host: str, site_hosts: set[str]) -> bool:
    """A host of the site: one of its hosts, or a subdomain of one (files.x.gov.cn of www.x.gov.cn)."""
    if host in site_hosts:
        return True
    for h in site_hosts:
        if re.fullmatch(r"[\d.]+", h):
            continue
        base = h[4:] if h.startswith("www.") else h
        if base.count(".") >= 2 and host.endswith("." + base):
            return True
    return False


def _clean(url: str) -> str | None:
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _ext(url: str) -> str:
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


def names_report(text: str, profile: Profile = DEFAULT) -> int | None:
    """The year a link text names when it names an annual report (None otherwise)."""
    if not profile.report.search(text) or any(w in text for w in profile.not_report):
        return None
    m = profile.year.search(text)
    return int(m.group(1)) if m else None


def _doc(text: str):
    if len(text) > MAX_HTML or not text.strip():
        return None
    try:
        return html.fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def extract(
    base: str, text: str, role: str, profile: Profile = DEFAULT, year: int | None = None
) -> list[Link]:
    """The links worth following from a page reached as ``role`` (entry, nav, column, list or detail):
    report pages (a link naming the report and the year), attachments, further pages of a column,
    and from the entry page and disclosure pages, the report column and disclosure pages."""
    doc = _doc(text)
    if doc is None:
        return []
    out: dict[str, Link] = {}
    pagers: dict[str, Link] = {}
    lists_reports = False
    n = 0
    for a in doc.iter("a"):
        n += 1
        if n > profile.max_links:
            break
        href = a.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = _clean(urljoin(base, href))
        if url is None or url in out:
            continue
        label = " ".join((a.text_content() or "").split())[:200]
        title = (a.get("title") or "").strip()
        words = f"{label} {title}"
        ext = _ext(url)
        if ext in profile.skip_ext:
            continue
        named = names_report(words, profile)
        about_report = named is not None or bool(profile.report.search(words))
        lists_reports = lists_reports or about_report
        if ext in profile.attachments:
            if role == "detail" or (named is not None and (year is None or named == year)):
                out[url] = Link(url, "attachment", label or title)
            continue
        if role == "detail":
            continue  # a report page leads only to its attachments
        if named is not None:
            if year is None or named == year:
                out[url] = Link(url, "detail", label or title)
            continue
        if (
            about_report
            and not profile.year.search(words)
            and not any(w in words for w in profile.not_report)
        ):
            if role in ("entry", "nav", "column"):
                out[url] = Link(url, "column", label or title)  # 政府信息公开年报: the column itself
            continue
        if about_report or profile.year.search(words):
            continue  # a notice about the report, or a dated item: not a column
        if _is_pager(label, url, profile):
            pagers[url] = Link(url, "list", label)
            continue
        if role not in ("entry", "nav"):
            continue  # breadcrumbs and menus of a column lead back up, not to reports
        if any(w in label for w in profile.column):
            out[url] = Link(url, "column", label)
        elif any(w in label for w in profile.disclosure):
            out[url] = Link(url, "nav", label)
    if role == "entry" and lists_reports:  # the entry is the column itself: not up its breadcrumbs
        out = {u: k for u, k in out.items() if k.role not in ("nav", "column")}
    if role in ("column", "list") or (lists_reports and role != "detail"):  # a column: its other pages
        for url in _script_pages(base, text, profile):
            pagers.setdefault(url, Link(url, "list", ""))
        for url, link in pagers.items():
            out.setdefault(url, link)
    return list(out.values())


def _is_pager(label: str, url: str, profile: Profile) -> bool:
    if any(w in label.lower() for w in profile.next_page):
        return True
    if profile.page_number.match(label):  # 第2页, 2: a page number, whatever its address looks like
        return True
    parts = urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    return any(p.search(target) for p in profile.page_href)


def _script_pages(base: str, text: str, profile: Profile) -> list[str]:
    """TRS pages write their pager with ``createPageHTML(pages, current, "index", "html")``."""
    m = profile.script_pager.search(text)
    if not m:
        return []
    pages, stem, ext = min(int(m.group(1)), profile.max_pages), m.group(3), m.group(4)
    return [urljoin(base, f"{stem}_{i}.{ext}" if i else f"{stem}.{ext}") for i in range(pages)]


def published_date(text: str, profile: Profile = DEFAULT) -> dt.date | None:
    """The date the page shows next to 发布日期 / 发布时间 / 成文日期 … (the most specific label wins)."""
    if len(text) > MAX_HTML:
        text = text[:MAX_HTML]
    plain = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    plain = re.sub(r"<[^>]{0,2000}>", " ", plain)
    plain = re.sub(r"&nbsp;|\s+", " ", plain)
    for label in profile.date_labels:
        for m in re.finditer(re.escape(label) + r"\s*[:：]\s*", plain):
            d = profile.date.match(plain, m.end())
            if d:
                try:
                    return dt.date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
                except ValueError:
                    continue
    return None


def page_title(text: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", text[:200_000], re.S | re.I)
    return " ".join(m.group(1).split())[:300] if m else ""
