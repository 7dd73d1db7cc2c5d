"""The review in the browser and as JSON: decisions on findings, notes on cells, report statuses, the
difference between versions, the expected publishers, the audit log, and the documents a review
produces (通报, 整改通知).

Who may review: ``review.workflow.can_review`` (reviewers within their region, admins everywhere). Every
write needs the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) and is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from ..errors import Forbidden, Invalid, NotFound
from ..review import coverage as cov
from ..review.diff import diff
from ..review.workflow import REVIEW_ROLES, STATUSES, can_review, scope_prefix
from .base import YEAR_MAX, YEAR_MIN, Id, PageNo, QueryId, Web, attachment, lang_of, year_of
from .csrf import check_csrf

DOCS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
MAX_LIST = 5 * 1024 * 1024


class DecisionIn(BaseModel):
    decision: str
    reason: str = ""


class NoteIn(BaseModel):
    cell_id: str
    text: str


class StatusIn(BaseModel):
    status: str
    note: str = ""


def router(web: Web) -> APIRouter:
    r = APIRouter()
    store = web.store

    def reviewer(request: Request, region_code: str | None) -> dict[str, Any]:
        user = web.need_user(request, REVIEW_ROLES)
        if not can_review(user, region_code):
            raise Forbidden(
                region_code or "", "该报告不在你的审核范围内", "this report is outside your review scope"
            )
        return user

    def version_scope(request: Request, version_id: Id) -> tuple[dict[str, Any], dict[str, Any]]:
        row = store.reports.version_row(version_id)
        return reviewer(request, row["region_code"]), row

    def back(request: Request, version_id: Id, anchor: str = "review") -> RedirectResponse:
        suffix = "?lang=en" if lang_of(request) == "en" else ""
        return RedirectResponse(f"/reports/{version_id}{suffix}#{anchor}", 303)

    # ---- decisions, notes, status: forms -------------------------------------------------------

    @r.post("/reports/{version_id}/findings/{finding_id}")
    def decide_form(
        request: Request,
        version_id: Id,
        finding_id: Id,
        csrf: Annotated[str, Form()],
        decision: Annotated[str, Form()],
        reason: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        user, _ = version_scope(request, version_id)
        check_csrf(request, csrf)
        place = store.reviews.finding_place(finding_id)
        if place["version_id"] != version_id:
            raise NotFound(f"#{finding_id}", "这份报告没有这条问题", "no such finding in this report")
        store.reviews.decide(finding_id, decision, user["username"], reason)
        return back(request, version_id, f"finding-{finding_id}")

    @r.post("/reports/{version_id}/notes")
    def note_form(
        request: Request,
        version_id: Id,
        csrf: Annotated[str, Form()],
        cell_id: Annotated[str, Form(max_length=60)],
        text: Annotated[str, Form(max_length=4000)],
    ) -> Response:
        user, _ = version_scope(request, version_id)
        check_csrf(request, csrf)
        store.reviews.add_note(version_id, cell_id, text, user["username"])
        return back(request, version_id, "notes")

    @r.post("/reports/{version_id}/status")
    def status_form(
        request: Request,
        version_id: Id,
        csrf: Annotated[str, Form()],
        status: Annotated[str, Form()],
        note: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        user, row = version_scope(request, version_id)
        check_csrf(request, csrf)
        store.reviews.set_status(row["report_id"], status, user["username"], note, version_id)
        return back(request, version_id)

    # ---- the same as JSON ------------------------------------------------------------------------

    @r.get("/api/reports/{version_id}/review")
    def api_review(request: Request, version_id: Id) -> dict[str, Any]:
        _, row = version_scope(request, version_id)
        return {
            "version_id": version_id,
            "report_id": row["report_id"],
            "status": row["review_status"],
            "findings": [
                {k: f[k] for k in ("id", "seq", "rule", "severity", "status", "cells", "message", "review")}
                | {"decisions": [_plain(d) for d in f["decisions"]]}
                for f in store.reviews.findings(version_id)
            ],
            "notes": [_plain(n) for n in store.reviews.notes(version_id)],
            "history": [_plain(h) for h in store.reviews.history(row["report_id"])],
        }

    @r.post("/api/findings/{finding_id}/decision")
    def api_decide(request: Request, finding_id: Id, body: DecisionIn) -> dict[str, Any]:
        place = store.reviews.finding_place(finding_id)
        user = reviewer(request, place["region_code"])
        check_csrf(request)
        store.reviews.decide(finding_id, body.decision, user["username"], body.reason)
        return {"finding": finding_id, "review": None if body.decision == "reopened" else body.decision}

    @r.post("/api/reports/{version_id}/notes", status_code=201)
    def api_note(request: Request, version_id: Id, body: NoteIn) -> dict[str, Any]:
        user, _ = version_scope(request, version_id)
        check_csrf(request)
        return {"id": store.reviews.add_note(version_id, body.cell_id, body.text, user["username"])}

    @r.post("/api/reports/{version_id}/status")
    def api_status(request: Request, version_id: Id, body: StatusIn) -> dict[str, Any]:
        user, row = version_scope(request, version_id)
        check_csrf(request)
        store.reviews.set_status(row["report_id"], body.status, user["username"], body.note, version_id)
        return {"report_id": row["report_id"], "status": body.status}

    # ---- versions --------------------------------------------------------------------------------

    @r.get("/reports/{version_id}/diff", response_class=HTMLResponse)
    def diff_page(request: Request, version_id: Id, against: QueryId = None) -> HTMLResponse:
        row = store.reports.version_row(version_id)
        versions = store.reports.versions(row["report_id"])
        if against is None:
            older = [v for v in versions if v["version_id"] < version_id]
            if not older:
                raise NotFound(
                    f"#{version_id}", "这是这份报告的第一个版本", "this is the report's first version"
                )
            against = older[-1]["version_id"]
        if against not in {v["version_id"] for v in versions}:
            raise NotFound(f"#{against}", "不是同一份报告的版本", "not a version of the same report")
        old, new = store.reports.load(against), store.reports.load(version_id)
        return web.page(
            request,
            "diff.html",
            row=row,
            old_id=against,
            new_id=version_id,
            d=diff(old, new),
            template=new.template,
        )

    # ---- documents -------------------------------------------------------------------------------

    @r.get("/reports/{version_id}/notice.{fmt}")
    async def notice(request: Request, version_id: Id, fmt: str) -> Response:
        version_scope(request, version_id)
        if fmt not in DOCS:
            raise NotFound(fmt, "格式须为 docx 或 pdf", "format must be docx or pdf")
        from ..review.circular import build_notice
        from ..review.documents import notice_docx, notice_pdf

        n = build_notice(store, version_id)
        data = await run_in_threadpool(notice_docx if fmt == "docx" else notice_pdf, n)
        return attachment(data, DOCS[fmt], f"整改通知-{n.agency.name}-{n.year}.{fmt}")

    @r.get("/review/circular.{fmt}")
    async def circular(
        request: Request, fmt: str, year: Annotated[int, Query(ge=YEAR_MIN, le=YEAR_MAX)], region: str = ""
    ) -> Response:
        user = reviewer(request, region)
        if region == "" and scope_prefix(user) != "":
            raise Forbidden("", "请选择你审核范围内的行政区划", "choose a region within your scope")
        if fmt not in DOCS:
            raise NotFound(fmt, "格式须为 docx 或 pdf", "format must be docx or pdf")
        from ..review.circular import build_circular
        from ..review.documents import circular_docx, circular_pdf

        c = await run_in_threadpool(build_circular, store, region, year)
        data = await run_in_threadpool(circular_docx if fmt == "docx" else circular_pdf, c)
        store.audit.record(
            user["username"], "circular.download", f"{region or 'all'} {year}", None, {"format": fmt}
        )
        return attachment(data, DOCS[fmt], f"检查情况通报-{c.region_name}-{year}.{fmt}")

    # ---- the reviewer's page ---------------------------------------------------------------------

    @r.get("/review", response_class=HTMLResponse)
    def review_home(request: Request, year: str | None = None) -> HTMLResponse:
        user = web.need_user(request, REVIEW_ROLES)
        prefix = scope_prefix(user) or ""
        counts = store.reports.counts(region_prefix=prefix or None)
        years = [y["year"] for y in counts["by_year"] if y["year"] is not None]
        chosen = year_of(year)
        chosen = chosen if chosen is not None else (max(years) if years else None)
        queue = (
            store.reports.rows(
                year=chosen, region_prefix=prefix or None, has_errors=True, review_status="pending", limit=100
            )
            if chosen
            else []
        )
        return web.page(
            request,
            "review.html",
            scope=user["region_code"] if prefix else "",
            prefix=prefix,
            years=years,
            year=chosen,
            statuses=store.reviews.status_counts(prefix or None, chosen),
            status_ids=list(STATUSES),
            queue=queue,
        )

    # ---- expected publishers ---------------------------------------------------------------------

    @r.post("/coverage/import", response_class=HTMLResponse)
    async def import_expected(request: Request, file: UploadFile, csrf: Annotated[str, Form()]) -> Response:
        user = web.need_user(request, REVIEW_ROLES)
        check_csrf(request, csrf)
        data = await file.read(MAX_LIST + 1)
        if len(data) > MAX_LIST:
            raise Invalid(file.filename or "", "文件过大（上限 5 MB）", "file too large (5 MB at most)")
        rows = await run_in_threadpool(cov.read_expected, data, file.filename or "list")
        prefix = scope_prefix(user) or ""
        outside = [x["name"] for x in rows if prefix and not x["region_code"].startswith(prefix)]
        if outside:
            raise Forbidden(
                file.filename or "",
                f"名单中有{len(outside)}个机关不在你的审核范围内：{'、'.join(outside[:5])}。未导入任何一行",
                f"{len(outside)} agencies are outside your review scope; nothing imported",
            )
        n = store.reviews.add_expected(rows, user["username"])
        suffix = "&lang=en" if lang_of(request) == "en" else ""
        return RedirectResponse(f"/coverage?imported={n}{suffix}", 303)

    # ---- audit log (admins) ----------------------------------------------------------------------

    @r.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, page_no: PageNo = 1) -> HTMLResponse:
        web.need_user(request, ("admin",))
        entries = store.audit.list(limit=101, offset=(page_no - 1) * 100)
        return web.page(
            request, "audit.html", entries=entries[:100], more=len(entries) > 100, page_no=page_no
        )

    @r.get("/api/audit")
    def api_audit(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> list[dict[str, Any]]:
        web.need_user(request, ("admin",))
        return [_plain(e) for e in store.audit.list(limit=limit, offset=offset)]

    @r.get("/audit.csv")
    def audit_csv(request: Request) -> Response:
        web.need_user(request, ("admin",))
        from ..export import to_bytes

        cols = [
            ("at", "时间"),
            ("actor", "操作人"),
            ("action", "操作"),
            ("target", "对象"),
            ("before", "之前"),
            ("after", "之后"),
        ]
        rows = [
            {k: ("" if e[k] is None else str(e[k])) for k, _ in cols}
            for e in store.audit.list(limit=1_000_000)
        ]
        return attachment(
            to_bytes(cols, rows, "csv", lang_of(request)), "text/csv; charset=utf-8", "audit.csv"
        )

    return r


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in d.items()}
