"""Accounts for admins: list them, add one, change a role, disable or enable, set a new password.

Every change is audited (``user.add``, ``user.role``, ``user.disable``, ``user.enable``,
``user.password``); a role change, a disable and a new password end the account's sessions at once
(store.users bumps the session version). An admin cannot disable or demote their own account, so there
is always someone left to undo a mistake.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..desk.access import AGENCY_ROLES, ROLES
from ..errors import Forbidden, GongkaiError, Invalid
from ..store.users import check_password
from .base import Web, lang_of

Name = Annotated[str, Form(min_length=1, max_length=100)]


def router(web: Web) -> APIRouter:
    r = APIRouter()
    store = web.store

    def admin(request: Request) -> dict[str, Any]:
        return web.need_user(request, ("admin",))

    def back(request: Request) -> RedirectResponse:
        return RedirectResponse("/admin/users" + ("?lang=en" if lang_of(request) == "en" else ""), 303)

    def show(request: Request, status: int = 200, error: str = "") -> HTMLResponse:
        return web.page(
            request, "admin_users.html", status, users=store.users.list(), roles=ROLES, error=error
        )

    @r.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request) -> HTMLResponse:
        admin(request)
        return show(request)

    @r.post("/admin/users", response_class=HTMLResponse)
    async def add_user(
        request: Request,
        username: Name,
        password: Annotated[str, Form(max_length=1000)],
        role: Annotated[str, Form(max_length=20)],
        agency: Annotated[str, Form(max_length=200)] = "",
        region: Annotated[str, Form(max_length=12)] = "",
    ) -> Response:
        me = admin(request)
        try:
            if role not in ROLES:
                raise Invalid(role, f"角色须为 {' | '.join(ROLES)}", f"role must be {' | '.join(ROLES)}")
            if role in AGENCY_ROLES and not agency:
                raise Invalid(role, "该角色须指定所属机关", "this role needs an agency")
            check_password(password, username)
            row = store.agencies.find(agency) if agency else None
            async with web.hash_slots:
                await run_in_threadpool(
                    store.users.add, username, password, role, row["id"] if row else None, region
                )
        except GongkaiError as e:
            return show(request, 422, e.line(lang_of(request)))
        after = {"role": role, "agency": agency, "region": region}
        store.audit.record(me["username"], "user.add", username, None, after)
        return back(request)

    @r.post("/admin/users/{username}/role", response_class=HTMLResponse)
    def set_role(request: Request, username: str, role: Annotated[str, Form(max_length=20)]) -> Response:
        me = admin(request)
        if role not in ROLES:
            return show(
                request, 422, f"角色须为 {' | '.join(ROLES)}" if lang_of(request) == "zh" else "unknown role"
            )
        if username == me["username"] and role != "admin":
            raise Forbidden(username, "不能降低自己的角色", "you cannot demote your own account")
        before = store.users.update(username, role=role)
        store.audit.record(me["username"], "user.role", username, {"role": before["role"]}, {"role": role})
        return back(request)

    @r.post("/admin/users/{username}/disable", response_class=HTMLResponse)
    def disable(request: Request, username: str) -> Response:
        me = admin(request)
        if username == me["username"]:
            raise Forbidden(username, "不能停用自己的账户", "you cannot disable your own account")
        before = store.users.update(username, disabled=True)
        store.audit.record(
            me["username"], "user.disable", username, {"disabled": before["disabled"]}, {"disabled": True}
        )
        return back(request)

    @r.post("/admin/users/{username}/enable", response_class=HTMLResponse)
    def enable(request: Request, username: str) -> Response:
        me = admin(request)
        before = store.users.update(username, disabled=False)
        store.audit.record(
            me["username"], "user.enable", username, {"disabled": before["disabled"]}, {"disabled": False}
        )
        return back(request)

    @r.post("/admin/users/{username}/password", response_class=HTMLResponse)
    async def reset_password(
        request: Request, username: str, password: Annotated[str, Form(max_length=1000)]
    ) -> Response:
        me = admin(request)
        try:
            store.users.by_name(username)
            check_password(password, username)
        except GongkaiError as e:
            return show(request, e.status if hasattr(e, "status") else 422, e.line(lang_of(request)))
        async with web.hash_slots:
            await run_in_threadpool(store.users.set_password, username, password)
        store.audit.record(me["username"], "user.password", username, None, None)
        return back(request)

    return r
