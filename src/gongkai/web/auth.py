"""Accounts in the browser: log in (throttled, see security.py), log out, change one's password, and
upload a report (editors, reviewers and admins)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..api import parse_bytes
from ..errors import GongkaiError
from ..store.users import check_password
from .base import Web, lang_of
from .csrf import check_csrf
from .original import PDFIUM_LOCK
from .security import MAX_UPLOAD, TooManyAttempts
from .text import TEXT

UPLOAD_ROLES = ("admin", "editor", "reviewer")


def _parse(data: bytes, name: str):
    with PDFIUM_LOCK:  # page images are drawn with pdfium in other threads
        return parse_bytes(data, name)


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


def router(web: Web) -> APIRouter:
    r = APIRouter()
    store = web.store

    @r.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return web.page(request, "login.html", next=_safe_next(next), error="")

    @r.post("/login", response_class=HTMLResponse)
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=100)],
        password: Annotated[str, Form(max_length=1000)],
        csrf: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        check_csrf(request, csrf)
        address = request.client.host if request.client else ""
        try:
            # before any hashing: a locked login costs nothing
            await run_in_threadpool(web.throttle.begin, username, address)
        except TooManyAttempts as e:
            page = web.page(request, "login.html", 429, next=_safe_next(next), error=e.line(lang_of(request)))
            page.headers["Retry-After"] = str(e.retry_after)
            return page
        async with web.hash_slots:  # queued here, not in a thread: each hash takes 64 MiB
            user = await run_in_threadpool(store.users.authenticate, username, password)
        await run_in_threadpool(web.throttle.end, username, address, user is not None)
        if user is None:
            error = TEXT[lang_of(request)]["bad_login"]
            return web.page(request, "login.html", status_code=401, next=_safe_next(next), error=error)
        web.log_in(request, user)
        return RedirectResponse(_safe_next(next), 303)

    @r.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()]) -> Response:
        check_csrf(request, csrf)
        user = web.user(request)
        if user is not None and web.bearer(request) is None:
            store.users.end_sessions(user["id"])  # a copy of the cookie is worthless from now on
        request.session.clear()
        return RedirectResponse("/", 303)

    @r.get("/account/password", response_class=HTMLResponse)
    def password_form(request: Request) -> Response:
        web.need_user(request)
        return web.page(request, "password.html", error="")

    @r.post("/account/password", response_class=HTMLResponse)
    async def change_password(
        request: Request,
        current: Annotated[str, Form(max_length=1000)],
        new: Annotated[str, Form(max_length=1000)],
        csrf: Annotated[str, Form()],
    ) -> Response:
        """Change one's own password: the current one first; every other session of the account ends."""
        user = web.need_user(request)
        check_csrf(request, csrf)
        lang = lang_of(request)
        address = request.client.host if request.client else ""
        try:
            await run_in_threadpool(web.throttle.begin, user["username"], address)
        except TooManyAttempts as e:
            return web.page(request, "password.html", 429, error=e.line(lang))
        async with web.hash_slots:
            ok = await run_in_threadpool(store.users.authenticate, user["username"], current)
        await run_in_threadpool(web.throttle.end, user["username"], address, ok is not None)
        if ok is None:
            return web.page(request, "password.html", 403, error=TEXT[lang]["bad_login"])
        try:
            check_password(new, user["username"])
        except GongkaiError as e:
            return web.page(request, "password.html", 422, error=e.line(lang))
        async with web.hash_slots:
            await run_in_threadpool(store.users.set_password, user["username"], new)
        store.audit.record(user["username"], "user.password", user["username"], None, None)
        web.log_in(request, store.users.by_name(user["username"]))  # this session goes on
        done = "密码已修改" if lang == "zh" else "password changed"
        return web.page(request, "password.html", error="", done=done)

    @r.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request) -> Response:
        web.need_user(request, UPLOAD_ROLES)
        return web.page(request, "upload.html", error="")

    @r.post("/upload", response_class=HTMLResponse)
    async def upload(request: Request, file: UploadFile, csrf: Annotated[str, Form()]) -> Response:
        user = web.need_user(request, UPLOAD_ROLES)
        check_csrf(request, csrf)
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return web.page(
                request, "upload.html", status_code=413, error=TEXT[lang_of(request)]["too_large"]
            )
        name = Path(file.filename or "upload").name[:200] or "upload"
        sha = await run_in_threadpool(store.files.put, data, name)  # the original is kept whatever happens
        try:
            report = await run_in_threadpool(_parse, data, name)
            vid, _ = await run_in_threadpool(
                store.reports.save, report, sha, f"upload:{user['username']}/{name}"
            )
        except GongkaiError as e:
            store.failures.record(name, sha, e.problem, e.problem_en)
            return web.page(request, "upload.html", status_code=422, error=e.line(lang_of(request)))
        except Exception as e:  # a reader's defect still ends as a clear message and a failure row
            zh = f"读取失败（{type(e).__name__}）"
            en = f"could not be read ({type(e).__name__})"
            store.failures.record(name, sha, zh, en)
            msg = f"{name}: {en if lang_of(request) == 'en' else zh}"
            return web.page(request, "upload.html", status_code=422, error=msg)
        store.audit.record(
            user["username"], "report.upload", f"version #{vid}", None, {"file": name, "sha256": sha}
        )
        return RedirectResponse(f"/reports/{vid}", 303)

    return r
