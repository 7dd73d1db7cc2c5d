"""The region hierarchy a reviewer browses: country → province → city → county → agency (GB/T 2260).

A level's children are the regions directly under it; an agency belongs to the smallest region its
code names (深圳市教育局 440300 sits at the city level of 深圳市, 南山区教育局 440305 in 南山区).
Municipalities' container rows (110100 …) are skipped: 北京市's districts are its children.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import regions
from ..desk.access import governed_prefix

if TYPE_CHECKING:
    from ..store import Store


def region_prefix(value: str | None) -> str:
    """A region filter as given by a user, as a code prefix: a GB/T 2260 code stands for its territory
    (440300 → "4403"), other digits are a prefix already ("44"); anything else is no filter ("")."""
    value = (value or "").strip()
    if not value.isdigit():
        return ""
    if len(value) == 6 and regions.get(value) is not None:
        return governed_prefix(value)
    return value[:12]


def children(code: str) -> list[regions.Region]:
    """The regions directly under ``code`` ("" for the country)."""
    all_ = regions.regions()
    if not code:
        return [r for r in all_ if r.level == "province"]
    here = regions.get(code)
    if here is None or here.level == "county":
        return []
    if here.level == "province":
        if here.is_municipality():
            return [r for r in all_ if r.level == "county" and r.code[:2] == code[:2]]
        return [
            r
            for r in all_
            if r.code[:2] == code[:2]
            and r.code != code
            and (r.level == "city" or (r.level == "county" and r.city() is None))
        ]
    return [r for r in all_ if r.level == "county" and r.code[:4] == code[:4]]


def path(code: str) -> list[regions.Region]:
    """The regions from the province down to ``code`` (the breadcrumb)."""
    here = regions.get(code)
    if here is None:
        return []
    out = [here.province()]
    if here.level == "county" and here.city() is not None and not here.is_municipality():
        out.append(here.city())
    if here.level == "city" and not here.is_municipality():
        out.append(here)
    if here.level == "county":
        out.append(here)
    return [r for r in dict.fromkeys(out) if r is not None]


def child_of(region_code: str, kids: dict[str, regions.Region], lengths: tuple[int, ...] = ()) -> str | None:
    """Which of ``kids`` (keyed by governed prefix) contains ``region_code``: a look-up per prefix
    length (``lengths``, longest first), not a scan (the country level files ~14,000 reports a year
    under 34 provinces)."""
    for n in lengths or sorted({len(p) for p in kids}, reverse=True):
        r = kids.get(region_code[:n])
        if r is not None:
            return r.code
    return None


@dataclass
class Tally:
    expected: int = 0
    reports: int = 0
    with_errors: int = 0
    missing: int = 0
    rates: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float | None:
        return self.with_errors / self.reports if self.reports else None

    @property
    def median_rate(self) -> float | None:
        if not self.rates:
            return None
        s = sorted(self.rates)
        mid = len(s) // 2
        return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def level(store: Store, code: str, year: int | None, ratio: str = "disclosure_rate") -> dict[str, Any]:
    """One level of the hierarchy for a year: a tally per child region, the agencies at this level, and
    who has not published. Tallies come from plain tuples (``reports.light``, ``reviews.expected_states``);
    full rows are read only for the agencies listed at this level."""
    prefix = governed_prefix(code) if code else ""
    kids = children(code)
    by_prefix = {governed_prefix(r.code): r for r in kids}
    lengths = tuple(sorted({len(p) for p in by_prefix}, reverse=True))
    tallies: dict[str, Tally] = defaultdict(Tally)
    own = Tally()
    light, states = tallies_of(store, prefix, year, ratio) if year is not None else ([], [])
    for region_code, broken, value, _ in light:
        key = child_of(region_code, by_prefix, lengths)
        t = tallies[key] if key else own
        t.reports += 1
        t.with_errors += broken
        if value is not None:
            t.rates.append(value)
    missing = []
    for name, region_code, published in states:
        key = child_of(region_code, by_prefix, lengths)
        t = tallies[key] if key else own
        t.expected += 1
        if not published:
            t.missing += 1
            missing.append({"name": name, "region_code": region_code})
    here: list[dict[str, Any]] = []
    if year is not None and own.reports:
        # agencies at this level: the region's own code exactly (or no code at the country level)
        here = [
            r
            for r in store.reports.summaries(year=year, region_prefix=prefix or None, level=_own_level(code))
            if not child_of(r["region_code"] or "", by_prefix, lengths)
        ]
    return {
        "code": code,
        "region": regions.get(code) if code else None,
        "crumbs": path(code) if code else [],
        # regions with reports or expected publishers first, each as (region, tally)
        "children": sorted(
            ((r, tallies.get(r.code, Tally())) for r in kids),
            key=lambda rt: (not (rt[1].reports or rt[1].expected), rt[0].code),
        ),
        "own": own,
        "agencies": here,
        "missing": missing,
        "reports": len(light),
        "with_errors": sum(1 for x in light if x[1]),
    }


def tallies_of(
    store: Store, prefix: str, year: int, ratio: str = "disclosure_rate"
) -> tuple[list[tuple[str, bool, float | None, int | None]], list[tuple[str, str, bool]]]:
    """A region's reports of the year (``reports.light``) and its expected publishers, kept until the store
    changes. A region reads only its own through the region-code index (a province: ~25 ms cold at
    100,000 reports), so a write — every review decision is one — costs the next page little; filtering
    a shared whole-year read instead would cost every region the country's ~150 ms."""
    return (
        store.reports.light(ratio, year=year, region_prefix=prefix or None),
        store.reviews.expected_states(prefix or None, year),
    )


def warm(store: Store) -> None:
    """Read the country level's tallies of every year into the store's memo (``gongkai serve`` does it as
    it starts, in the background): the one level whose cold read takes ~150 ms."""
    for y in store.reports.counts()["by_year"]:
        if y["year"] is not None:
            tallies_of(store, "", y["year"])
            store.reports.top_rules(None, y["year"])


def _own_level(code: str) -> str | None:
    """The level filter that picks the agencies whose code is this region's own ("unknown" at the top)."""
    if not code:
        return "unknown"
    return {"province": "province", "city": "city", "county": "county"}.get(regions.get(code).level)  # type: ignore[union-attr]
