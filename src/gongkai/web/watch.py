"""The watch page: for every agency of the collector's sites list, whether its report for a year is
out on time, late, edited after publication, missing, or its site unreachable (``collect.watch``).
Exportable as XLSX; the same as JSON under /api/watch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..collect.watch import STATES, tally, to_xlsx, watch
from .base import Web, Year, lang_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(year: int | None) -> int:
    return year or dt.date.today().year - 1


def router(web: Web) -> APIRouter:
    r = APIRouter()

    @r.get("/watch", response_class=HTMLResponse)
    def watch_page(request: Request, year: Year = None, state: str = "") -> HTMLResponse:
        chosen = _year(year)
        entries = watch(web.store, chosen)
        shown = [e for e in entries if not state or e.state == state]
        en = lang_of(request) == "en"
        return web.page(
            request,
            "watch.html",
            year=chosen,
            state=state,
            entries=shown,
            tally=tally(entries),
            states={k: v[1 if en else 0] for k, v in STATES.items()},
        )

    @r.get("/api/watch")
    def api_watch(year: Year = None) -> dict[str, Any]:
        chosen = _year(year)
        entries = watch(web.store, chosen)
        return {"year": chosen, "tally": tally(entries), "agencies": [e.as_dict() for e in entries]}

    @r.get("/watch.xlsx")
    def watch_xlsx(request: Request, year: Year = None) -> Response:
        chosen = _year(year)
        data = to_xlsx(watch(web.store, chosen), chosen, lang_of(request))
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="watch-{chosen}.xlsx"'},
        )

    return r
