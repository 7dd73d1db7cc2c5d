"""The agency desk in the browser and as JSON: ledger, deadlines, timelines, letters, the annual report.

Every request re-reads the account (role and agency) and asks ``desk.access`` whether it may read or
change the agency it names: staff only their own agency, supervisors their subordinates read-only,
admins everything. Pages redirect an anonymous visitor to the login; the API answers 401. Every write
needs the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ..desk import access
from ..desk.applicant import DETAIL_FIELDS, missing_text, normalise, redact
from ..desk.checks import checked_report
from ..desk.forms import (
    APPLICATION_FIELDS,
    DUPLICATE,
    FIELDS,
    allowed_events,
    application_from,
    describe,
    event_from,
    next_number,
    parse_date,
    status_text,
)
from ..desk.ledger import (
    APPLICANT_TYPES,
    CHANNELS,
    EVENTS,
    LETTERS,
    OUTCOMES,
    Application,
    Event,
    LedgerError,
    answered_late,
    deadline,
    fold,
)
from ..desk.tally import YearInputs
from ..extract.values import MAX_COUNT
from ..formats import format_for_year
from ..store import Store
from ..store.ledger import Due, Ledger
from ..writer import html_table, render, tables
from .base import Id, Web, attachment
from .csrf import check_csrf, csrf_token
from .desk_text import DESK_TEXT, labels

SOON_DAYS = 5  # 即将到期: due within this many working days
FIRST_YEAR = 2019
DOWNLOADS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSX = 20 * 1024 * 1024


def _has(module: str) -> bool:
    return importlib.util.find_spec(f"gongkai.desk.{module}") is not None


class ApplicationIn(BaseModel):
    number: str = ""  # blank: the next free number of the receipt year
    channel: str
    received: dt.date
    applicant_type: str
    applicant: str
    applicant_id: str = ""
    request: str
    handler: str = ""
    # Art. 29 (desk/applicant.py); blank ones are named in the 补正 the application then needs
    id_type: str = ""
    legal_rep: str = ""
    contact_person: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    email: str = ""
    info_title: str = ""
    info_number: str = ""
    form_wanted: str = ""
    delivery: str = ""


class EventIn(BaseModel):
    kind: str
    date: dt.date
    data: dict[str, Any] = Field(default_factory=dict)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def _suffix(request: Request) -> str:
    return "?lang=en" if _lang(request) == "en" else ""


def _today(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise HTTPException(422, "today 应为 YYYY-MM-DD") from e


def router(web: Web) -> APIRouter:
    """The desk's routes over the workbench's store, pages rendered with its context."""
    r = APIRouter()
    store, page = web.store, web.page
    ledger = Ledger(store)
    letters_on, excel_on = _has("letters"), _has("excel")

    # ---- who is asking --------------------------------------------------------------------------

    def current(request: Request, api: bool) -> dict[str, Any]:
        """The logged-in account as it is now (web.user: a disabled account, an ended session or a
        revoked token count as anonymous); anonymous → login redirect (pages) or 401 (API)."""
        row = web.user(request)
        if row is None:
            if api:
                raise HTTPException(401, "请先登录")
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            raise HTTPException(303, "请先登录", headers={"Location": f"/login?next={target}"})
        if row["role"] not in access.DESK_ROLES:
            raise HTTPException(403, "该账户没有台账权限")
        return row

    def home(user: dict[str, Any]) -> dict[str, Any] | None:
        return store.agencies.get(user["agency_id"]) if user.get("agency_id") is not None else None

    def agency_for(
        request: Request, agency_id: int, *, api: bool = False, write: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        user = current(request, api)
        agency = store.agencies.get(agency_id)
        if agency is None:
            raise HTTPException(404, f"没有编号为{agency_id}的机关")
        if not access.can_read(user, agency, home(user)):
            raise HTTPException(403, "无权查看该机关的台账")
        if write and not access.can_write(user, agency):
            raise HTTPException(403, "无权修改该机关的台账")
        return user, agency

    def check_token(request: Request, form_token: str | None = None) -> None:
        check_csrf(request, form_token)

    def application_in(agency_id: int, app_id: int) -> tuple[Application, list[Event]]:
        try:
            if ledger.agency_of(app_id) != agency_id:
                raise HTTPException(404, f"该机关没有编号为{app_id}的申请")
            return ledger.get(app_id)
        except LedgerError as e:
            raise HTTPException(404, str(e)) from e

    def render_page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("can_write", False)
        agency = ctx.get("agency")
        if isinstance(agency, dict) and "id" in agency and "pending_n" not in ctx:
            ctx["pending_n"] = len(ledger.submissions([agency["id"]]))
        return page(
            request,
            name,
            status_code=status_code,
            d=DESK_TEXT[_lang(request)],
            lb=labels(_lang(request)),
            letters_on=letters_on,
            excel_on=excel_on,
            **ctx,
        )

    # ---- views over the ledger -----------------------------------------------------------------

    def rows(agency_id: int, q: str, dues: list[Due], personal: bool = False) -> list[dict[str, Any]]:
        """The ledger's rows; ID numbers and phones masked unless ``personal`` (the agency's own staff)."""
        due = {x.app.id: x for x in dues}
        return [
            _row(app if personal else redact(app), events, due.get(app.id))
            for app, events in ledger.applications([agency_id])
            if _matches(app, q, personal)
        ]

    def viewed(user: dict[str, Any], app: Application, via: str, personal: bool) -> None:
        """The access log: every view of an application's personal data (masked or not)."""
        store.audit.record(
            user["username"],
            "personal.view",
            f"application {app.id}",
            None,
            {"via": via, "masked": not personal},
        )

    def due_view(agency_id: int, view: str, today: dt.date, q: str = "") -> list[Due]:
        return _pick(ledger.open_deadlines([agency_id], today), view, q)

    # ---- pages -----------------------------------------------------------------------------------

    @r.get("/desk", response_class=HTMLResponse)
    def desk_home(request: Request, q: str = "") -> HTMLResponse:
        user = current(request, api=False)
        listed = _listed(store, user, home(user), q)
        for a in listed:
            mine = ledger.open_deadlines([a["id"]])
            a["open"] = len(mine)
            a["overdue"] = sum(1 for x in mine if x.days_left is not None and x.days_left < 0)
            a["pending"] = len(ledger.submissions([a["id"]]))
        return render_page(request, "desk_home.html", agencies=listed, q=q, admin=user["role"] == "admin")

    @r.get("/desk/calendar", response_class=HTMLResponse)
    def calendar_page(request: Request) -> HTMLResponse:
        user = current(request, api=False)
        return render_page(request, "desk_calendar.html", **_calendar_ctx(ledger, user), moved=None, error="")

    @r.post("/desk/calendar", response_class=HTMLResponse)
    async def calendar_set(request: Request) -> Response:
        user = current(request, api=False)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        if not access.can_edit_calendar(user):
            raise HTTPException(403, "只有管理员可以修改节假日日历")
        try:
            year = int(str(form.get("year", "")).strip())
            days = _calendar_days(year, str(form.get("holidays", "")), str(form.get("workdays", "")))
            moved = ledger.set_calendar_year(year, days, user["username"], str(form.get("note", ""))[:100])
        except (ValueError, LedgerError) as e:
            ctx = _calendar_ctx(ledger, user)
            return render_page(request, "desk_calendar.html", 422, **ctx, moved=None, error=_msg(e))
        shown = [{"app": a, "before": b, "after": after} for a, b, after in moved]  # admin: reads all
        return render_page(
            request, "desk_calendar.html", **_calendar_ctx(ledger, user), moved=shown, error=""
        )

    @r.get("/desk/{agency_id}", response_class=HTMLResponse)
    def ledger_page(
        request: Request, agency_id: Id, q: str = "", view: str = "all", today: str | None = None
    ) -> HTMLResponse:
        user, agency = agency_for(request, agency_id)
        day = _today(today)
        ctx: dict[str, Any] = {"agency": agency, "q": q, "view": view, "today": day}
        ctx["can_write"] = access.can_write(user, agency)
        dues = ledger.open_deadlines([agency_id], day)  # computed once: every view filters it
        ctx["gaps"] = sum(1 for x in dues if any(f.startswith("calendar_gap") for f in x.flags))
        ctx["counts"] = {
            "open": len(dues),
            "soon": len(_pick(dues, "soon")),
            "overdue": len(_pick(dues, "overdue")),
        }
        ctx["rows"], ctx["dues"], ctx["groups"] = None, None, None
        if view in ("soon", "overdue", "handler"):
            personal = access.sees_personal(user, agency)
            ctx["dues"] = _pick(dues, "all" if view == "handler" else view, q, personal)
            ctx["groups"] = _by_handler(ctx["dues"]) if view == "handler" else None
            received = {x.app.received.year for x in dues}
        else:
            ctx["view"], ctx["rows"] = "all", rows(agency_id, q, dues, access.sees_personal(user, agency))
            received = {x["app"].received.year for x in ctx["rows"]}
        ctx["years"] = sorted(y for y in received | {day.year - 1, day.year} if y >= FIRST_YEAR)
        return render_page(request, "desk_ledger.html", **ctx)

    @r.get("/desk/{agency_id}/register", response_class=HTMLResponse)
    def register_form(request: Request, agency_id: Id) -> HTMLResponse:
        user, agency = agency_for(request, agency_id, write=True)
        today = dt.date.today()
        values = {"received": today.isoformat(), "handler": user["username"], "channel": "online"}
        values["number"] = next_number([a.number for a, _ in ledger.applications([agency_id])], today.year)
        return render_page(request, "desk_register.html", **_register_ctx(agency, values), error="")

    @r.post("/desk/{agency_id}/register", response_class=HTMLResponse)
    async def register(request: Request, agency_id: Id) -> Response:
        user, agency = agency_for(request, agency_id, write=True)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        values = {k: str(form.get(k, "")) for k in _REGISTER_FIELDS}
        try:
            app = application_from(agency["name"], values)
            app_id = ledger.register(app, user["username"], agency_id=agency_id)
        except LedgerError as e:
            ctx = _register_ctx(agency, values)
            return render_page(request, "desk_register.html", 422, **ctx, error=str(e))
        return RedirectResponse(f"/desk/{agency_id}/applications/{app_id}{_suffix(request)}", 303)

    @r.get("/desk/{agency_id}/applications/{app_id}", response_class=HTMLResponse)
    def application_page(request: Request, agency_id: Id, app_id: Id) -> HTMLResponse:
        user, agency = agency_for(request, agency_id)
        return render_page(
            request, "desk_application.html", **app_ctx(user, agency, app_id, _lang(request)), error=""
        )

    @r.post("/desk/{agency_id}/applications/{app_id}/events", response_class=HTMLResponse)
    async def add_event(request: Request, agency_id: Id, app_id: Id) -> Response:
        user, agency = agency_for(request, agency_id, write=True)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        application_in(agency_id, app_id)
        data = {k: form.get(k) for k in FIELDS}
        try:
            ev = event_from(str(form.get("kind", "")), str(form.get("date", "")), user["username"], data)
            ledger.append(app_id, ev)
        except LedgerError as e:
            ctx = app_ctx(user, agency, app_id, _lang(request))
            return render_page(request, "desk_application.html", 422, **ctx, error=str(e))
        return RedirectResponse(f"/desk/{agency_id}/applications/{app_id}{_suffix(request)}", 303)

    def app_ctx(
        user: dict[str, Any], agency: dict[str, Any], app_id: int, lang: str = "zh"
    ) -> dict[str, Any]:
        app, events = application_in(agency["id"], app_id)
        cal = ledger.calendar()
        state = fold(app, events)
        same = ledger.repeats(app_id) if state.status == "open" else []
        personal = access.sees_personal(user, agency)
        viewed(user, app, "desk page", personal)
        # Art. 29 elements missing and no 补正 yet: the one-time notice, pre-filled with what is missing.
        lacking = (
            app.missing()
            if state.status == "open" and not (state.corrections or state.correction_pending)
            else []
        )
        sub = ledger.submission_of(app_id)
        return {
            "agency": agency,
            "app": app if personal else redact(app),
            "personal": personal,
            "missing": lacking,
            "what": missing_text(lacking) if lacking else "",
            "scan": sub is not None and bool(sub.get("attachment")),
            "sub": sub,
            "events": [
                {"e": e, "details": _describe(e, lang), "letter": e.kind in LETTERS and bool(e.document_no)}
                for e in events
            ],
            "state": state,
            "status": status_text(state),
            "outcome": OUTCOMES.get(state.outcome or "", ""),
            "deadline": deadline(cal, app, state),
            "late": answered_late(cal, app, events),
            "repeats": same,
            "allowed": [(k, EVENTS[k][0]) for k in allowed_events(state)],
            "fields": FIELDS,
            "needs": {k: list(v[1]) for k, v in EVENTS.items()},
            "suggest": DUPLICATE if same else "",
            "suggest_kind": "correction_sent" if lacking else ("answered" if same else ""),
            "today": max(dt.date.today(), app.received).isoformat(),
            "can_write": access.can_write(user, agency),
            "channels": CHANNELS,
            "types": APPLICANT_TYPES,
        }

    if letters_on:

        @r.get("/desk/{agency_id}/applications/{app_id}/letters/{seq}")
        def letter(request: Request, agency_id: Id, app_id: Id, seq: Id) -> Response:
            from ..desk.letters import LetterError, letter_filename, render_letter

            agency_for(request, agency_id)
            app, events = application_in(agency_id, app_id)
            event = next((e for e in events if e.seq == seq), None)
            if event is None:
                raise HTTPException(404, f"没有第{seq}个事件")
            try:
                data = render_letter(app, events, seq, ledger.agency(agency_id), cal=ledger.calendar())
            except LetterError as e:
                raise HTTPException(404, str(e)) from e
            return attachment(data, DOWNLOADS["docx"], letter_filename(app, event))

    @r.post("/desk/{agency_id}/applications/{app_id}/details", response_class=HTMLResponse)
    async def update_details(request: Request, agency_id: Id, app_id: Id) -> Response:
        """Complete the applicant's Art. 29 details (what a 补正 supplied); audited with before/after."""
        user, agency = agency_for(request, agency_id, write=True)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        app, _ = application_in(agency_id, app_id)
        sent = {k: str(form.get(k, "")).strip() for k in ("applicant_id", *DETAIL_FIELDS) if k in form}
        try:
            checked = normalise(app.applicant_type, app.details() | {"applicant_id": app.applicant_id} | sent)
            changed = {k: checked[k] for k in checked if checked[k] != getattr(app, k)}
            if changed:
                ledger.update_details(app_id, changed, user["username"])
        except LedgerError as e:
            ctx = app_ctx(user, agency, app_id, _lang(request))
            return render_page(request, "desk_application.html", 422, **ctx, error=str(e))
        return RedirectResponse(f"/desk/{agency_id}/applications/{app_id}{_suffix(request)}", 303)

    # ---- online applications awaiting confirmation (Art. 31: received when both sides confirm) ------

    def pending_rows(agency_id: int, personal: bool, today: dt.date) -> list[dict[str, Any]]:
        cal = ledger.calendar()
        out = []
        for sub in ledger.submissions([agency_id]):
            data = sub["data"]
            app = _draft(sub, "", today)
            since = sub["submitted_at"].date()
            out.append(
                {
                    "sub": sub,
                    "app": app if personal else redact(app),
                    "missing": data.get("missing", []),
                    "waiting": _workdays_between_safe(cal, since, today),
                }
            )
        return out

    @r.get("/desk/{agency_id}/pending", response_class=HTMLResponse)
    def pending_page(request: Request, agency_id: Id, today: str | None = None) -> HTMLResponse:
        user, agency = agency_for(request, agency_id)
        day = _today(today)
        personal = access.sees_personal(user, agency)
        items = pending_rows(agency_id, personal, day)
        for x in items:
            store.audit.record(
                user["username"],
                "personal.view",
                f"submission {x['sub']['number']}",
                None,
                {"masked": not personal},
            )
        ctx = {"agency": agency, "items": items, "today": day, "can_write": access.can_write(user, agency)}
        return render_page(request, "desk_pending.html", **ctx, confirm_days=CONFIRM_DAYS, error="")

    @r.post("/desk/{agency_id}/pending/{sub_id}", response_class=HTMLResponse)
    async def pending_decide(request: Request, agency_id: Id, sub_id: Id) -> Response:
        user, agency = agency_for(request, agency_id, write=True)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        try:
            sub = ledger.submission(sub_id)
            if sub["agency_id"] != agency_id:
                raise HTTPException(404, "该机关没有这项网上申请")
            if form.get("action") == "discard":
                reason = str(form.get("reason", "")).strip()[:200]
                if not reason:
                    raise LedgerError("请说明不予确认的理由")
                ledger.discard(sub_id, user["username"], reason)
                return RedirectResponse(f"/desk/{agency_id}/pending{_suffix(request)}", 303)
            day = parse_date(str(form.get("date", "")), "确认日期")
            if day > dt.date.today():
                raise LedgerError("确认日期不能晚于今天")
            handler = str(form.get("handler", "")).strip() or user["username"]
            app = application_from(agency["name"], _draft_values(sub, handler, day))
            app_id = ledger.confirm(sub_id, app, user["username"])
        except LedgerError as e:
            ctx = {"agency": agency, "can_write": True, "today": dt.date.today()}
            items = pending_rows(agency_id, access.sees_personal(user, agency), dt.date.today())
            return render_page(
                request, "desk_pending.html", 422, **ctx, items=items, confirm_days=CONFIRM_DAYS, error=str(e)
            )
        return RedirectResponse(f"/desk/{agency_id}/applications/{app_id}{_suffix(request)}", 303)

    @r.get("/desk/{agency_id}/submissions/{sub_id}/scan")
    def scan(request: Request, agency_id: Id, sub_id: Id) -> Response:
        """The applicant's ID scan: the agency's own staff only, logged."""
        user, agency = agency_for(request, agency_id)
        if not access.sees_personal(user, agency):
            raise HTTPException(403, "只有本机关工作人员可以查看身份证明")
        try:
            sub = ledger.submission(sub_id)
        except LedgerError as e:
            raise HTTPException(404, str(e)) from e
        if sub["agency_id"] != agency_id or not sub["attachment"]:
            raise HTTPException(404, "没有身份证明扫描件")
        store.audit.record(user["username"], "personal.view", f"submission {sub['number']} scan")
        ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(
            sub["attachment_type"], "bin"
        )
        return attachment(sub["attachment"], sub["attachment_type"], f"{sub['number']}-id.{ext}")

    # ---- the annual report ---------------------------------------------------------------------

    @r.get("/desk/{agency_id}/report/{year}", response_class=HTMLResponse)
    def report_page(request: Request, agency_id: Id, year: Id) -> HTMLResponse:
        user, agency = agency_for(request, agency_id)
        _check_year(year)
        ctx = _report_ctx(ledger, agency_id, year)
        return render_page(
            request, "desk_report.html", **ctx, can_write=access.can_write(user, agency), error=""
        )

    @r.post("/desk/{agency_id}/report/{year}", response_class=HTMLResponse)
    async def report_inputs(request: Request, agency_id: Id, year: Id) -> Response:
        user, _ = agency_for(request, agency_id, write=True)
        _check_year(year)
        form = await request.form()
        check_token(request, str(form.get("csrf", "")))
        try:
            inputs = _inputs_from(year, {k: str(v) for k, v in form.items() if isinstance(v, str)})
            ledger.set_year_inputs(agency_id, year, inputs, user["username"])
        except (ValueError, LedgerError) as e:
            ctx = _report_ctx(ledger, agency_id, year)
            return render_page(request, "desk_report.html", 422, **ctx, can_write=True, error=_msg(e))
        return RedirectResponse(f"/desk/{agency_id}/report/{year}{_suffix(request)}", 303)

    @r.get("/desk/{agency_id}/report/{year}/{fmt}")
    def report_download(request: Request, agency_id: Id, year: Id, fmt: str) -> Response:
        agency_for(request, agency_id)
        _check_year(year)
        if fmt not in DOWNLOADS:
            raise HTTPException(404, f"格式须为 {'、'.join(DOWNLOADS)}")
        report = ledger.report(agency_id, year)
        name = f"{report.agency.name}{year}年政府信息公开工作年度报告.{fmt}"
        return attachment(render(report, fmt), DOWNLOADS[fmt], name)

    # ---- Excel -----------------------------------------------------------------------------------

    if excel_on:

        @r.get("/desk/{agency_id}/export.xlsx")
        def export_xlsx(request: Request, agency_id: Id) -> Response:
            from ..desk.excel import export_ledger

            user, agency = agency_for(request, agency_id)
            items = ledger.applications([agency_id])
            personal = access.sees_personal(user, agency)
            if not personal:  # leaving the agency: redacted
                items = [(redact(a), ev) for a, ev in items]
            store.audit.record(
                user["username"],
                "personal.view",
                f"agency {agency_id} export",
                None,
                {"masked": not personal},
            )
            data = export_ledger(items, cal=ledger.calendar())
            return attachment(data, XLSX, f"{agency['name']}台账.xlsx")

        @r.get("/desk/{agency_id}/import", response_class=HTMLResponse)
        def import_form(request: Request, agency_id: Id) -> HTMLResponse:
            _, agency = agency_for(request, agency_id, write=True)
            ctx = {"agency": agency, "errors": [], "error": "", "mapping": "", "can_write": True}
            return render_page(request, "desk_import.html", **ctx)

        @r.post("/desk/{agency_id}/import", response_class=HTMLResponse)
        async def import_xlsx(request: Request, agency_id: Id) -> Response:
            from ..desk.excel import ExcelImportError, import_ledger

            user, agency = agency_for(request, agency_id, write=True)
            form = await request.form()
            check_token(request, str(form.get("csrf", "")))
            upload = form.get("file")
            mapping_text = str(form.get("mapping", ""))
            ctx = {"agency": agency, "mapping": mapping_text, "can_write": True}
            if upload is None or isinstance(upload, str):
                return render_page(request, "desk_import.html", 422, **ctx, errors=[], error="请选择文件")
            data = await upload.read(MAX_XLSX + 1)
            if len(data) > MAX_XLSX:
                return render_page(request, "desk_import.html", 413, **ctx, errors=[], error="文件过大")
            try:
                mapping = _mapping(mapping_text)
                # parsing a workbook takes seconds: in a thread, so other requests go on meanwhile
                n = await run_in_threadpool(
                    import_ledger, ledger, data, agency_id, user["username"], mapping or None
                )
            except ExcelImportError as e:
                return render_page(request, "desk_import.html", 422, **ctx, errors=e.errors, error=str(e))
            except (ValueError, LedgerError) as e:
                return render_page(request, "desk_import.html", 422, **ctx, errors=[], error=_msg(e))
            sep = "&" if _suffix(request) else "?"
            return RedirectResponse(f"/desk/{agency_id}{_suffix(request)}{sep}imported={n}", 303)

    # ---- JSON API --------------------------------------------------------------------------------

    @r.get("/api/desk/session")
    def api_session(request: Request) -> dict[str, Any]:
        """Who is logged in, and the CSRF token every write must send as X-CSRF-Token."""
        user = current(request, api=True)
        return {
            "user": {k: user[k] for k in ("id", "username", "role", "agency_id")},
            "csrf": csrf_token(request),
        }

    @r.get("/api/desk/agencies")
    def api_agencies(request: Request, q: str = "") -> list[dict[str, Any]]:
        user = current(request, api=True)
        return [a | {"can_write": access.can_write(user, a)} for a in _listed(store, user, home(user), q)]

    @r.get("/api/desk/{agency_id}/applications")
    def api_applications(
        request: Request, agency_id: Id, q: str = "", today: str | None = None
    ) -> list[dict[str, Any]]:
        user, agency = agency_for(request, agency_id, api=True)
        dues = ledger.open_deadlines([agency_id], _today(today))
        return [_json_row(x) for x in rows(agency_id, q, dues, access.sees_personal(user, agency))]

    @r.post("/api/desk/{agency_id}/applications", status_code=201)
    def api_register(request: Request, agency_id: Id, body: ApplicationIn) -> dict[str, Any]:
        user, agency = agency_for(request, agency_id, api=True, write=True)
        check_token(request)
        values = body.model_dump()
        if not values["number"]:
            numbers = [a.number for a, _ in ledger.applications([agency_id])]
            values["number"] = next_number(numbers, body.received.year)
        try:
            app = application_from(agency["name"], values)
            app_id = ledger.register(app, user["username"], agency_id=agency_id)
        except LedgerError as e:
            raise HTTPException(422, str(e)) from e
        return api_get(agency_id, app_id, user, agency)

    @r.get("/api/desk/{agency_id}/applications/{app_id}")
    def api_application(request: Request, agency_id: Id, app_id: Id) -> dict[str, Any]:
        user, agency = agency_for(request, agency_id, api=True)
        return api_get(agency_id, app_id, user, agency)

    def api_get(agency_id: int, app_id: int, user: dict[str, Any], agency: dict[str, Any]) -> dict[str, Any]:
        app, events = application_in(agency_id, app_id)
        cal = ledger.calendar()
        state = fold(app, events)
        d = deadline(cal, app, state)
        personal = access.sees_personal(user, agency)
        viewed(user, app, "api", personal)
        out = _json_app(app if personal else redact(app))
        out |= {
            "status": state.status,
            "outcome": state.outcome,
            "due": d.due.isoformat() if d and d.due else None,
            "due_summary": d.summary if d else "",
            "flags": d.flags if d else [],
            "answered_late": answered_late(cal, app, events),
            "allowed_events": allowed_events(state),
            "events": [_json_event(e) for e in events],
            "repeats": [
                {"id": o.id, "number": o.number, "received": o.received.isoformat()}
                for o in (ledger.repeats(app_id) if state.status == "open" else [])
            ],
        }
        return out

    @r.post("/api/desk/{agency_id}/applications/{app_id}/events", status_code=201)
    def api_event(request: Request, agency_id: Id, app_id: Id, body: EventIn) -> dict[str, Any]:
        user, _ = agency_for(request, agency_id, api=True, write=True)
        check_token(request)
        application_in(agency_id, app_id)
        try:
            ev = ledger.append(app_id, event_from(body.kind, body.date, user["username"], body.data))
        except LedgerError as e:
            raise HTTPException(422, str(e)) from e
        return _json_event(ev)

    @r.get("/api/desk/{agency_id}/due")
    def api_due(
        request: Request, agency_id: Id, view: str = "all", today: str | None = None
    ) -> dict[str, Any]:
        user, agency = agency_for(request, agency_id, api=True)
        if view not in ("all", "soon", "overdue", "handler"):
            raise HTTPException(422, "view 须为 all、soon、overdue 或 handler")
        items = due_view(agency_id, "all" if view == "handler" else view, _today(today))
        if not access.sees_personal(user, agency):
            items = [replace(x, app=redact(x.app)) for x in items]
        if view == "handler":
            return {"view": view, "handlers": {h: [_json_due(x) for x in xs] for h, xs in _by_handler(items)}}
        return {"view": view, "items": [_json_due(x) for x in items]}

    @r.get("/api/desk/{agency_id}/pending")
    def api_pending(request: Request, agency_id: Id, today: str | None = None) -> list[dict[str, Any]]:
        """Online requests awaiting confirmation, oldest first (masked for anyone outside the agency)."""
        user, agency = agency_for(request, agency_id, api=True)
        personal = access.sees_personal(user, agency)
        out = []
        for x in pending_rows(agency_id, personal, _today(today)):
            store.audit.record(
                user["username"],
                "personal.view",
                f"submission {x['sub']['number']}",
                None,
                {"masked": not personal},
            )
            app = _json_app(x["app"])
            out.append(
                {
                    k: app[k]
                    for k in (
                        "number",
                        "applicant_type",
                        "applicant",
                        "applicant_id",
                        "request",
                        *DETAIL_FIELDS,
                    )
                }
                | {
                    "id": x["sub"]["id"],
                    "submitted_at": x["sub"]["submitted_at"].isoformat(),
                    "waiting_workdays": x["waiting"],
                    "missing": x["missing"],
                }
            )
        return out

    @r.get("/api/desk/{agency_id}/report/{year}")
    def api_report(request: Request, agency_id: Id, year: Id) -> dict[str, Any]:
        agency_for(request, agency_id, api=True)
        _check_year(year)
        return checked_report(ledger, agency_id, year).as_dict()

    return r


# ---- helpers (no request state) ------------------------------------------------------------------

CONFIRM_DAYS = 1  # the desk's own target: confirm an online request within a working day of its arrival


def _draft_values(sub: dict[str, Any], handler: str, received: dt.date) -> dict[str, Any]:
    """The register form's values for an online submission confirmed on ``received``."""
    data = {k: v for k, v in sub["data"].items() if k != "missing"}
    request = data.get("request") or "；".join(
        x for x in (data.get("info_title"), data.get("info_number")) if x
    )
    return data | {
        "number": sub["number"],
        "channel": "online",
        "received": received,
        "handler": handler,
        "request": request,
    }


def _draft(sub: dict[str, Any], handler: str, received: dt.date) -> Application:
    """The application a submission would become (unchecked: for display)."""
    v = _draft_values(sub, handler, received)
    return Application(
        agency="",
        number=v["number"],
        channel="online",
        received=received,
        applicant_type=v.get("applicant_type", ""),
        applicant=v.get("applicant", ""),
        request=v.get("request", ""),
        handler=handler,
        applicant_id=v.get("applicant_id", ""),
        **{k: str(v.get(k) or "") for k in DETAIL_FIELDS},
    )


def _workdays_between_safe(cal: Any, start: dt.date, end: dt.date) -> int | None:
    """Working days after ``start`` up to ``end`` (None across a year without a schedule)."""
    try:
        return sum(1 for i in range(1, (end - start).days + 1) if cal.is_workday(start + dt.timedelta(i)))
    except Exception:
        return None


_REGISTER_FIELDS = APPLICATION_FIELDS


def _check_year(year: int) -> None:
    """Annual reports in the 2019 or 2021 format: from 2019 (国办公开办函〔2019〕60号) to next year."""
    if not FIRST_YEAR <= year <= dt.date.today().year + 1:
        raise HTTPException(404, f"年度须在{FIRST_YEAR}年至{dt.date.today().year + 1}年之间")


def _msg(e: Exception) -> str:
    return str(e.args[0]) if e.args else str(e)


def _matches(app: Application, q: str, personal: bool = True) -> bool:
    """The ledger search: the text anywhere in the number, applicant, ID number (for the agency's own
    staff: nobody else may probe for an ID number), request or handler."""
    q = q.strip().lower()
    fields = (app.number, app.applicant, app.applicant_id if personal else "", app.request, app.handler)
    return not q or any(q in (v or "").lower() for v in fields)


def _pick(items: list[Due], view: str, q: str = "", personal: bool = True) -> list[Due]:
    """即将到期 (due within SOON_DAYS working days), 已逾期, or every open application; searched."""
    items = [x for x in items if _matches(x.app, q, personal)]
    if view == "soon":
        return [x for x in items if x.days_left is not None and 0 <= x.days_left <= SOON_DAYS]
    if view == "overdue":
        return [x for x in items if x.days_left is not None and x.days_left < 0]
    return items


def _listed(store: Store, user: dict[str, Any], home: dict[str, Any] | None, q: str) -> list[dict[str, Any]]:
    """The agencies the desk home lists: those with a ledger or desk accounts the user may read; an
    admin may also search every agency by name."""
    found = store.agencies.with_desk()
    if q:
        found = [a for a in found if q in a["name"]]
        if user["role"] == "admin":
            known = {a["id"] for a in found}
            found += [a | {"applications": 0} for a in store.agencies.rows(name=q) if a["id"] not in known]
    return access.readable(user, found, home)  # type: ignore[return-value]


def _row(app: Application, events: list[Event], due: Due | None) -> dict[str, Any]:
    s = fold(app, events)
    return {
        "app": app,
        "status": status_text(s),
        "outcome": OUTCOMES.get(s.outcome or "", ""),
        "outcome_id": s.outcome or "",
        "answered": s.answered,
        "due": due,
    }


def _by_handler(items: list[Due]) -> list[tuple[str, list[Due]]]:
    groups: dict[str, list[Due]] = {}
    for x in items:
        groups.setdefault(x.app.handler or "（未指定）", []).append(x)
    return sorted(groups.items())


def _register_ctx(agency: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    return {
        "agency": agency,
        "values": values,
        "channels": CHANNELS,
        "types": APPLICANT_TYPES,
        "can_write": True,
    }


def _calendar_ctx(ledger: Ledger, user: dict[str, Any]) -> dict[str, Any]:
    cal = ledger.calendar()
    years: dict[int, dict[str, list[dt.date]]] = {}
    for day, work in sorted(cal.overrides.items()):
        years.setdefault(day.year, {"holidays": [], "workdays": []})[
            "workdays" if work else "holidays"
        ].append(day)
    return {"years": years, "can_edit": access.can_edit_calendar(user), "next_year": dt.date.today().year + 1}


def _calendar_days(year: int, holidays: str, workdays: str) -> dict[dt.date, bool]:
    """Days typed as ISO dates or ranges (2027-02-05~2027-02-11), separated by spaces, commas or lines."""
    days: dict[dt.date, bool] = {}
    for text, work in ((holidays, False), (workdays, True)):
        for token in text.replace("，", " ").replace(",", " ").replace("、", " ").split():
            a, _, b = token.replace("..", "~").replace("至", "~").partition("~")
            first, last = parse_date(a), parse_date(b) if b else parse_date(a)
            if last < first:
                raise ValueError(f"日期范围“{token}”的结束早于开始")
            d = first
            while d <= last:
                if d.year != year:
                    raise ValueError(f"{d.isoformat()}不属于{year}年")
                days[d] = work
                d += dt.timedelta(days=1)
    return days


def _report_ctx(ledger: Ledger, agency_id: int, year: int) -> dict[str, Any]:
    report = checked_report(ledger, agency_id, year)
    fmt = format_for_year(year)
    flagged: dict[str, str] = {}
    for f in report.findings:
        for cid in f.cells:
            flagged.setdefault(cid, f"flag-{f.severity}")
    # A counted number's tooltip lists the registration numbers behind it.
    titles = {cid: c.raw[:300] for cid, c in report.cells.items() if c.raw and not cid.startswith("t2.")}
    inputs = ledger.year_inputs(agency_id, year)
    t2 = [
        {"id": cid, "label": fmt.cell_label(cid), "value": inputs.t2.get(cid, "")}
        for cid in fmt.t2.cell_ids()
    ]
    sections = [
        {"id": s.id, "title": f"{s.ordinal}{s.title.text}", "text": inputs.sections.get(s.id, "")}
        for s in fmt.sections
    ]
    return {
        "agency": {"id": agency_id, "name": report.agency.name},
        "year": year,
        "report": report,
        "official": [html_table(g, flagged, titles) for g in tables(fmt, report).values()],
        "t2": t2,
        "t2_missing": not inputs.t2,
        "sections": sections,
        "signature_date": inputs.signature_date.isoformat() if inputs.signature_date else "",
        "downloads": list(DOWNLOADS),
    }


def _inputs_from(year: int, form: dict[str, str]) -> YearInputs:
    """Table 二 figures (blank = not entered), the narrative sections and the signature date."""
    fmt = format_for_year(year)
    t2: dict[str, int | float] = {}
    for cid in fmt.t2.cell_ids():
        text = form.get(cid, "").strip().replace(",", "")
        if not text:
            continue
        try:
            v = float(text)
        except ValueError as e:
            raise ValueError(f"{fmt.cell_label(cid)}“{text}”不是数字") from e
        if not math.isfinite(v) or (fmt.kind_of(cid) != "money" and v > MAX_COUNT):
            raise ValueError(f"{fmt.cell_label(cid)}“{text[:20]}”超出可记录的范围")
        if v < 0:
            raise ValueError(f"{fmt.cell_label(cid)}不能为负数")
        t2[cid] = int(v) if v.is_integer() and fmt.kind_of(cid) != "money" else v
    sections = {s.id: form.get(f"section.{s.id}", "").strip() for s in fmt.sections}
    sig = form.get("signature_date", "").strip()
    return YearInputs(
        t2, {k: v for k, v in sections.items() if v}, parse_date(sig, "落款日期") if sig else None
    )


def _mapping(text: str) -> dict[str, str]:
    """Lines "our field = their header" (field id or our Chinese header), as excel.read_ledger takes them."""
    out = {}
    for line in text.splitlines():
        if line.strip():
            ours, sep, theirs = line.partition("=")
            if not sep or not ours.strip() or not theirs.strip():
                raise ValueError(f"列对应“{line.strip()}”应写成“本系统字段=贵单位表头”")
            out[ours.strip()] = theirs.strip()
    return out


def _json_app(app: Application) -> dict[str, Any]:
    return {
        "id": app.id,
        "agency": app.agency,
        "number": app.number,
        "channel": app.channel,
        "received": app.received.isoformat(),
        "applicant_type": app.applicant_type,
        "applicant": app.applicant,
        "applicant_id": app.applicant_id,
        "request": app.request,
        "handler": app.handler,
        **app.details(),
        "missing": app.missing(),
        "purged": app.purged,
    }


def _describe(e: Event, lang: str) -> str:
    """One line for an event's data in ``lang`` (coded values by their label)."""
    if lang != "en":
        return describe(e)
    lb = labels("en")
    coded = {"outcome": lb["outcomes"], "case_kind": lb["case_kinds"], "result": lb["case_results"]}
    return "; ".join(f"{lb['fields'].get(k, k)}: {coded.get(k, {}).get(v, v)}" for k, v in e.data.items())


def _json_event(e: Event) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "name": e.name,
        "date": e.date.isoformat(),
        "actor": e.actor,
        "data": e.data,
        "document_no": e.document_no,
        "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None,
    }


def _json_due(x: Due) -> dict[str, Any]:
    return _json_app(x.app) | {
        "due": x.due.isoformat() if x.due else None,
        "summary": x.summary,
        "flags": x.flags,
        "days_left": x.days_left,
    }


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    due: Due | None = row["due"]
    return _json_app(row["app"]) | {
        "status": row["status"],
        "outcome": row["outcome"],
        "answered": row["answered"].isoformat() if row["answered"] else None,
        "due": due.due.isoformat() if due and due.due else None,
        "due_summary": due.summary if due else "",
        "days_left": due.days_left if due else None,
    }
