"""One place turns what went wrong into a response (Datasette's handle_exception): a ``RequestError``
carries its status; pages get an HTML page in the visitor's language, the API gets JSON; an anonymous
visitor of a page that needs a login is sent to the login with the page to come back to."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import RequestError
from .base import LoginRequired, Web, lang_of


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def install(app: FastAPI, web: Web) -> None:
    def answer(request: Request, status: int, zh: str, en: str) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": en if lang_of(request) == "en" else zh, "detail_en": en}, status)
        msg = en if lang_of(request) == "en" else zh
        return web.page(request, "error.html", status_code=status, status=status, message=msg)

    @app.exception_handler(RequestError)
    async def request_error(request: Request, e: RequestError) -> Response:
        if isinstance(e, LoginRequired) and not _is_api(request):
            return RedirectResponse(f"/login?next={e.source}", 303)
        return answer(request, e.status, e.problem, e.problem_en)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        if e.status_code in (301, 302, 303, 307) and e.headers and "Location" in e.headers:
            return RedirectResponse(e.headers["Location"], e.status_code)
        detail = str(e.detail)
        generic = {404: "not found", 403: "forbidden", 401: "please log in", 405: "method not allowed"}
        zh = {"Not Found": "没有这个页面", "Method Not Allowed": "不支持这种请求"}.get(detail, detail)
        en = detail if detail.isascii() else generic.get(e.status_code, "error")
        return answer(request, e.status_code, zh, en)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": e.errors()}, 422)
        fields = "、".join(str(err.get("loc", ["?"])[-1]) for err in e.errors())
        return answer(request, 422, f"参数不正确：{fields}", f"invalid parameters: {fields}")
