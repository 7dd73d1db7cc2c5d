"""The data `make run` loads (the demo corpus, ../shared's seeds and fixtures) in a store, with the demo
reviewer and an admin, served by the real app (uvicorn in a thread) — for the crawl and the browser walk."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

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


@contextmanager
def serve(store: Store) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
