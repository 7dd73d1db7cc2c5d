"""Browsing across agencies: the region hierarchy, comparisons of peer groups, one agency over the
years, and coverage (who published on time, late, or not at all)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from .. import regions
from ..desk.access import governed_prefix
from ..errors import NotFound
from ..ratios import KEY_CELLS, RATIOS
from ..report import Report
from ..review import coverage as cov
from ..review.hierarchy import level as hierarchy_level
from ..review.hierarchy import region_prefix
from ..review.peers import Group, compare, trend
from ..review.workflow import REVIEW_ROLES, scope_prefix
from ..rules import run_cross_year
from .base import Count, PageNo, Web, Year, attachment, id_list, lang_of

LEVELS = ("province", "city", "county", "township")
KINDS = ("government", "department")
COMPARE_PAGE = 100  # ranked rows a page: a province's peer group is hundreds to thousands


def _region(code: str | None) -> str:
    code = (code or "").strip()
    if code and (not code.isdigit() or regions.get(code) is None):
        raise NotFound(code, "没有这个行政区划代码", "no such region code")
    return code


def _years(web: Web) -> list[int]:
    return [y["year"] for y in web.store.reports.counts()["by_year"] if y["year"] is not None]


def router(web: Web) -> APIRouter:
    r = APIRouter()
    store = web.store

    def latest(year: int | None) -> int | None:
        years = _years(web)
        return year if year is not None else (max(years) if years else None)

    # ---- region hierarchy ----------------------------------------------------------------------

    @r.get("/regions", response_class=HTMLResponse)
    def regions_root(request: Request, year: Year = None, ratio: str = "disclosure_rate") -> HTMLResponse:
        return region_page(request, "", year, ratio)

    @r.get("/regions/{code}", response_class=HTMLResponse)
    def region_page(
        request: Request, code: str, year: Year = None, ratio: str = "disclosure_rate"
    ) -> HTMLResponse:
        code = _region(code)
        chosen = latest(year)
        data = hierarchy_level(store, code, chosen, ratio)
        prefix = governed_prefix(code) if code else ""
        return web.page(
            request,
            "region.html",
            **data,
            prefix=prefix,
            year=chosen,
            years=_years(web),
            top_rules=store.reports.top_rules(region_prefix=prefix or None, year=chosen),
            ratio=ratio,
            ratios=RATIOS,
        )

    @r.get("/api/regions/{code}")
    def api_region(code: str, year: Year = None, ratio: str = "disclosure_rate") -> dict[str, Any]:
        code = _region(code if code != "all" else "")
        chosen = latest(year)
        data = hierarchy_level(store, code, chosen, ratio)
        return {
            "code": code,
            "year": chosen,
            "children": [
                {
                    "code": reg.code,
                    "name": reg.name,
                    "expected": t.expected,
                    "reports": t.reports,
                    "with_errors": t.with_errors,
                    "error_rate": t.error_rate,
                    "missing": t.missing,
                    f"median_{ratio}": t.median_rate,
                }
                for reg, t in data["children"]
            ],
            "agencies": [
                {
                    k: a[k]
                    for k in (
                        "version_id",
                        "agency",
                        "region_code",
                        "year",
                        "template",
                        "open_errors",
                        "warnings",
                    )
                }
                for a in data["agencies"]
            ],
        }

    # ---- compare ----------------------------------------------------------------------------------

    def group_of(ids: str, year: int | None, region: str, level: str, kind: str, name: str) -> Group:
        picked = id_list(ids)
        return Group(
            year=year,
            region=region_prefix(region),
            level=level if level in LEVELS else "",
            kind=kind if kind in KINDS else "",
            name=name.strip()[:50],
            ids=picked,
        )

    @r.get("/compare", response_class=HTMLResponse)
    def compare_page(
        request: Request,
        ids: str = "",
        year: Year = None,
        region: str = "",
        level: str = "",
        kind: str = "",
        name: str = "",
        rank: str = "disclosure_rate",
        page_no: PageNo = 1,
    ) -> HTMLResponse:
        group = group_of(ids, latest(year) if not ids else year, region, level, kind, name)
        data = compare(store, group, rank)
        # The ranking a page at a time; the distribution, figures and trend are of the whole group.
        start = (page_no - 1) * COMPARE_PAGE
        params = {
            k: v
            for k in ("ids", "year", "region", "level", "kind", "name", "rank")
            if (v := request.query_params.get(k))
        }
        return web.page(
            request,
            "compare.html",
            **{**data, "rows": data["rows"][start : start + COMPARE_PAGE]},
            page_no=page_no,
            more=len(data["rows"]) > start + COMPARE_PAGE,
            params=params,
            group=group,
            region=region,
            trend=trend(store, group, rank) if not group.ids else [],
            years=_years(web),
        )

    @r.get("/api/compare")
    def api_compare(
        ids: str = "",
        year: Year = None,
        region: str = "",
        level: str = "",
        kind: str = "",
        name: str = "",
        rank: str = "disclosure_rate",
    ) -> dict[str, Any]:
        group = group_of(ids, year, region, level, kind, name)
        data = compare(store, group, rank)
        ratios = [
            {"id": x.id, "name": x.name, "name_en": x.name_en, "definition": x.definition}
            for x in data["ratios"]
        ]
        return {
            "rank": data["rank"].id,
            "ratios": ratios,
            "rows": data["rows"],
            "stats": data["stats"],
            "distribution": data["distribution"],
        }

    # ---- one agency over the years ---------------------------------------------------------------

    def series(name: str, region: str) -> dict[str, Any]:
        rows = [x for x in store.reports.rows(agency=name) if not region or x["region_code"] == region]
        rows.sort(key=lambda x: x["year"] or 0)
        years, prev = [], None
        cells = store.reports.cells_of([x["version_id"] for x in rows])  # one query, not a load a year
        for row in rows:
            rep = Report(row["source"], row["template"], row["year"], cells=cells[row["version_id"]])
            links = run_cross_year(prev, rep) if prev is not None else []
            years.append(
                {
                    **row,
                    "cells": {c: rep.value(c) for c in KEY_CELLS},
                    "ratios": {x.id: x.value(rep) for x in RATIOS},
                    "cross_year": [f.as_dict() for f in links],
                }
            )
            prev = rep
        return {"years": years, "key_cells": KEY_CELLS, "ratios": RATIOS}

    @r.get("/agency", response_class=HTMLResponse)
    def agency_page(request: Request, name: str, region: str = "") -> HTMLResponse:
        data = series(name[:200], region[:12])
        if not data["years"]:
            raise NotFound(name, "没有这个机关的报告", "no reports of this agency")
        return web.page(request, "agency.html", agency_name=name, region=region, **data)

    @r.get("/api/agency")
    def api_agency(name: str, region: str = "") -> dict[str, Any]:
        data = series(name[:200], region[:12])
        return {"years": [{k: v for k, v in y.items() if k != "report"} for y in data["years"]]}

    # ---- coverage ---------------------------------------------------------------------------------

    def coverage_of(year: int | None, region: str) -> tuple[int | None, list[cov.Entry]]:
        chosen = latest(year)
        prefix = region_prefix(region)
        return chosen, (cov.coverage(store, chosen, prefix) if chosen else [])

    @r.get("/coverage", response_class=HTMLResponse)
    def coverage_page(
        request: Request, year: Year = None, region: str = "", state: str = "", imported: Count = None
    ) -> HTMLResponse:
        chosen, entries = coverage_of(year, region)
        shown = [e for e in entries if not state or e.state == state]
        user = web.user(request)
        return web.page(
            request,
            "coverage.html",
            year=chosen,
            years=_years(web),
            region=region,
            state=state,
            entries=shown,
            tally=cov.tally(entries),
            can_import=user is not None and user["role"] in REVIEW_ROLES,
            scope=scope_prefix(user),
            imported=imported,
        )

    @r.get("/api/coverage")
    def api_coverage(year: Year = None, region: str = "") -> dict[str, Any]:
        chosen, entries = coverage_of(year, region)
        return {"year": chosen, "tally": cov.tally(entries), "agencies": [e.as_dict() for e in entries]}

    @r.get("/coverage.csv")
    def coverage_csv(request: Request, year: Year = None, region: str = "") -> Response:
        chosen, entries = coverage_of(year, region)
        return attachment(
            cov.to_csv(entries, lang_of(request)), "text/csv; charset=utf-8", f"coverage-{chosen or ''}.csv"
        )

    return r
