"""The web app's defences that do not belong to one area (OWASP ASVS level 1 as the checklist):

- ``Shield``: one ASGI middleware that puts the security headers on every response (a
  Content-Security-Policy without inline script or style, no framing, no MIME sniffing, a referrer
  policy, HSTS over HTTPS) and bounds request bodies *before* they are read: the Content-Length is
  checked first, then the bytes are counted as they stream in (uploads 200 MB, imports 20 MB, the
  public portal's form 7 MB, everything else 1 MB) — too much is answered 413.
- ``write_guard``: a dependency on every route; a state-changing request (POST, PUT, PATCH, DELETE)
  needs an account (only ``/login`` and the public portal's ``/apply/…`` are open) and the session's
  CSRF token (form field ``csrf`` or header ``X-CSRF-Token``) or a ``write`` API
  token (``Authorization: Bearer …``: no cookie is involved, so no CSRF either). It runs before the
  body is validated, so no route can forget it.
- ``Throttle``: failed logins per account and per address; after five, a lockout of 15 minutes that
  doubles with each further lockout (up to a day) and then ends. It is consulted *before* the password
  is hashed, and logins wait for one of ``HASH_SLOTS`` (each Argon2 hash takes 64 MiB) without holding
  a thread.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Forbidden, RequestError

if TYPE_CHECKING:
    from ..store import Store

MB = 1024 * 1024
MAX_UPLOAD = 200 * MB
MAX_IMPORT = 20 * MB
MAX_OTHER = 1 * MB
MAX_PORTAL = 7 * MB  # the portal answers its own 6 MB limit with a page; this is the backstop
# (path pattern, limit): the first that matches sets the bound of a request body
LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^/upload$"), MAX_UPLOAD),
    (re.compile(r"^/desk/[^/]+/import$"), MAX_IMPORT),
    (re.compile(r"^/coverage/import$"), MAX_IMPORT),
    (re.compile(r"^/apply/[^/]+$"), MAX_PORTAL),  # the public portal: a form with an ID scan
)
# the only state-changing routes open to anonymous visitors (still with the session's CSRF token)
PUBLIC_WRITES = re.compile(r"^/(login|apply/[^/]+)$")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's Swagger page is one inline script and a CDN bundle; it gets a policy of its own
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(path: str) -> int:
    for pattern, limit in LIMITS:
        if pattern.match(path):
            return limit
    return MAX_OTHER


class TooLarge(HTTPException):
    """The body is over the route's limit (raised from ``receive`` while the app reads it)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求内容过大（上限 {limit // MB} MB）")
        self.limit = limit


def _too_large_body(limit: int) -> bytes:
    return f"请求内容过大（上限 {limit // MB} MB） / request too large (limit {limit // MB} MB)\n".encode()


class Shield:
    """Security headers on every response; request bodies bounded before they are read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = (DOCS_CSP if path.startswith("/api/docs") else CSP).encode()
        extra = [(b"content-security-policy", policy), *HEADERS]
        if scope.get("scheme") == "https":
            extra.append(HSTS)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                have = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in have
                ]
            await send(message)

        limit = body_limit(path)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _refuse(send_with_headers, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send_with_headers)
        except TooLarge:
            if started:
                raise
            await _refuse(send_with_headers, limit)


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = _too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ---- CSRF or a write token on every state-changing request ------------------------------------------


def write_guard(web: Any) -> Callable[[Request], Any]:
    """The dependency every route carries (see the module docstring)."""
    from .base import LoginRequired
    from .csrf import check_csrf

    async def guard(request: Request) -> None:
        if request.method not in UNSAFE:
            return
        if web.bearer(request) is not None:
            user = web.user(request)
            if user is None:
                raise LoginRequired(request.url.path, "API 令牌无效或已撤销", "API token invalid or revoked")
            if request.state.token_scope != "write":
                raise Forbidden("token", "该 API 令牌只能读取", "this API token is read-only")
            return
        if not PUBLIC_WRITES.match(request.url.path) and web.user(request) is None:
            raise LoginRequired(request.url.path, "请先登录", "please log in")  # anonymous: nothing to write
        sent = request.headers.get("x-csrf-token", "")
        kind = request.headers.get("content-type", "")
        if not sent and kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf")
            sent = value if isinstance(value, str) else ""
        check_csrf(request, sent)

    return guard


# ---- login throttling --------------------------------------------------------------------------------


class TooManyAttempts(RequestError):
    """Too many failed logins for this account or from this address: wait ``retry_after`` seconds."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            "login",
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            f"too many failed logins; try again in {minutes} min",
        )
        self.retry_after = retry_after


class Throttle:
    """Failed logins per account and per address, counted in the store (``store.logins``) so that all
    web workers share one count and one lockout.

    ``begin`` is called before the password is hashed and counts the attempt at once (so forty
    concurrent guesses cannot all slip past a limit of five); ``end`` forgets the account's failures on
    success. ``clock`` (epoch seconds: several processes compare it) is injectable for tests."""

    def __init__(
        self,
        store: Store,
        per_account: int = 5,
        per_address: int = 20,
        lockout: float = 15 * 60,
        longest: float = 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.limits = {"user": per_account, "ip": per_address}
        self.lockout, self.longest, self.clock = lockout, longest, clock
        self._pruned = 0.0

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return f"user:{username.strip().lower()}"[:200], f"ip:{address}"[:200]

    def begin(self, username: str, address: str) -> None:
        """Raise ``TooManyAttempts`` when either is locked; otherwise count this attempt."""
        now = self.clock()
        if now - self._pruned > 3600:
            self._pruned = now
            self.store.logins.prune(now, self.longest)
        user, ip = self._keys(username, address)
        keys = ((user, self.limits["user"]), (ip, self.limits["ip"]))
        wait = self.store.logins.attempt(keys, now, self.lockout, self.longest)
        if wait > 0:
            raise TooManyAttempts(math.ceil(wait))

    def end(self, username: str, address: str, ok: bool) -> None:
        """A successful login clears the account's record and takes back the address's count."""
        if ok:
            self.store.logins.succeeded(*self._keys(username, address))


class HashSlots:
    """At most ``n`` password hashes at a time; the rest wait here, in the event loop, not in threads.
    (One semaphore per event loop: a worker has one; tests may drive the app from several.)"""

    def __init__(self, n: int = 2) -> None:
        self.n = n
        self._sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _sem(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.n)
        return sem

    async def __aenter__(self) -> None:
        await self._sem().acquire()

    async def __aexit__(self, *exc: object) -> None:
        self._sem().release()
