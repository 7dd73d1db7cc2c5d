"""The public portal: disclosure requests made online, without an account.

- ``/apply`` lists the agencies that accept online requests; ``/apply/{agency}`` is the Art. 29 form.
- Submitting keeps the request in the agency's 待确认 queue and returns a receipt with the request number
  and a private query code (stored Argon2-hashed, shown once). Art. 31: a request made online is received
  on the day both sides confirm it, so the reply period starts when staff confirm it in the desk.
- ``/apply/status`` (number + code) shows the state, the deadline with its explanation and the letters
  sent, for download; a successful look-up is remembered in the session for those downloads only.

Abuse: a sliding-window rate limit per client address and per agency on submissions, and per address on
status look-ups (a throttled client gets 429 while everyone else is served); a size limit on the whole
request and on the ID scan, whose type is sniffed from its bytes (JPEG, PNG, PDF only); the session's
CSRF token; a honeypot field that people never see. The client address is the socket's peer: behind a
reverse proxy, run uvicorn with ``--proxy-headers`` so that it is the visitor's.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..desk.applicant import (
    DELIVERIES,
    DETAIL_FIELDS,
    FORMS,
    PERSON_ID_TYPES,
    ApplicantError,
    missing,
    normalise,
)
from ..desk.forms import status_text
from ..desk.ledger import APPLICANT_TYPES, LedgerError, deadline, fold
from ..store.ledger import Ledger
from .base import Id, Web, lang_of
from .csrf import check_csrf
from .desk_text import PORTAL_TEXT, labels

MAX_BODY = 6 * 1024 * 1024  # the whole form
MAX_SCAN = 5 * 1024 * 1024  # the ID scan
MAX_TEXT = 4000  # any one text field
SNIFF = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))
HONEYPOT = "website"
# Letters addressed to the applicant (a consultation letter goes to the third party, not to them).
APPLICANT_LETTERS = ("registered", "correction_sent", "extension_approved", "fee_notice_sent", "answered")
BEIJING = ZoneInfo("Asia/Shanghai")
# the ledger's own fields and Art. 29's (desk/applicant.py): what the public form sends
FORM_FIELDS = ("applicant_type", "applicant", "applicant_id", "request", *DETAIL_FIELDS)


class RateLimit:
    """At most ``limit`` hits per ``window`` seconds for each key (a sliding window, in memory: one per
    web worker, which is what a limit against one client's flood needs)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            q = self.hits.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(now)
            if len(self.hits) > 10000:  # forget idle keys
                for k in [k for k, v in self.hits.items() if not v]:
                    del self.hits[k]
            return True


def sniff(data: bytes) -> str | None:
    """The media type of an ID scan from its first bytes (None: not an image or PDF we accept)."""
    return next((media for magic, media in SNIFF if data.startswith(magic)), None)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def router(web: Web) -> APIRouter:
    r = APIRouter()
    ledger = Ledger(web.store)
    limits = {
        "ip": RateLimit(5, 600),  # submissions per client address per 10 minutes
        "agency": RateLimit(200, 3600),  # submissions per agency per hour
        "lookup": RateLimit(20, 600),  # status look-ups per client address per 10 minutes
    }
    r.limits = limits  # type: ignore[attr-defined]  # tests and operators may tune them

    def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        return web.page(request, name, status_code, p=PORTAL_TEXT[lang], lb=labels(lang), **ctx)

    def throttled(request: Request) -> HTMLResponse:
        resp = render(request, "apply_error.html", 429, message=PORTAL_TEXT[lang_of(request)]["too_many"])
        resp.headers["Retry-After"] = "600"
        return resp

    def open_agency(agency_id: int) -> dict[str, Any]:
        agency = web.store.agencies.get(agency_id)
        if agency is None or not ledger.portal_open(agency_id):
            raise HTTPException(404, "该机关目前不接受在线申请")
        return agency

    def form_ctx(agency: dict[str, Any], values: dict[str, str], error: str = "") -> dict[str, Any]:
        return {
            "agency": agency,
            "values": values,
            "types": list(APPLICANT_TYPES),
            "id_types": PERSON_ID_TYPES,
            "forms": list(FORMS),
            "deliveries": list(DELIVERIES),
            "error": error,
            "honeypot": HONEYPOT,
        }

    @r.get("/apply", response_class=HTMLResponse)
    def apply_home(request: Request) -> HTMLResponse:
        return render(request, "apply_home.html", agencies=ledger.portal_agencies())

    # /apply/status before /apply/{agency_id}
    @r.get("/apply/status", response_class=HTMLResponse)
    def status_form(request: Request) -> HTMLResponse:
        return render(request, "apply_status.html", found=None, error="", number="")

    @r.post("/apply/status", response_class=HTMLResponse)
    async def status_lookup(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        check_csrf(request, str(form.get("csrf", "")))
        if not limits["lookup"].allow(client_of(request)):
            return throttled(request)
        number, code = str(form.get("number", ""))[:40].strip(), str(form.get("code", ""))[:40]
        row = ledger.find_submission(number, code) if number and code else None
        if row is None:
            msg = PORTAL_TEXT[lang_of(request)]["not_found"]
            return render(request, "apply_status.html", 404, found=None, error=msg, number=number)
        seen = [i for i in request.session.get("portal", []) if i != row["id"]][-9:]
        request.session["portal"] = [*seen, row["id"]]
        suffix = "?lang=en" if lang_of(request) == "en" else ""
        return RedirectResponse(f"/apply/status/{row['id']}{suffix}", 303)

    def granted(request: Request, sub_id: int) -> dict[str, Any]:
        """The submission, if this session looked it up with its code (otherwise: back to the form)."""
        if sub_id not in request.session.get("portal", []):
            raise HTTPException(303, "请输入申请编号和查询码", headers={"Location": "/apply/status"})
        return ledger.submission(sub_id)

    @r.get("/apply/status/{sub_id}", response_class=HTMLResponse)
    def status_page(request: Request, sub_id: Id) -> HTMLResponse:
        sub = granted(request, sub_id)
        agency = web.store.agencies.get(sub["agency_id"]) or {"name": ""}
        ctx: dict[str, Any] = {"sub": sub, "agency": agency, "app": None, "letters": [], "steps": []}
        ctx["submitted"] = beijing(sub["submitted_at"])
        if sub["application_id"] is not None:
            app, events = ledger.get(sub["application_id"])
            state = fold(app, events)
            ctx |= {
                "app": app,
                "status": status_text(state),
                "outcome": state.outcome,
                "deadline": deadline(ledger.calendar(), app, state),
                "steps": events,
                "letters": [e for e in events if e.kind in APPLICANT_LETTERS and e.document_no],
            }
            web.store.audit.record(
                "applicant", "personal.view", f"application {app.id}", None, {"via": "portal status"}
            )
        return render(request, "apply_status.html", found=ctx, error="", number=sub["number"])

    @r.get("/apply/status/{sub_id}/letters/{seq}")
    def status_letter(request: Request, sub_id: Id, seq: Id) -> Response:
        from ..desk.letters import LetterError, letter_filename, render_letter
        from .base import attachment
        from .desk import DOWNLOADS

        sub = granted(request, sub_id)
        if sub["application_id"] is None:
            raise HTTPException(404, "尚无文书")
        app, events = ledger.get(sub["application_id"])
        event = next(
            (e for e in events if e.seq == seq and e.kind in APPLICANT_LETTERS and e.document_no), None
        )
        if event is None:
            raise HTTPException(404, f"没有第{seq}项文书")
        try:
            data = render_letter(app, events, seq, ledger.agency(sub["agency_id"]), cal=ledger.calendar())
        except LetterError as e:
            raise HTTPException(404, str(e)) from e
        web.store.audit.record("applicant", "personal.view", f"application {app.id}", None, {"letter": seq})
        return attachment(data, DOWNLOADS["docx"], letter_filename(app, event))

    @r.get("/apply/{agency_id}", response_class=HTMLResponse)
    def apply_form(request: Request, agency_id: Id) -> HTMLResponse:
        agency = open_agency(agency_id)
        values = {"applicant_type": "np", "id_type": "resident_id", "delivery": "online"}
        return render(request, "apply_form.html", **form_ctx(agency, values))

    @r.post("/apply/{agency_id}", response_class=HTMLResponse)
    async def apply_submit(request: Request, agency_id: Id) -> Response:
        agency = open_agency(agency_id)
        p = PORTAL_TEXT[lang_of(request)]
        try:
            size = int(request.headers.get("content-length") or 0)
        except ValueError:
            size = 0
        if size > MAX_BODY:
            return render(request, "apply_error.html", 413, message=p["too_large"])
        form = await request.form(max_files=1, max_fields=30)
        check_csrf(request, str(form.get("csrf", "")))
        if str(form.get(HONEYPOT, "")).strip():  # only a robot fills a field nobody sees
            web.store.audit.record(
                "portal", "portal.honeypot", f"agency {agency_id}", None, client_of(request)
            )
            return render(request, "apply_error.html", 400, message=p["too_many"])
        if not limits["ip"].allow(client_of(request)) or not limits["agency"].allow(str(agency_id)):
            return throttled(request)
        values = {k: str(form.get(k, ""))[:MAX_TEXT].strip() for k in FORM_FIELDS}
        scan, scan_type = None, ""
        upload = form.get("attachment")
        if upload is not None and not isinstance(upload, str) and upload.filename:
            scan = await upload.read(MAX_SCAN + 1)
            if len(scan) > MAX_SCAN:
                return render(request, "apply_form.html", 413, **form_ctx(agency, values, p["too_large"]))
            if not scan:
                scan = None
            else:
                scan_type = sniff(scan) or ""
                if not scan_type:
                    return render(request, "apply_form.html", 422, **form_ctx(agency, values, p["bad_file"]))
        try:
            error = _minimum(values)
            details = normalise(values["applicant_type"], values)
        except ApplicantError as e:
            error = str(e)
        if error:
            return render(request, "apply_form.html", 422, **form_ctx(agency, values, error))
        data = {k: values[k] for k in ("applicant_type", "applicant", "request")} | details
        lacking = missing(values["applicant_type"], values["applicant"], values["request"], data)
        try:
            _, number, code = ledger.submit(agency_id, data | {"missing": lacking}, scan, scan_type)
        except LedgerError as e:
            return render(request, "apply_form.html", 503, **form_ctx(agency, values, str(e)))
        resp = render(
            request,
            "apply_receipt.html",
            agency=agency,
            number=number,
            code=code,
            missing=lacking,
            submitted=beijing(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        )
        resp.headers["Cache-Control"] = "no-store"  # the code is shown once
        return resp

    return r


def beijing(utc: dt.datetime) -> str:
    """A stored (naive UTC) time as the applicant reads it: Beijing time."""
    return utc.replace(tzinfo=dt.UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M（北京时间）")


def _minimum(v: dict[str, str]) -> str:
    """What an online request cannot go without (anything else missing becomes the 补正 path): who asks,
    a way to reach them, and what they ask for."""
    if v["applicant_type"] not in APPLICANT_TYPES:
        return "请选择申请人类型"
    if not v["applicant"]:
        return "请填写申请人姓名或名称"
    if not (v["phone"] or v["email"] or v["address"]):
        return "请至少填写一种联系方式（电话、电子邮箱或通信地址）"
    if not (v["request"] or v["info_title"] or v["info_number"]):
        return "请填写所需信息的名称、文号或特征性描述"
    return ""
