"""FastAPI application: pages under /, JSON under /api (OpenAPI docs at /api/docs).

Each area is a router module over one shared ``Web`` (base.py): reports (reports.py), browsing across
agencies (browse.py), the review (review.py), accounts and upload (auth.py), the agency desk (desk.py).
Errors become responses in one place (errors.py); CSRF lives in csrf.py.
Every page reads the store; every number shown links to the cell it came from (file, page/line, raw text).
Strings are escaped by Jinja2's autoescape, so an agency named ``<script>`` renders inert.
Security headers, body limits, CSRF on every write and login throttling live in security.py.

Deployment settings come from the environment (``gongkai serve`` sets them from its options):
GONGKAI_SECRET (the session key), GONGKAI_SECURE_COOKIES=1 (the session cookie only over HTTPS).
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import threading

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ..store import Store
from . import admin, auth, browse, desk, errors, portal, reports, review, watch
from .base import HERE, Web
from .security import Shield, write_guard

log = logging.getLogger(__name__)


def create_app(db: str | None = None, store: Store | None = None, warm: bool = False) -> FastAPI:
    """The workbench; with no arguments (``uvicorn --factory``) the database comes from GONGKAI_DB.
    ``warm`` (``gongkai serve``): read the country's region tallies of every year in the background."""
    store = store or Store.open(db or os.environ.get("GONGKAI_DB", "sqlite:///gongkai.db"))
    web = Web(store)
    app = FastAPI(
        title="gongkai",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        dependencies=[Depends(write_guard(web))],  # CSRF or a write token on every POST/PUT/DELETE
    )
    # Sessions are signed cookies; set GONGKAI_SECRET so that logins survive a restart and several workers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=os.environ.get("GONGKAI_SECRET") or secrets.token_hex(32),
        same_site="strict",
        https_only=os.environ.get("GONGKAI_SECURE_COOKIES", "") == "1",
    )
    # Outermost, outside even Starlette's error middleware: headers on every answer (a 500 too), and
    # bodies bounded before anything parses them.
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: Shield(build())  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.store = store
    app.state.web = web
    errors.install(app, web)
    for area in (reports, browse, review, auth, admin, desk, portal, watch):
        app.include_router(area.router(web))
    # What is loaded now (modules, formats, regions, templates) lives as long as the process: keep it
    # out of the collector's full passes, which otherwise pause every thread for 100 ms and more while
    # an import or a parse allocates in a worker thread.
    gc.freeze()
    if warm:
        threading.Thread(target=_warm, args=(store,), name="gongkai-warm", daemon=True).start()
    return app


def _warm(store: Store) -> None:
    from ..review.hierarchy import warm

    try:
        warm(store)
    except Exception:  # a cache left cold is no reason to stop serving; pages compute it when asked
        log.warning("warming the region tallies failed", exc_info=True)
