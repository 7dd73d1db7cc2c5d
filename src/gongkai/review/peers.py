"""Comparisons: a peer group (same year, region, level and kind), ranked by one defined ratio, with
rank, percentile, the change from the year before and the distribution to draw.

The ratios and key cells come from each version's kept ``summary``: a province's thousands of
agencies are one query, not their cells.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ratios import BY_ID, KEY_CELLS, RATIOS, Ratio

if TYPE_CHECKING:
    from ..store import Store


@dataclass(frozen=True, slots=True)
class Group:
    """Who is compared: a year, a region prefix, a level (province/city/county), a kind
    (government/department) and a name part (教育局: all education bureaux)."""

    year: int | None = None
    region: str = ""
    level: str = ""
    kind: str = ""
    name: str = ""
    ids: tuple[int, ...] = ()

    def filters(self) -> dict[str, Any]:
        if self.ids:
            return {"version_ids": self.ids}
        return {
            "year": self.year,
            "region_prefix": self.region or None,
            "level": self.level or None,
            "kind": self.kind or None,
            "name": self.name or None,
        }


def compare(store: Store, group: Group, rank: str = "disclosure_rate") -> dict[str, Any]:
    """The group's reports ranked by ``rank`` (highest first; blanks last), each with rank,
    percentile (share of the group with a lower value) and change from the same agency's year before.
    Kept until the reports change (``store.reports.memo``): the result is shared, read it only."""
    by = BY_ID.get(rank, RATIOS[0])
    return store.reports.memo(("compare", group, by.id), lambda: _compare(store, group, by))


def _compare(store: Store, group: Group, by: Ratio) -> dict[str, Any]:
    rows = store.reports.summaries(**group.filters())
    prev: dict[tuple[str, str], dict[str, Any]] = {}
    years = {r["year"] for r in rows if r["year"] is not None}
    if len(years) == 1 and not group.ids:
        (y,) = years
        before = Group(y - 1, group.region, group.level, group.kind, group.name)
        prev = {(r["agency"], r["region_code"]): r for r in store.reports.summaries(**before.filters())}
    values = sorted(v for v in (_ratio(r, by) for r in rows) if v is not None)
    out = []
    for r in rows:
        v = _ratio(r, by)
        p = prev.get((r["agency"], r["region_code"]))
        pv = _ratio(p, by) if p else None
        out.append(
            {
                **{k: x for k, x in r.items() if k != "summary"},
                "cells": {c: (r["summary"] or {}).get("cells", {}).get(c) for c in KEY_CELLS},
                "ratios": {x.id: _ratio(r, x) for x in RATIOS},
                "value": v,
                "percentile": _percentile(values, v),
                "change": (v - pv) if v is not None and pv is not None else None,
            }
        )
    out.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0), r["agency"]))
    for i, r in enumerate(out, start=1):
        r["rank"] = i if r["value"] is not None else None
    return {
        "rows": out,
        "rank": by,
        "ratios": RATIOS,
        "key_cells": KEY_CELLS,
        "distribution": histogram(values),
        "stats": stats(values),
    }


def trend(store: Store, group: Group, rank: str = "disclosure_rate") -> list[dict[str, Any]]:
    """The group's median and quartiles of one ratio, year by year (the group without its year)."""
    by = BY_ID.get(rank, RATIOS[0])
    every_year = Group(None, group.region, group.level, group.kind, group.name)
    # One scalar a report, read out of the kept summary by the database: every year of a province is
    # tens of thousands of rows, too many to load as summaries.
    per: dict[int, list[float]] = {}
    for _, _, v, year in store.reports.light(by.id, **every_year.filters()):
        if year is not None and v is not None:
            per.setdefault(year, []).append(v)
    return [{"year": y, **stats(sorted(vs))} for y, vs in sorted(per.items())]


def _ratio(row: dict[str, Any] | None, ratio: Ratio) -> float | None:
    if not row:
        return None
    return ((row.get("summary") or {}).get("ratios") or {}).get(ratio.id)


def _percentile(sorted_values: list[float], v: float | None) -> float | None:
    if v is None or not sorted_values:
        return None
    return bisect_left(sorted_values, v) / len(sorted_values)  # the share strictly below v


def _quantile(s: list[float], q: float) -> float | None:
    if not s:
        return None
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stats(sorted_values: list[float]) -> dict[str, Any]:
    return {
        "n": len(sorted_values),
        "q1": _quantile(sorted_values, 0.25),
        "median": _quantile(sorted_values, 0.5),
        "q3": _quantile(sorted_values, 0.75),
    }


def histogram(sorted_values: list[float], bins: int = 10) -> list[dict[str, Any]]:
    """Counts in ``bins`` equal steps of [0, 1] (ratios are shares; a value of 1 falls in the last)."""
    counts = [0] * bins
    for v in sorted_values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    return [{"from": i / bins, "to": (i + 1) / bins, "n": n} for i, n in enumerate(counts)]
