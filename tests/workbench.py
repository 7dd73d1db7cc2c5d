"""The data `make run` loads (the demo corpus, ../shared's seeds and fixtures) in a store, with the demo
reviewer and an admin, served by the real app (uvicorn in a thread) — for the crawl and the browser walk."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.routing import APIRoute

from gongkai.demo import demo_province
from gongkai.desk.cli import demo as desk_demo
from gongkai.ingest import ingest
from gongkai.review.cli import DEMO_REVIEWER
from gongkai.store import Store
from gongkai.web import create_app

from .conftest import SEEDS, SHARED

ADMIN = ("admin", "管理员的密码-2026")
OUTSIDER = ("outsider", "别处审核员-2026")  # a reviewer of another province


def load(store: Store, demo: Path) -> None:
    """Exactly what `make run` ingests, and its accounts."""
    ingest([demo, SEEDS, SHARED / "fixtures"], store, workers=2)
    desk_demo(db=store.engine.url.render_as_string(hide_password=False))  # `gongkai desk demo`
    user, password = DEMO_REVIEWER
    store.users.add(user, password, "reviewer", region_code=demo_province())
    store.users.add(*ADMIN, role="admin")
    other = "440000" if demo_province() != "440000" else "110000"
    store.users.add(*OUTSIDER, role="reviewer", region_code=other)


def api_routes(app: Any) -> list[APIRoute]:
    """Every APIRoute of the app (FastAPI keeps included routers nested)."""

    def walk(routes: Any) -> Iterator[Any]:
        for r in routes:
            if hasattr(r, "original_router"):
                yield from walk(r.original_router.routes)
            else:
                yield r

    return [r for r in walk(app.routes) if isinstance(r, APIRoute)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until ``url`` answers 200; fails at once if the server process has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered (exit code {proc.poll()})")


@contextmanager
def server_process(
    args: list[str], env: dict[str, str], cwd: Path | None = None
) -> Iterator[tuple[str, int]]:
    """A server command (``--port`` is appended) in a process of its own: (base URL, pid)."""
    port = free_port()
    proc = subprocess.Popen([*args, "--port", str(port)], env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/login", proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def serve(store: Store) -> Iterator[str]:
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(create_app(store=store), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
