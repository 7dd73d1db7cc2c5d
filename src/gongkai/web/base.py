"""What every area of the web app shares: the store, the templates, the language, the account of the
request and the page renderer. Routers take a ``Web`` and never import each other."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Path as PathParam
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BeforeValidator, Field

from ..errors import Forbidden, Invalid, RequestError
from ..report import YEAR_MAX, YEAR_MIN
from ..store import Store
from .csrf import csrf_token
from .security import HashSlots, Throttle
from .text import TEXT

HERE = Path(__file__).parent
# Every integer a URL brings is range-checked before it reaches a query (422, never a 500). Ids are
# INTEGER columns (store/models.py): 32-bit on PostgreSQL, so the bound is what both databases hold.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000  # page numbers of the paged lists


def _blank_is_none(v: Any) -> Any:
    return None if isinstance(v, str) and not v.strip() else v


Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]  # every integer id in a path
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # an id in the query (?against=…)
# ?year=… (absent or blank, as the pages' own links leave it when there is no year yet: the latest)
Year = Annotated[
    Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)] | None, BeforeValidator(_blank_is_none), Query()
]
PageNo = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)]  # ?page=…
Count = Annotated[int | None, Query(ge=0, le=MAX_ID)]  # a count echoed back (?imported=…)


def year_of(text: str | None, source: str = "year") -> int | None:
    """A year typed into a query as text (where "unknown" or a blank is also allowed): None for a blank,
    else the year, refused (422) unless it is a whole number in YEAR_MIN–YEAR_MAX."""
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and YEAR_MIN <= int(text) <= YEAR_MAX):
        raise Invalid(
            source,
            f"年度须为{YEAR_MIN}至{YEAR_MAX}之间的整数：{text[:20]}",
            f"the year must be a whole number from {YEAR_MIN} to {YEAR_MAX}: {text[:20]}",
        )
    return int(text)


def id_list(text: str, source: str = "ids") -> tuple[int, ...]:
    """Ids given as "12,15,40": each must be an id the databases can hold (else 422)."""
    out = []
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        if not (part.isascii() and part.isdigit() and len(part) <= 10 and 1 <= int(part) <= MAX_ID):
            raise Invalid(source, f"编号不正确：{part[:20]}", f"not a valid id: {part[:20]}")
        out.append(int(part))
    return tuple(out)


class LoginRequired(RequestError):
    """No account on a page that needs one: pages redirect to the login, the API answers 401."""

    status = 401


def attachment(data: bytes, media: str, name: str) -> Response:
    """A download under its (Chinese) file name: ASCII fallback plus RFC 5987 ``filename*``."""
    ascii_name = name.encode("ascii", "ignore").decode() or "download"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


def lang_of(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


class Web:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.throttle = Throttle(store)
        self.hash_slots = HashSlots(2)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        from . import filters

        filters.install(self.templates.env)

    @staticmethod
    def bearer(request: Request) -> str | None:
        """The API token of an ``Authorization: Bearer …`` request, or None."""
        auth = request.headers.get("authorization", "")
        return auth[7:].strip() if auth[:7].lower() == "bearer " else None

    def user(self, request: Request) -> dict[str, Any] | None:
        """The account of the request as it is now in the store (a role change or a disabled account
        applies at once, whatever the cookie says); None when anonymous, disabled, or when the cookie's
        session version is older than the account's (logout, password or role change since).
        A bearer token (``request.state.token_scope`` tells its scope) takes the place of the cookie."""
        raw = self.bearer(request)
        if raw is not None:
            if not hasattr(request.state, "token_user"):
                found = self.store.users.by_token(raw)
                request.state.token_user = found[0] if found else None
                request.state.token_scope = found[1] if found else None
            return request.state.token_user
        sess = request.session.get("user")
        if not sess or not isinstance(sess.get("id"), int):
            return None
        row = self.store.users.get(sess["id"])
        if row is None or row["disabled"] or row.get("username") != sess.get("username"):
            return None
        if sess.get("sv") != row["session_version"]:
            return None
        return row

    def log_in(self, request: Request, user: dict[str, Any]) -> None:
        """A fresh session for the account (nothing of an earlier one survives but the form token)."""
        token = request.session.get("csrf")
        request.session.clear()
        request.session.update(
            csrf=token,
            user={"id": user["id"], "username": user["username"], "sv": user["session_version"]},
        )

    def need_user(self, request: Request, roles: tuple[str, ...] | None = None) -> dict[str, Any]:
        user = self.user(request)
        if user is None:
            target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            raise LoginRequired(target, "请先登录", "please log in")
        if roles is not None and user["role"] not in roles:
            raise Forbidden(request.url.path, "该账户没有这项权限", "this account may not do this")
        return user

    def page(self, request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        ctx = {
            "t": TEXT[lang],
            "lang": lang,
            "user": self.user(request),
            "csrf": csrf_token(request),
            "path": request.url.path,
            "switch_lang": _with_lang(request, "zh" if lang == "en" else "en"),
            "q_lang": "&lang=en" if lang == "en" else "",
            **ctx,
        }
        return self.templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _with_lang(request: Request, lang: str) -> str:
    """This page's address in the other language (its other parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if lang == "en":
        params.append(("lang", "en"))
    return request.url.path + (f"?{urlencode(params)}" if params else "")
