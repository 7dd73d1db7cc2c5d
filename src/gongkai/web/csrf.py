"""Anti-forgery tokens: one random token per session, sent back by every form (field ``csrf``) and
every state-changing API call (header ``X-CSRF-Token``), compared in constant time.

The session cookie is also ``SameSite=Strict``; the token covers browsers and proxies that drop it.
A request authenticated by a ``write`` API token (``Authorization: Bearer …``, checked by
security.write_guard before any handler) carries no cookie and needs no CSRF token."""

from __future__ import annotations

import secrets

from fastapi import Request

from ..errors import Forbidden


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf(request: Request, sent: str | None = None) -> None:
    """Raise ``Forbidden`` unless ``sent`` (or the X-CSRF-Token header) is the session's token."""
    if getattr(request.state, "token_scope", None) == "write":
        return
    sent = sent if sent is not None else request.headers.get("x-csrf-token", "")
    if not sent or not secrets.compare_digest(sent, request.session.get("csrf", "")):
        raise Forbidden("CSRF", "表单已过期或来源不明，请刷新页面后重试", "CSRF token missing or wrong")
