"""A realistic agency hierarchy for synthetic corpora: provinces → cities → counties (GB/T 2260), each
with its people's government and some of its departments, named the way they sign their reports.

Deterministic by seed. Every name resolves back to its own region code through ``regions.resolve``
(what the extractor does with a publisher name), so a parsed report lands on the agency it came from.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from .. import regions
from ..report import Region

# Departments that publish their own annual report, by administrative level. Municipalities (北京, 天津,
# 上海, 重庆) name their provincial-level departments like cities do (北京市教育委员会, 北京市财政局).
PROVINCE_DEPARTMENTS = (
    "教育厅", "财政厅", "自然资源厅", "生态环境厅", "住房和城乡建设厅", "交通运输厅", "水利厅", "农业农村厅",
    "商务厅", "文化和旅游厅", "卫生健康委员会", "应急管理厅", "人力资源和社会保障厅", "民政厅", "司法厅",
    "市场监督管理局", "审计厅", "公安厅",
)  # fmt: skip
MUNICIPALITY_DEPARTMENTS = (
    "教育委员会", "财政局", "规划和自然资源委员会", "生态环境局", "住房和城乡建设委员会", "交通委员会",
    "水务局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局",
    "人力资源和社会保障局", "民政局", "司法局", "市场监督管理局", "审计局", "公安局",
)  # fmt: skip
CITY_DEPARTMENTS = (
    "教育局", "财政局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化广电旅游局", "卫生健康委员会", "应急管理局", "人力资源和社会保障局",
    "民政局", "司法局", "市场监督管理局", "审计局", "公安局",
)  # fmt: skip
# County-level ecology offices are branches of the city's bureau: they do not report on their own.
COUNTY_DEPARTMENTS = tuple(d for d in CITY_DEPARTMENTS if d != "生态环境局")

# How many departments of a unit publish, by level (a national corpus has about 20,000 agencies).
DEPARTMENTS_PER_UNIT = {"province": 10, "city": 8, "county": 5}
# Not covered by the regulations the reports answer to.
EXCLUDED_PROVINCES = frozenset({"71", "81", "82"})


@dataclass(frozen=True, slots=True)
class SyntheticAgency:
    index: int  # position in the corpus: seeds the agency's own random stream
    name: str
    kind: str  # "government" | "department"
    region: Region
    slug: str  # file-name part: "g" for the government, "d07" for department 7 of the level's list

    @property
    def code(self) -> str:
        return self.region.code or ""


def region_of(code: str) -> Region:
    r = regions.get(code)
    if r is None:
        raise KeyError(code)
    d = r.as_dict()
    return Region(d["code"], d["province"], d["city"], d["county"])


def _place(r: regions.Region) -> str:
    """The place name a unit's agencies start with: 广东省, 深圳市, 深圳市南山区, 北京市朝阳区."""
    if r.level != "county":
        return r.name
    parent = r.city() or r.province()
    return f"{parent.name}{r.name}" if parent else r.name


def _departments(r: regions.Region) -> tuple[str, ...]:
    if r.level == "province":
        return MUNICIPALITY_DEPARTMENTS if r.is_municipality() else PROVINCE_DEPARTMENTS
    return CITY_DEPARTMENTS if r.level == "city" else COUNTY_DEPARTMENTS


def units(seed: int) -> list[regions.Region]:
    """Every region that has a government of its own, provinces in a seeded order and, inside each
    province, the province first and then each city followed by its counties."""
    by_province: dict[str, list[regions.Region]] = {}
    for r in regions.regions():
        if r.code[:2] in EXCLUDED_PROVINCES or (r.level == "city" and r.is_municipality()):
            continue  # municipalities' city rows only group their districts
        by_province.setdefault(r.code[:2], []).append(r)
    order = sorted(by_province)
    random.Random(f"{seed}/provinces").shuffle(order)
    return [r for p in order for r in by_province[p]]  # codes sort cities before their counties


def capacity(departments_per_unit: dict[str, int] | None = None) -> int:
    """How many agencies the hierarchy holds with ``departments_per_unit``."""
    per = departments_per_unit or DEPARTMENTS_PER_UNIT
    return sum(1 + min(per[r.level], len(_departments(r))) for r in units(0))


def agencies(n: int, seed: int) -> Iterator[SyntheticAgency]:
    """``n`` agencies (or as many as the hierarchy holds), spread over the country: each unit is taken
    with the probability that yields ``n``, whole (its government and its departments)."""
    per = dict(DEPARTMENTS_PER_UNIT)
    if n > capacity(per):  # a very large corpus: every department of every unit publishes
        per = {level: 99 for level in per}
    total = capacity(per)
    p = min(1.0, 1.15 * n / total)
    rng = random.Random(f"{seed}/units")
    all_units = units(seed)
    taken: set[str] = set()
    made = 0
    for sweep in (p, 1.0):  # a second sweep tops up when the first one fell short
        for r in all_units:
            if made >= n:
                return
            if r.code in taken or rng.random() >= sweep:
                continue
            taken.add(r.code)
            region, place = region_of(r.code), _place(r)
            names = [(f"{place}人民政府", "government", "g")]
            depts = _departments(r)
            picked = sorted(rng.sample(range(len(depts)), min(per[r.level], len(depts))))
            names += [(f"{place}{depts[i]}", "department", f"d{i:02d}") for i in picked]
            for name, kind, slug in names:
                if made >= n:
                    return
                yield SyntheticAgency(made, name, kind, region, slug)
                made += 1
