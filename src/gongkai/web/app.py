"""FastAPI application: pages under /, JSON under /api (OpenAPI docs at /api/docs).

Every page reads the store; every number shown links to the cell it came from (file, page/line, raw text).
Strings are escaped by Jinja2's autoescape, so an agency named ``<script>`` renders inert.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from ..api import parse_bytes
from ..errors import GongkaiError
from ..export import SHAPES, to_bytes
from ..formats import FORMATS, format_for_year
from ..ratios import BY_ID as RATIO_BY_ID
from ..ratios import RATIOS
from ..report import Cell, Report
from ..rules import run_cross_year
from ..store import Store
from ..writer import html_table
from ..writer.layout import tables
from .original import PDFIUM_LOCK, PageCache, Pane, PaneCache, build_pane, page_png

HERE = Path(__file__).parent
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
TEXT = {
    "zh": {
        "title": "gongkai 政府信息公开年报核查",
        "dashboard": "总览",
        "reports": "报告",
        "search": "搜索",
        "prev_page": "上一页",
        "next_page": "下一页",
        "page_n": "第{}页",
        "reports_n": "报告数",
        "error_rate": "有错误的报告占比",
        "by_year": "各年度报告数",
        "top_rules": "最常违反的规则",
        "agency": "发布机关",
        "year": "年度",
        "template": "格式",
        "region": "行政区划",
        "errors": "错误",
        "warnings": "警告",
        "cell": "单元格",
        "value": "数值",
        "raw": "原文",
        "source": "出处",
        "findings": "发现的问题",
        "download": "下载原件",
        "export": "导出",
        "none": "无",
        "lang": "English",
        "original": "原件",
        "src_loading": "正在载入原件……",
        "src_hint": "点击表中的数字，原件中对应的位置会被标出。",
        "src_at": "出处",
        "src_missing": "原件中未能定位这个数字",
        "src_unshown": "无法显示原件",
    },
    "en": {
        "title": "gongkai open-government report review",
        "dashboard": "Overview",
        "reports": "Reports",
        "search": "Search",
        "prev_page": "previous",
        "next_page": "next",
        "page_n": "page {}",
        "reports_n": "reports",
        "error_rate": "share of reports with errors",
        "by_year": "reports by year",
        "top_rules": "rules most often broken",
        "agency": "publisher",
        "year": "year",
        "template": "format",
        "region": "region",
        "errors": "errors",
        "warnings": "warnings",
        "cell": "cell",
        "value": "value",
        "raw": "printed",
        "source": "source",
        "findings": "findings",
        "download": "download original",
        "export": "export",
        "none": "none",
        "lang": "中文",
        "original": "Original",
        "src_loading": "loading the original…",
        "src_hint": "Click a number in the tables to mark its place in the original.",
        "src_at": "source",
        "src_missing": "this number could not be placed in the original",
        "src_unshown": "the original cannot be shown",
    },
}


def create_app(db: str | None = None, store: Store | None = None) -> FastAPI:
    """The workbench; with no arguments (``uvicorn --factory``) the database comes from GONGKAI_DB."""
    store = store or Store.open(db or os.environ.get("GONGKAI_DB", "sqlite:///gongkai.db"))
    app = FastAPI(title="gongkai", docs_url="/api/docs", openapi_url="/api/openapi.json")
    # Sessions are signed cookies; set GONGKAI_SECRET so that logins survive a restart and several workers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=os.environ.get("GONGKAI_SECRET") or secrets.token_hex(32),
        same_site="strict",
        https_only=False,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    app.state.store = store

    def page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        ctx = {
            "t": TEXT[lang],
            "lang": lang,
            "user": request.session.get("user"),
            "csrf": _csrf(request),
            **ctx,
        }
        return templates.TemplateResponse(request, name, ctx, status_code=status_code)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", next=next, error="")

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        csrf: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        _check_csrf(request, csrf)
        user = store.authenticate(username, password)
        if user is None:
            return page(request, "login.html", status_code=401, next=next, error="用户名或密码不正确")
        request.session["user"] = user
        return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/", 303)

    @app.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()]) -> Response:
        _check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/", 303)

    @app.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request) -> Response:
        if not request.session.get("user"):
            return RedirectResponse("/login?next=/upload", 303)
        return page(request, "upload.html", error="")

    @app.post("/upload", response_class=HTMLResponse)
    async def upload(request: Request, file: UploadFile, csrf: Annotated[str, Form()]) -> Response:
        user = request.session.get("user")
        if not user or user.get("role") not in ("admin", "editor"):
            raise HTTPException(403, "login as an editor to upload")
        _check_csrf(request, csrf)
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return page(request, "upload.html", status_code=413, error="文件过大")
        name = Path(file.filename or "upload").name
        sha = store.put_file(data, name)  # the original is kept whatever happens next
        try:
            with PDFIUM_LOCK:  # page images are drawn with pdfium in other threads
                report = parse_bytes(data, name)
        except GongkaiError as e:
            store.record_failure(name, sha, e.problem, e.problem_en)
            return page(request, "upload.html", status_code=422, error=e.line())
        vid, _ = store.save_report(report, sha, f"upload:{user['username']}/{name}")
        return RedirectResponse(f"/reports/{vid}", 303)

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        return page(request, "dashboard.html", counts=store.counts())

    @app.get("/reports", response_class=HTMLResponse)
    def reports_page(
        request: Request,
        year: int | None = None,
        q: str | None = None,
        errors: bool | None = None,
        page_no: Annotated[int, Query(alias="page")] = 1,
    ) -> HTMLResponse:
        n = max(1, page_no)
        rows = _rows(store, year, q, errors, limit=PAGE + 1, offset=(n - 1) * PAGE)
        more = len(rows) > PAGE
        return page(request, "reports.html", rows=rows[:PAGE], year=year, q=q or "", page_no=n, more=more)

    @app.get("/reports/{version_id}", response_class=HTMLResponse)
    def report_page(request: Request, version_id: int) -> HTMLResponse:
        report = _load(store, version_id)
        report.findings = [*report.findings, *_cross_year(store, report)]
        flagged: dict[str, str] = {}
        for f in report.findings:
            for cid in f.cells:
                flagged.setdefault(cid, f.severity)
        fmt = _fmt(report)
        cells = [
            {
                "id": cid,
                "label": fmt.cell_label(cid),
                "value": c.value,
                "raw": c.raw,
                "where": c.prov.describe(request.query_params.get("lang", "zh")) if c.prov else "",
                "flag": flagged.get(cid, ""),
            }
            for cid, c in report.cells.items()
        ]
        marks = {cid: f"flag-{sev}" for cid, sev in flagged.items()}
        titles = {c["id"]: f"{c['raw'] or ''} · {c['where']}" for c in cells if c["raw"] is not None}
        official = [html_table(g, marks, titles) for g in tables(fmt, report).values()]
        return page(
            request, "report.html", report=report, version_id=version_id, cells=cells, official=official
        )

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(
        request: Request,
        ids: str = "",
        year: int | None = None,
        region: str | None = None,
        rank: str = "disclosure_rate",
    ) -> HTMLResponse:
        return page(request, "compare.html", **_compare(store, ids, year, region, rank))

    @app.get("/api/compare")
    def api_compare(
        ids: str = "", year: int | None = None, region: str | None = None, rank: str = "disclosure_rate"
    ) -> dict[str, Any]:
        data = _compare(store, ids, year, region, rank)
        ratios = [
            {"id": r.id, "name": r.name, "name_en": r.name_en, "definition": r.definition}
            for r in data["ratios"]
        ]
        return {"rank": data["rank"].id, "ratios": ratios, "rows": data["rows"]}

    @app.get("/agency", response_class=HTMLResponse)
    def agency_page(request: Request, name: str, region: str = "") -> HTMLResponse:
        return page(request, "agency.html", agency_name=name, **_series(store, name, region))

    @app.get("/api/agency")
    def api_agency(name: str, region: str = "") -> dict[str, Any]:
        data = _series(store, name, region)
        return {"years": [{k: v for k, v in y.items() if k != "report"} for y in data["years"]]}

    @app.get("/coverage", response_class=HTMLResponse)
    def coverage_page(request: Request, year: int | None = None, names: str = "") -> HTMLResponse:
        return page(request, "coverage.html", year=year, names=names, **_coverage(store, year, names))

    @app.get("/api/coverage")
    def api_coverage(year: int, names: str) -> dict[str, Any]:
        return _coverage(store, year, names)

    @app.get("/reports/{version_id}/original")
    def original(version_id: int) -> Response:
        sha = _file(store, version_id)["sha256"]
        return Response(
            store.get_file(sha),
            media_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename={sha[:12]}"},
        )

    # The original beside the report: loaded by the report page after it is shown, built once per file.
    panes = PaneCache()
    page_images = PageCache(store.files.root / ".pages")

    def pane_of(version_id: int) -> Pane:
        sha = _file(store, version_id)["sha256"]

        def make() -> Pane:
            cells = _load(store, version_id).cells
            try:
                data = store.get_file(sha)
            except FileNotFoundError:
                return Pane("none", problem="文件库中没有这份原件", problem_en="the original is not in the file store")
            # the file's hash in the address: a browser never shows a cached page of another file
            return build_pane(data, cells, lambda n: f"/reports/{version_id}/pages/{n}.png?v={sha[:16]}")

        return panes.get((version_id, sha), make)

    @app.get("/reports/{version_id}/source", response_class=HTMLResponse)
    def source_pane(request: Request, version_id: int) -> HTMLResponse:
        return page(request, "original.html", pane=pane_of(version_id), version_id=version_id)

    @app.get("/reports/{version_id}/pages/{no}.png")
    def page_image(version_id: int, no: int) -> Response:
        sha = _file(store, version_id)["sha256"]
        try:
            png = page_images.get(sha, no, lambda: page_png(store.get_file(sha), no))
        except (LookupError, FileNotFoundError) as e:
            raise HTTPException(404, f"no page {no}") from e
        # A page of a content-addressed file never changes.
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/reports/{version_id}/cells/{cell_id}/source")
    def api_cell_source(version_id: int, cell_id: str) -> dict[str, Any]:
        """Where a cell's number stands in the original: a line and span, a table cell, or a page box
        in the page image's pixels (top-left origin)."""
        where = pane_of(version_id).where.get(cell_id)
        if where is None:
            raise HTTPException(404, f"cell {cell_id} has no place in the original")
        return {"cell": cell_id, **where}

    # ---- REST API -------------------------------------------------------------------------------
    @app.get("/api/reports")
    def api_reports(
        year: int | None = None,
        q: str | None = None,
        errors: bool | None = None,
        region: str | None = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        """Current report versions matching the filters, ``limit`` at a time from ``offset``."""
        return _rows(store, year, q, errors, region, limit, offset)

    @app.get("/api/reports/{version_id}")
    def api_report(version_id: int) -> dict[str, Any]:
        return _load(store, version_id).as_dict()

    @app.get("/api/reports/{version_id}/findings")
    def api_findings(version_id: int) -> list[dict[str, Any]]:
        return [f.as_dict() for f in _load(store, version_id).findings]

    @app.get("/api/aggregates")
    def api_aggregates() -> dict[str, Any]:
        return store.counts()

    @app.get("/api/export")
    def api_export(
        format: Annotated[str, Query(pattern="^(csv|xlsx|parquet|json)$")] = "xlsx",
        shape: Annotated[str, Query(pattern="^(wide|tidy|findings)$")] = "wide",
        year: int | None = None,
        q: str | None = None,
        lang: str = "zh",
    ) -> Response:
        reports = [store.load_report(r["version_id"]) for r in _rows(store, year, q, None)]
        columns, rows = SHAPES[shape](reports)
        return Response(
            to_bytes(columns, rows, format, lang),
            media_type=MEDIA[format],
            headers={"Content-Disposition": f"attachment; filename=gongkai-{shape}.{format}"},
        )

    from .desk import router as desk_router  # the agency desk: ledger, deadlines, letters, annual report

    app.include_router(desk_router(store, page))
    return app


def _rows(
    store: Store,
    year: int | None,
    q: str | None,
    errors: bool | None,
    region: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    hits = store.search(q, limit=10_000) if q else None
    return store.report_rows(
        year=year, has_errors=errors, region_prefix=region, version_ids=hits, limit=limit, offset=offset
    )


def _series(store: Store, name: str, region: str) -> dict[str, Any]:
    """One agency over the years, across the 2020→2021 format change, with the checks between years."""
    rows = [r for r in store.report_rows(agency=name) if not region or r["region_code"] == region]
    rows.sort(key=lambda r: r["year"] or 0)
    years, prev = [], None
    for r in rows:
        rep = store.load_report(r["version_id"])
        links = run_cross_year(prev, rep) if prev is not None else []
        years.append(
            {
                **r,
                "cells": {c: rep.value(c) for c in KEY_CELLS},
                "ratios": {x.id: x.value(rep) for x in RATIOS},
                "cross_year": [f.as_dict() for f in links],
            }
        )
        prev = rep
    return {"years": years, "key_cells": KEY_CELLS, "ratios": RATIOS}


def _coverage(store: Store, year: int | None, names: str) -> dict[str, Any]:
    """Which of the listed agencies (one a line) have no report for the year."""
    wanted = [n.strip() for n in names.replace("，", "\n").replace(",", "\n").splitlines() if n.strip()]
    if year is None or not wanted:
        return {"published": [], "missing": []}
    have = {r["agency"] for r in store.report_rows(year=year)}
    return {"published": [n for n in wanted if n in have], "missing": [n for n in wanted if n not in have]}


PAGE = 200  # rows per page of the report list
KEY_CELLS = ("t3.new.total", "t3.handled.total", "t3.forward.total", "t4.review.total")


def _compare(store: Store, ids: str, year: int | None, region: str | None, rank: str) -> dict[str, Any]:
    """Chosen reports (ids) or a peer group (year, region prefix), ranked by one defined ratio."""
    if ids:
        wanted = {int(x) for x in ids.split(",") if x.strip().isdigit()}
        rows = store.report_rows(version_ids=wanted)
    else:
        rows = store.report_rows(year=year, region_prefix=region)
    by = RATIO_BY_ID.get(rank, RATIOS[0])
    # Only the cells the ratios and the key columns use: a peer group of thousands stays one query.
    needed = sorted({c for x in RATIOS for c in (*x.numerator, *x.denominator)} | set(KEY_CELLS))
    values = store.cell_values([r["version_id"] for r in rows], needed)
    out = []
    for r in rows:
        rep = Report("", cells={c: Cell(v) for c, v in values[r["version_id"]].items()})
        out.append(
            {
                **r,
                "cells": {c: rep.value(c) for c in KEY_CELLS},
                "ratios": {x.id: x.value(rep) for x in RATIOS},
            }
        )
    out.sort(key=lambda r: (r["ratios"][by.id] is None, -(r["ratios"][by.id] or 0)))
    return {"rows": out, "ratios": RATIOS, "rank": by, "key_cells": KEY_CELLS}


MAX_UPLOAD = 200 * 1024 * 1024


def _csrf(request: Request) -> str:
    """The session's anti-forgery token, made on first use; every form posts it back."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def _check_csrf(request: Request, sent: str) -> None:
    if not sent or not secrets.compare_digest(sent, request.session.get("csrf", "")):
        raise HTTPException(403, "CSRF token missing or wrong")


def _cross_year(store: Store, report: Report) -> list:
    """Findings against the same agency's report of the year before (上年结转 = 上年结转下年度 …)."""
    if not report.agency.name or report.year is None:
        return []
    code = report.agency.region.code if report.agency.region else None
    prev = [
        r
        for r in store.report_rows(year=report.year - 1, agency=report.agency.name)
        if (r["region_code"] or None) == code
    ]
    return run_cross_year(store.load_report(prev[0]["version_id"]), report) if prev else []


def _file(store: Store, version_id: int) -> dict[str, Any]:
    info = store.version_file(version_id)
    if info is None:
        raise HTTPException(404, f"no report version {version_id}")
    return info


def _load(store: Store, version_id: int) -> Report:
    try:
        return store.load_report(version_id)
    except (KeyError, LookupError, ValueError) as e:
        raise HTTPException(404, f"no report version {version_id}") from e


def _fmt(report: Report):
    return FORMATS.get(report.template or "") or format_for_year(report.year or 2021)
