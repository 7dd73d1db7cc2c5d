"""Batch ingestion: every file exactly once, even when the run is killed with SIGKILL and re-run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gongkai.store import Store

from .conftest import SEEDS
from .procs import descendants, survivors

ROOT = Path(__file__).resolve().parents[1]


def _corpus(folder: Path, copies: int) -> list[str]:
    """Distinct files (each copy differs by a trailing note), plus one bad file."""
    shas = []
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        for i in range(copies):
            data = (text + f"\n（副本 {i}）\n").encode()
            (folder / f"{seed.stem}-{i}.txt").write_bytes(data)
            shas.append(hashlib.sha256(data).hexdigest())
    (folder / "empty.txt").write_bytes(b"")
    return shas


def _ingest(folder: Path, db: str, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gongkai.cli", "ingest", str(folder), "--db", db, "--workers", "2", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)


def _wait_for_versions(db: Path, n: int, proc: subprocess.Popen) -> int:
    import sqlite3

    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db, timeout=1) as c:
                count = c.execute("select count(*) from report_version").fetchone()[0]
        except sqlite3.Error:
            count = 0
        if count >= n:
            return count
        time.sleep(0.05)
    raise AssertionError("ingest never got going")


def _wait_for_workers(proc: subprocess.Popen, n: int) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(descendants(proc.pid)) >= n:
            return
        time.sleep(0.02)
    raise AssertionError("the workers never started")


@pytest.mark.parametrize("kill_at", [0, 30, 120])  # versions stored when killed (0: workers just up)
def test_killed_run_leaves_no_worker_and_rerun_ingests_every_file_exactly_once(tmp_path, kill_at):
    corpus = tmp_path / "reports"
    corpus.mkdir()
    shas = _corpus(corpus, 80)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    proc = _ingest(corpus, db)
    _wait_for_workers(proc, 2)
    killed_at = _wait_for_versions(tmp_path / "g.db", kill_at, proc) if kill_at else 0
    children = descendants(proc.pid)
    assert len(children) >= 2  # the two pool workers (and the pool's resource tracker, if any)
    os.kill(proc.pid, signal.SIGKILL)  # part-way through the 400 reports
    proc.wait()
    assert survivors(children) == []  # nothing outlives its parent
    assert kill_at <= killed_at < len(shas)
    rerun = _ingest(corpus, db)
    out, _ = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 2), out
    store = Store.open(db)
    with store.engine.connect() as c:
        from sqlalchemy import text

        stored = [row[0] for row in c.execute(text("select sha256 from report_version"))]
    assert sorted(stored) == sorted(shas)  # every report once, none twice
    assert len(store.failures.list()) == 1 and "empty.txt" in store.failures.list()[0]["path"]
    again = _ingest(corpus, db)
    out, _ = again.communicate(timeout=300)
    assert "新导入 0 份" in out.decode(), out.decode()
