"""The sites list (SITES.csv): one agency a row, ``agency,url`` (or 机关,网址), and its sharding.

A malformed row is named and skipped; the rest of the list goes on. At national scale the list is
split across machines by a hash of the host (``--shard K/N``): every URL of one host lands on the
same machine, so per-host politeness (one request at a time, adaptive delay) holds globally.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import Invalid
from ..spreadsheet import csv_rows

AGENCY = ("agency", "机关", "机关名称", "name", "单位")
URL = ("url", "网址", "链接", "地址", "网站")


@dataclass(frozen=True, slots=True)
class Site:
    agency: str
    url: str
    host: str
    line: int


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    problem: str
    problem_en: str

    def text(self, lang: str = "zh") -> str:
        return f"line {self.line}: {self.problem_en}" if lang == "en" else f"第{self.line}行：{self.problem}"


def read_sites(data: bytes, filename: str = "SITES.csv") -> tuple[list[Site], list[BadRow]]:
    """The sites of a CSV (UTF-8, UTF-8 BOM or GB18030) and its bad rows."""
    rows = csv_rows(data, filename)
    if not rows:
        raise Invalid(filename, "文件是空的", "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    ai = next((i for i, h in enumerate(header) if h in AGENCY), None)
    ui = next((i for i, h in enumerate(header) if h in URL), None)
    if ai is None or ui is None:
        raise Invalid(
            filename,
            "第1行须为表头“机关,网址”（或 agency,url）",
            "the first row must be the header agency,url (or 机关,网址)",
        )
    sites: list[Site] = []
    bad: list[BadRow] = []
    seen: set[tuple[str, str]] = set()
    for n, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        agency = cells[ai] if ai < len(cells) else ""
        url = cells[ui] if ui < len(cells) else ""
        if not agency:
            bad.append(BadRow(n, "机关名称为空", "the agency is empty"))
            continue
        if url and "://" not in url:
            url = "http://" + url
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or not re.fullmatch(
                r"[a-z0-9.-]+|\[[0-9a-f:]+\]", parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0].lower()
            )
        ):
            bad.append(BadRow(n, f"网址“{url}”无效", f"invalid URL {url!r}"))
            continue
        if (agency, url) in seen:
            continue
        seen.add((agency, url))
        sites.append(Site(agency, url, parts.hostname.lower(), n))
    return sites, bad


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    """``K/N`` (1 ≤ K ≤ N) → (K, N)."""
    if not spec:
        return None
    try:
        k, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise Invalid(spec, "分片须写作 K/N，例如 1/4", "a shard is K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise Invalid(spec, "分片须满足 1 ≤ K ≤ N", "a shard needs 1 ≤ K ≤ N")
    return k, n


def shard_of(host: str, n: int) -> int:
    """The shard (1…n) of a host: a stable hash, the same on every machine and every run."""
    return int.from_bytes(hashlib.sha256(host.encode()).digest()[:8], "big") % n + 1


def in_shard(sites: list[Site], shard: tuple[int, int] | None) -> list[Site]:
    if shard is None:
        return sites
    k, n = shard
    return [s for s in sites if shard_of(s.host, n) == k]
