"""The reports: overview, list with filters, one report in the official layout beside its original,
and their JSON twins under /api."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from ..errors import NotFound
from ..export import SHAPES, to_bytes
from ..formats import FORMATS, format_for_year
from ..report import Report
from ..review.hierarchy import region_prefix
from ..review.workflow import TRANSITIONS, can_review
from ..rules import run_cross_year
from ..writer import html_table
from ..writer.layout import tables
from .base import MAX_PAGE, Id, PageNo, Web, lang_of, year_of
from .original import PageCache, Pane, PaneCache, build_pane, cell_crop_png, page_png

PAGE = 50  # rows per page of the report list
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def list_filters(
    year: str | None = None,
    q: str | None = None,
    errors: str | None = None,
    region: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    template: str | None = None,
    rule: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Query parameters → ``store.reports.rows`` filters (a FastAPI dependency of every list route);
    "unknown" picks reports whose year (or format) was not recognised. A year that is not one (1800,
    10^20, "abc") is refused (422); other malformed values are ignored rather than refused. ``q`` is kept
    for the caller's full-text search."""
    f: dict[str, Any] = {}
    if year == "unknown":
        f["unknown_year"] = True
    elif (y := year_of(year)) is not None:
        f["year"] = y
    if errors in ("1", "true", "yes"):
        f["has_errors"] = True
    elif errors in ("0", "false", "no"):
        f["has_errors"] = False
    if region_prefix(region):
        f["region_prefix"] = region_prefix(region)
    for key, value, allowed in (
        ("level", level, ("province", "city", "county", "township", "unknown")),
        ("kind", kind, ("government", "department")),
        ("template", template, ("2019", "2021", "mixed", "unknown")),
        ("review_status", status, ("pending", "ok", "rectify", "rectified")),
    ):
        if value in allowed:
            f[key] = value
    if rule:
        f["rule"] = rule[:60]
    if q:
        f["q"] = q
    return f


Filters = Annotated[dict[str, Any], Depends(list_filters)]
LIST_PARAMS = ("q", "year", "errors", "region", "level", "kind", "template", "rule", "status")


def router(web: Web) -> APIRouter:
    r = APIRouter()
    store = web.store

    def rows(filters: dict[str, Any], limit: int | None, offset: int = 0) -> list[dict[str, Any]]:
        filters = dict(filters)
        q = filters.pop("q", None)
        if q:
            filters = {**filters, "version_ids": store.reports.search(q, limit=10_000)}
        return store.reports.rows(limit=limit, offset=offset, **filters)

    def load(version_id: int) -> Report:
        return store.reports.load(version_id)

    @r.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        return web.page(request, "dashboard.html", counts=store.reports.counts())

    @r.get("/reports", response_class=HTMLResponse)
    def reports_page(
        request: Request,
        f: Filters,
        page_no: PageNo = 1,
    ) -> HTMLResponse:
        found = rows(f, limit=PAGE + 1, offset=(page_no - 1) * PAGE)
        params = {k: v for k in LIST_PARAMS if (v := request.query_params.get(k))}
        user = web.user(request)
        return web.page(
            request,
            "reports.html",
            rows=found[:PAGE],
            more=len(found) > PAGE,
            page_no=page_no,
            params=params,
            years=[y["year"] for y in store.reports.counts()["by_year"]],
            reviewer=user is not None and user["role"] in ("admin", "reviewer"),
            can_review=lambda code: can_review(user, code),
        )

    @r.get("/reports/{version_id}", response_class=HTMLResponse)
    def report_page(request: Request, version_id: Id) -> HTMLResponse:
        report = load(version_id)
        row = store.reports.version_row(version_id)
        versions = store.reports.versions(row["report_id"])
        older = [v for v in versions if v["version_id"] < version_id]
        diff_size = _diff_size(store, older[-1]["version_id"], report) if older else 0
        prev = store.reports.previous(report)
        report.findings = [*report.findings, *(run_cross_year(prev, report) if prev else [])]
        flagged: dict[str, str] = {}
        for f in report.findings:
            for cid in f.cells:
                flagged.setdefault(cid, f.severity)
        fmt = fmt_of(report)
        lang = lang_of(request)
        cells = [
            {
                "id": cid,
                "label": fmt.cell_label(cid, lang),
                "value": c.value,
                "raw": c.raw,
                "where": c.prov.describe(lang) if c.prov else "",
                "flag": flagged.get(cid, ""),
            }
            for cid, c in report.cells.items()
        ]
        marks = {cid: f"flag-{sev}" for cid, sev in flagged.items()}
        titles = {c["id"]: f"{c['raw'] or ''} · {c['where']}" for c in cells if c["raw"] is not None}
        official = [html_table(g, marks, titles) for g in tables(fmt, report).values()]
        user = web.user(request)
        code = report.agency.region.code if report.agency.region else None
        review = None
        if can_review(user, code):
            stored = store.reviews.findings(version_id)
            review = {
                "findings": stored,
                "notes": store.reviews.notes(version_id),
                "history": store.reviews.history(row["report_id"]),
            }
        return web.page(
            request,
            "report.html",
            report=report,
            row=row,
            version_id=version_id,
            cells=cells,
            official=official,
            review=review,
            versions=versions,
            predecessor=older[-1]["version_id"] if older else None,
            diff_size=diff_size,
            transitions=TRANSITIONS,
        )

    @r.get("/reports/{version_id}/original")
    def original(version_id: Id) -> Response:
        info = store.reports.version_file(version_id)
        sha = info["sha256"]
        try:
            data = store.files.get(sha)
        except FileNotFoundError as e:
            raise NotFound(sha[:12], "文件库中没有这份原件", "the original is not in the file store") from e
        return Response(
            data,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename={sha[:12]}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # The original beside the report: loaded by the report page after it is shown, built once per file.
    panes = PaneCache()
    page_images = PageCache(store.files.root / ".pages")

    def pane_of(version_id: int) -> Pane:
        sha = store.reports.version_file(version_id)["sha256"]

        def make() -> Pane:
            cells = load(version_id).cells
            try:
                data = store.files.get(sha)
            except FileNotFoundError:
                return Pane(
                    "none", problem="文件库中没有这份原件", problem_en="the original is not in the file store"
                )
            # the file's hash in the address: a browser never shows a cached page of another file
            return build_pane(data, cells, lambda n: f"/reports/{version_id}/pages/{n}.png?v={sha[:16]}")

        return panes.get((version_id, sha), make)

    @r.get("/reports/{version_id}/source", response_class=HTMLResponse)
    async def source_pane(request: Request, version_id: Id) -> HTMLResponse:
        pane = await run_in_threadpool(pane_of, version_id)
        return web.page(request, "original.html", pane=pane, version_id=version_id)

    @r.get("/reports/{version_id}/pages/{no}.png")
    async def page_image(version_id: Id, no: Annotated[int, PathParam(ge=0, le=MAX_PAGE)]) -> Response:
        sha = store.reports.version_file(version_id)["sha256"]

        def draw() -> bytes:
            return page_images.get(sha, no, lambda: page_png(store.files.get(sha), no))

        try:
            png = await run_in_threadpool(draw)
        except (LookupError, FileNotFoundError) as e:
            raise NotFound(f"#{version_id}", f"没有第{no}页", f"no page {no}") from e
        # A page of a content-addressed file never changes.
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @r.get("/reports/{version_id}/cells/{cell_id}/crop.png")
    async def cell_crop(version_id: Id, cell_id: Annotated[str, PathParam(max_length=80)]) -> Response:
        """The cell cut from its page image: shown beside a "需核对原件" finding, so the reviewer reads
        the printed digits without opening the whole page."""
        info = store.reports.version_file(version_id)
        cell = load(version_id).cells.get(cell_id)

        def cut() -> bytes | None:
            return cell_crop_png(store.files.get(info["sha256"]), info["media_type"] or "", cell.prov)

        try:
            png = await run_in_threadpool(cut) if cell is not None else None
        except FileNotFoundError:
            png = None
        if png is None:
            raise NotFound(
                cell_id, "这个单元格在原件中没有可截取的位置", "this cell has no box to cut from the original"
            )
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @r.get("/api/reports/{version_id}/cells/{cell_id}/source")
    def api_cell_source(version_id: Id, cell_id: str) -> dict[str, Any]:
        """Where a cell's number stands in the original: a line and span, a table cell, or a page box
        in the page image's pixels (top-left origin)."""
        where = pane_of(version_id).where.get(cell_id)
        if where is None:
            raise NotFound(
                cell_id, "原件中未能定位这个单元格", f"cell {cell_id} has no place in the original"
            )
        return {"cell": cell_id, **where}

    # ---- REST API -------------------------------------------------------------------------------
    @r.get("/api/reports")
    def api_reports(
        f: Filters,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> list[dict[str, Any]]:
        """Current report versions matching the filters, ``limit`` at a time from ``offset``."""
        return rows(f, limit, offset)

    @r.get("/api/reports/{version_id}")
    def api_report(version_id: Id) -> dict[str, Any]:
        return load(version_id).as_dict()

    @r.get("/api/reports/{version_id}/findings")
    def api_findings(version_id: Id) -> list[dict[str, Any]]:
        return [f.as_dict() for f in load(version_id).findings]

    @r.get("/api/aggregates")
    def api_aggregates() -> dict[str, Any]:
        return store.reports.counts()

    @r.get("/api/export")
    def api_export(
        f: Filters,
        format: Annotated[str, Query(pattern="^(csv|xlsx|parquet|json)$")] = "xlsx",
        shape: Annotated[str, Query(pattern="^(wide|tidy|findings)$")] = "wide",
        lang: str = "zh",
    ) -> Response:
        reports = [store.reports.load(x["version_id"]) for x in rows(f, limit=None)]
        columns, table = SHAPES[shape](reports)
        return Response(
            to_bytes(columns, table, format, lang),
            media_type=MEDIA[format],
            headers={"Content-Disposition": f"attachment; filename=gongkai-{shape}.{format}"},
        )

    return r


def fmt_of(report: Report):
    return FORMATS.get(report.template or "") or format_for_year(report.year or 2021)


def _diff_size(store: Any, older: int, report: Report) -> int:
    from ..review.diff import diff

    return diff(store.reports.load(older), report).size
