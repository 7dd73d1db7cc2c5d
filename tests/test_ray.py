"""The Ray backend: same database as the process pool, and a worker killed mid-task loses nothing.

One local Ray instance (2 CPUs) serves the whole module: starting Ray costs seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import ray  # in the test extra, as in gongkai[cluster]
from sqlalchemy import text

from gongkai.demo import generate
from gongkai.errors import GongkaiError
from gongkai.executors import LocalExecutor
from gongkai.executors.ray import RayExecutor, WorkerLost
from gongkai.ingest import ingest
from gongkai.store import Store

from .conftest import SEEDS

# Ray workers cannot import this test module by name; ship its functions by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

BAD = {
    "empty.txt": b"",
    "noise.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 8,
    "broken.docx": b"PK\x03\x04 not really a zip",
    "menu.html": "<html><body><h1>网站导航</h1><p>首页 · 政务公开 · 互动交流</p></body></html>".encode(),
}


@pytest.fixture(scope="module")
def rx():
    """A RayExecutor that starts (and at the end shuts down) a local Ray with 2 CPUs."""
    assert not ray.is_initialized()
    ex = RayExecutor("local", 2)
    yield ex
    ex.close()
    assert not ray.is_initialized()  # close() shut down the Ray it started


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Synthetic reports in md/html/docx/pdf (both formats), the real text seeds, and bad files."""
    folder = tmp_path_factory.mktemp("corpus")
    generate(folder, agencies=4, years=range(2019, 2025), seed=11)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    for name, data in BAD.items():
        (folder / name).write_bytes(data)
    return folder


def _content(store: Store) -> tuple[set, list]:
    """What ingestion put in the database, independent of ids and timestamps."""
    with store.engine.connect() as c:
        cells: dict[str, set] = {}
        for sha, cid, value, raw in c.execute(
            text(
                "select v.sha256, c.cell_id, c.value, c.raw from cell c"
                " join report_version v on v.id = c.version_id"
            )
        ):
            cells.setdefault(sha, set()).add((cid, value, raw))
        versions = c.execute(
            text(
                "select v.sha256, a.name, r.year, v.template, v.errors, v.warnings from report_version v"
                " join report r on r.id = v.report_id join agency a on a.id = r.agency_id"
            )
        ).all()
    assert len({v[0] for v in versions}) == len(versions)  # each file once
    reports = {(*v, frozenset(cells.get(v[0], ()))) for v in versions}
    failures = sorted(
        (Path(f["path"]).name, f["sha256"], f["error"], f["attempts"]) for f in store.failures.list()
    )
    return reports, failures


@pytest.fixture(scope="module")
def pooled(corpus, tmp_path_factory) -> tuple[set, list]:
    """The reference: the same corpus through the local process pool."""
    db = tmp_path_factory.mktemp("pool") / "g.db"
    ex = LocalExecutor(2)
    try:
        stats = ingest([corpus], Store.open(f"sqlite:///{db}"), executor=ex)
    finally:
        ex.close()
    assert stats.failed == len(BAD) and stats.ingested == stats.files - len(BAD)
    return _content(Store.open(f"sqlite:///{db}"))


def test_ray_fills_the_database_as_the_process_pool_does(pooled, rx, corpus, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    stats = ingest([corpus], store, executor=rx)
    assert stats.files == 24 + 5 + len(BAD)
    assert (stats.ingested, stats.failed) == (24 + 5, len(BAD))
    reports, failures = _content(store)
    assert (reports, failures) == pooled
    assert {r[2] for r in reports} >= set(range(2019, 2025))
    assert all(len(r[-1]) > 50 for r in reports)  # every report came with its tables
    assert {f[0] for f in failures} == set(BAD)
    assert all(f[3] == 1 for f in failures)  # a bad file is tried once, not retried
    again = ingest([corpus], store, executor=rx)  # a re-run skips what is in, and known failures
    assert (again.ingested, again.failed, again.skipped) == (0, 0, stats.files)


class _StallFirstTry:
    """Wraps the parse function: the first attempt at ``victim`` writes its pid and hangs (to be
    killed); every attempt is logged as a line "pid" in ``log``."""

    def __init__(self, fn, victim: str, log: Path) -> None:
        self.fn, self.victim, self.log = fn, victim, log

    def __call__(self, job):
        if Path(getattr(job, "path", str(job))).name == self.victim:
            first = not self.log.exists()
            with self.log.open("a") as f:  # the bytes came with the job: nodes need not see the files
                f.write(f"{os.getpid()} {len(job.data)}\n")
            if first:
                time.sleep(120)
        return self.fn(job)


class _KillingExecutor:
    """Delegates to a RayExecutor, wrapping the parse so one item stalls, and kills the process that
    runs it from another thread while the batch is in flight."""

    def __init__(self, inner: RayExecutor, victim: str, log: Path) -> None:
        self.inner, self.victim, self.log, self.workers = inner, victim, log, inner.workers
        self.ships_files = inner.ships_files
        self.killed: list[int] = []

    def _killer(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline and not self.log.exists():
            time.sleep(0.05)
        time.sleep(0.2)
        pid = int(self.log.read_text().split()[0])  # "pid size" of the first attempt
        os.kill(pid, signal.SIGKILL)
        self.killed.append(pid)

    def map(self, fn, items):
        t = threading.Thread(target=self._killer, daemon=True)
        t.start()
        yield from self.inner.map(_StallFirstTry(fn, self.victim, self.log), items)
        t.join()

    def close(self) -> None:
        pass


def test_a_worker_killed_mid_task_is_retried_elsewhere_nothing_lost_or_doubled(rx, corpus, pooled, tmp_path):
    victim = sorted(p.name for p in corpus.glob("*.docx"))[1]
    log = tmp_path / "attempts.log"
    killing = _KillingExecutor(rx, victim, log)
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    stats = ingest([corpus], store, executor=killing)
    lines = [tuple(map(int, x.split())) for x in log.read_text().splitlines()]
    attempts = [pid for pid, _ in lines]
    assert len(killing.killed) == 1 and attempts[0] == killing.killed[0]
    assert len(attempts) == 2 and attempts[1] != attempts[0]  # retried once, in another process
    assert {size for _, size in lines} == {(corpus / victim).stat().st_size}
    assert (stats.ingested, stats.failed) == (24 + 5, len(BAD))
    assert _content(store) == pooled  # the same database as the pool: nothing lost, nothing twice
    with store.engine.connect() as c:
        n = c.execute(text("select count(*) from report_version where source like :v"), {"v": f"%{victim}"})
        assert n.scalar() == 1
    assert killing.killed[0] not in rx.actor_pids()  # the dead actor was replaced


def _crash_or_fail(item: tuple[str, str]) -> str:
    """Logs each attempt; "crash" kills its process every time, "bad" raises, others echo."""
    log, what = item
    with open(log, "a") as f:
        f.write(f"{what}\n")
    if what == "crash":
        os._exit(1)
    if what == "bad":
        raise ValueError("bad item")
    return what.upper()


def test_a_file_that_kills_every_worker_gives_up_and_a_raising_one_is_not_retried(rx, tmp_path):
    log = str(tmp_path / "attempts.log")
    items = [(log, w) for w in ("a", "crash", "b", "bad", "c", "d", "e", "f")]
    rx.max_retries = 1
    try:
        got = list(rx.map(_crash_or_fail, items))
    finally:
        rx.max_retries = 2
    assert sorted(i for i, _ in got) == sorted(items)  # every item back exactly once
    results = {i[1]: r for i, r in got}
    assert {k: results[k] for k in "abcdef"} == {k: k.upper() for k in "abcdef"}
    assert isinstance(results["bad"], ValueError) and str(results["bad"]) == "bad item"
    lost = results["crash"]
    assert isinstance(lost, WorkerLost) and "解析进程意外退出（共尝试 2 次）" in lost.problem
    tries = Counter(Path(log).read_text().split())
    # The crash retried (once, or twice when its first death was put on the item before it: an actor
    # killed by the next item can take the answer of the one before with it); the raise never.
    assert 2 <= tries["crash"] <= 3 and tries["bad"] == 1
    assert all(tries[k] >= 1 for k in "abcdef")


def _dies_once(item: tuple[str, str]) -> str:
    """Kills its process the first time it runs (a worker lost to something else), then works."""
    marker, what = item
    if what == "once" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return what.upper()


def test_an_item_is_given_up_only_after_dying_alone(rx, tmp_path):
    """The first death's blame is a guess: with no retries allowed, an item blamed once still runs
    again, alone on an actor, and is given up only if it dies there; here it then works."""
    assert rx.settle(timeout=120) == 0  # both actors up (an earlier test's replacement may be starting),
    marker = str(tmp_path / "died")  # so "once" shares its actor with "y" and its first death is a guess
    items = [(marker, w) for w in ("once", "x", "y", "z")]
    rx.max_retries = 0
    try:
        got = dict(rx.map(_dies_once, items))
    finally:
        rx.max_retries = 2
    assert {k[1]: v for k, v in got.items()} == {"once": "ONCE", "x": "X", "y": "Y", "z": "Z"}
    assert os.path.exists(marker)  # it did die once


def test_backpressure_keeps_at_most_the_window_in_flight(rx):
    started = 0

    def items():
        nonlocal started
        for i in range(40):
            started += 1
            yield i

    seen = 0
    for _item, result in rx.map(abs, items()):
        seen += 1
        assert started - seen < rx.window  # never more than the window pulled ahead
        assert isinstance(result, int)
    assert seen == 40


def test_without_ray_the_error_says_what_to_install(monkeypatch, corpus, tmp_path):
    from typer.testing import CliRunner

    from gongkai.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the cluster extra were not installed
    with pytest.raises(GongkaiError) as e:
        RayExecutor("auto")
    assert "需要安装 gongkai[cluster]" in e.value.problem
    db = f"sqlite:///{tmp_path / 'g.db'}"
    result = CliRunner().invoke(app, ["ingest", str(corpus), "--db", db, "--cluster", "auto"])
    assert result.exit_code == 1, result.output
    assert "需要安装 gongkai[cluster]" in result.output and "Traceback" not in result.output
