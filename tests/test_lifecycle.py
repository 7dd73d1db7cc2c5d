"""Nothing outlives its parent: web workers of ``gongkai serve --workers N``, pool workers, and the
fuzz harness's workers all end when the process that started them is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gongkai.executors import LocalExecutor, WorkerLost

from .procs import descendants, survivors
from .workbench import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[1]


def test_serve_workers_stop_with_a_killed_master(tmp_path: Path) -> None:
    port = free_port()
    cmd = [
        sys.executable, "-m", "gongkai.cli", "serve",
        "--db", f"sqlite:///{tmp_path / 'g.db'}", "--port", str(port), "--workers", "2",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc)
        for _ in range(20):  # both workers serving (each answers at least once)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                pass
        children = descendants(proc.pid)
        assert len(children) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert survivors(children) == []
    finally:
        if proc.poll() is None:
            proc.kill()


def _pid(_: int) -> int:
    time.sleep(0.2)  # long enough that the second worker gets items too, on a loaded machine
    return os.getpid()


def _pool_owner(conn_path: str) -> None:
    """A process that starts a pool, says its workers' PIDs, then waits to be killed."""
    ex = LocalExecutor(2)
    pids = sorted({pid for _, pid in ex.map(_pid, range(20))})
    Path(conn_path).write_text(" ".join(map(str, pids)))
    time.sleep(600)


def test_pool_workers_die_with_the_process_that_started_them(tmp_path: Path) -> None:
    import multiprocessing as mp

    out = tmp_path / "pids"
    owner = mp.get_context("spawn").Process(target=_pool_owner, args=(str(out),))
    owner.start()
    deadline = time.time() + 120
    while not out.exists() or not out.read_text():
        assert time.time() < deadline and owner.is_alive()
        time.sleep(0.1)
    workers = {p: t for p, t in descendants(owner.pid).items() if str(p) in out.read_text().split()}
    assert len(workers) == 2
    os.kill(owner.pid, signal.SIGKILL)
    owner.join()
    assert survivors(workers) == []


def _square_or_die(x: int) -> int:
    if x == 13:
        os._exit(3)  # a reader crashing its process (native code, the memory cap outside Python)
    return x * x


def test_a_worker_dying_under_one_file_blames_that_file_and_the_batch_goes_on() -> None:
    ex = LocalExecutor(2)
    try:
        results = dict(ex.map(_square_or_die, range(40)))
    finally:
        ex.close()
    assert sorted(results) == list(range(40))  # every item comes back once
    err = results[13]
    assert isinstance(err, WorkerLost), err
    assert "解析进程意外退出" in err.problem and "worker died" in err.problem_en
    assert all(results[i] == i * i for i in range(40) if i != 13)  # the others, even those in flight
