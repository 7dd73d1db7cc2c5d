"""A crawl job's state in its directory: what was fetched, what it led to, what is left to ingest.

``state.sqlite`` (every record committed at once, so a kill -9 loses at most the request in flight)
and ``bodies/<sha256>`` (written to a temporary name, then renamed). A re-run of an unfinished job
does not fetch again what the state holds: a page already fetched hands over its recorded links. A
finished job, run again, starts a new crawl (the store's ETag / Last-Modified then make it cheap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS doc (
    url TEXT PRIMARY KEY, agency TEXT, site_id INTEGER, role TEXT, parent TEXT, depth INTEGER,
    http_status INTEGER, final_url TEXT, sha TEXT, size INTEGER, etag TEXT, last_modified TEXT,
    headers TEXT, fetched_at TEXT, published TEXT, title TEXT, children TEXT, error TEXT, error_en TEXT,
    ingested INTEGER DEFAULT 0, elapsed REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class JobState:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.bodies = self.root / "bodies"
        self.bodies.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.root / "state.sqlite", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    # -- the job as a whole ------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def reset(self) -> None:
        """Forget a finished crawl (the bodies stay: content-addressed, they are reused)."""
        self.db.execute("DELETE FROM doc")
        self.db.execute("DELETE FROM meta")

    # -- documents ---------------------------------------------------------------------------------

    def put_body(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self.bodies / sha
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return sha

    def body(self, sha: str) -> bytes:
        return (self.bodies / sha).read_bytes()

    def record(self, url: str, **values: Any) -> None:
        values.setdefault("fetched_at", dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat())
        if isinstance(values.get("children"), list):
            values["children"] = json.dumps(values["children"], ensure_ascii=False)
        if isinstance(values.get("headers"), dict):
            values["headers"] = json.dumps(values["headers"], ensure_ascii=False)
        cols = ["url", *values]
        self.db.execute(
            f"INSERT OR REPLACE INTO doc ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (url, *values.values()),
        )

    def doc(self, url: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM doc WHERE url = ?", (url,)).fetchone()
        return _row(row) if row else None

    def docs(self) -> list[dict[str, Any]]:
        return [_row(r) for r in self.db.execute("SELECT * FROM doc ORDER BY rowid")]

    def done_urls(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT url FROM doc")}

    def mark_ingested(self, url: str) -> None:
        self.db.execute("UPDATE doc SET ingested = 1 WHERE url = ?", (url,))


def _row(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    d["children"] = json.loads(d["children"]) if d.get("children") else []
    d["headers"] = json.loads(d["headers"]) if d.get("headers") else {}
    return d
