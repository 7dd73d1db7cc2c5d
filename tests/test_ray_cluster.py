"""The Ray backend on a multi-node cluster (two raylets on this machine): a node lost mid-ingest loses
nothing and doubles nothing, and a driver killed with SIGKILL leaves no worker of its job behind.

Its own module: a cluster of its own, not the local Ray instance of test_ray.py (one per process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray
from ray._private import ray_constants
from ray.cluster_utils import Cluster
from sqlalchemy import text

from gongkai.demo import generate
from gongkai.errors import GongkaiError
from gongkai.executors import InlineExecutor
from gongkai.executors.ray import RayExecutor
from gongkai.ingest import ingest
from gongkai.store import Store

from .conftest import SEEDS
from .procs import descendants, survivors
from .test_ray import _content

ROOT = Path(__file__).resolve().parents[1]
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

# A lost node is declared dead after ~5 s instead of Ray's default ~30 s (a live one under heavy load
# can miss a second of heartbeats: 1.5 s marked the surviving node dead on a machine at load 10).
FAST_HEALTH = {"health_check_period_ms": 1000, "health_check_failure_threshold": 5}
NODE = {"object_store_memory": 80 << 20}


@pytest.fixture(scope="module")
def cluster():
    """A head with 1 CPU (this process is its driver); tests add worker nodes."""
    assert not ray.is_initialized()
    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "_system_config": FAST_HEALTH, **NODE},
    )
    ray.init(address=c.address, log_to_driver=False, logging_level="warning")
    yield c
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    generate(folder, agencies=3, years=range(2019, 2025), seed=7)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> tuple[set, list]:
    db = tmp_path_factory.mktemp("inline") / "g.db"
    ingest([corpus], Store.open(f"sqlite:///{db}"), executor=InlineExecutor())
    return _content(Store.open(f"sqlite:///{db}"))


def _raylet(node) -> int:
    return node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid


class _Logged:
    """The parse, slowed down so the batch is in flight when the node goes, logging "name pid" for
    every attempt as it starts."""

    def __init__(self, fn, log: Path, delay: float) -> None:
        self.fn, self.log, self.delay = fn, log, delay

    def __call__(self, job):
        with self.log.open("a") as f:
            f.write(f"{Path(job.path).name} {os.getpid()}\n")
        time.sleep(self.delay)
        return self.fn(job)


class _NodeKiller:
    """Delegates to a RayExecutor; SIGKILLs ``raylet`` once ``after`` results have come back."""

    def __init__(self, inner: RayExecutor, raylet: int, log: Path, after: int) -> None:
        self.inner, self.raylet, self.log, self.after = inner, raylet, log, after
        self.workers, self.ships_files = inner.workers, inner.ships_files

    def map(self, fn, items):
        for n, result in enumerate(self.inner.map(_Logged(fn, self.log, 0.3), items), 1):
            if n == self.after:
                os.kill(self.raylet, signal.SIGKILL)
            yield result

    def close(self) -> None:
        pass


def test_a_node_lost_mid_ingest_reruns_its_files_elsewhere_nothing_lost_or_doubled(
    cluster, corpus, reference, tmp_path
):
    node = cluster.add_node(num_cpus=2, **NODE)
    cluster.wait_for_nodes()
    raylet = _raylet(node)
    ex = RayExecutor(None, 3)  # every CPU: one actor on the head, two on the node
    try:
        doomed = set(ex.actor_pids()) & set(descendants(raylet))
        assert len(doomed) == 2
        log = tmp_path / "attempts.log"
        store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
        files = len(list(corpus.iterdir()))
        stats = ingest([corpus], store, executor=_NodeKiller(ex, raylet, log, after=3))
        assert (stats.files, stats.ingested, stats.failed) == (files, files, 0)
        assert _content(store) == reference  # each file once, with the values the inline run read
        attempts: dict[str, list[int]] = {}
        for line in log.read_text().splitlines():
            name, pid = line.split()
            attempts.setdefault(name, []).append(int(pid))
        assert set(attempts) == {p.name for p in corpus.iterdir()}
        rerun = {n: pids for n, pids in attempts.items() if len(pids) > 1}
        assert rerun  # files were running on the lost node …
        for pids in rerun.values():  # … and ran again, once, off it
            assert pids[0] in doomed and pids[-1] not in doomed and len(pids) == 2
        assert not set(ex.actor_pids()) & doomed  # the lanes left are the head's
    finally:
        ex.close()
        cluster.remove_node(node, allow_graceful=False)


def _ray_workers(raylets: list[int]) -> dict[int, str]:
    """Ray's worker processes (actors, idle workers) under the given raylets."""
    found: dict[int, str] = {}
    for r in raylets:
        for pid, started in descendants(r).items():
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::"):
                found[pid] = started
    return found


def _kill_driver_mid_run(
    address: str, corpus: Path, db: str, tmp_path: Path, raylets: tuple[int, ...] = ()
) -> tuple[dict, dict, dict, dict]:
    """Start the driver, wait until it is parsing, SIGKILL it; its actors' PIDs (with start times),
    every process under it at that moment, their titles, and the Ray workers under ``raylets``."""
    pids = tmp_path / "pids"
    cmd = [sys.executable, "-m", "tests.ray_driver", address, str(corpus), db, str(pids), "0.5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while not (pids.exists() and pids.read_text()):
            assert time.time() < deadline and proc.poll() is None, "the driver never started its actors"
            time.sleep(0.1)
        time.sleep(1.5)  # a few files parsed, the rest queued
        assert proc.poll() is None  # still ingesting
        under = descendants(proc.pid)
        titles = {p: _title(p) for p in under}
        actors = {p: _started(p) for p in map(int, pids.read_text().split())}
        workers = _ray_workers(list(raylets))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return actors, under, titles, workers
    finally:
        if proc.poll() is None:
            proc.kill()


def _started(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def _stored_once(db: str, corpus: Path) -> None:
    with Store.open(db).engine.connect() as c:
        rows = c.execute(text("select source, sha256 from report_version")).all()
    names = sorted(Path(s).name for s, _ in rows)
    assert names == sorted(p.name for p in corpus.iterdir())  # every file, none twice
    assert len({sha for _, sha in rows}) == len(rows)


def test_a_killed_driver_leaves_no_worker_of_its_job_on_the_cluster(cluster, corpus, tmp_path):
    node = cluster.add_node(num_cpus=2, **NODE)
    cluster.wait_for_nodes()
    raylets = [_raylet(cluster.head_node), _raylet(node)]
    try:
        db = f"sqlite:///{tmp_path / 'g.db'}"
        before = set(_ray_workers(raylets))
        actors, _, _, workers = _kill_driver_mid_run(cluster.address, corpus, db, tmp_path, tuple(raylets))
        assert len(actors) == 3  # the driver's actors, on both nodes
        assert set(actors) <= set(workers)
        assert survivors(actors, grace=30) == []  # Ray kills the actors of a job whose driver died
        job = {p: t for p, t in workers.items() if p not in before}
        assert survivors(job, grace=30) == []  # nor any other worker it started
        ex = RayExecutor(None, 3)  # the cluster is whole again: every CPU free for a new job
        try:
            stats = ingest([corpus], Store.open(db), executor=ex)
        finally:
            ex.close()
        assert stats.failed == 0 and stats.skipped + stats.ingested == stats.files
        assert stats.ingested > 0  # the killed run had not finished
        _stored_once(db, corpus)
    finally:
        cluster.remove_node(node, allow_graceful=False)


def _title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


# Ray's two node agents notice the raylet's death at once but then spend up to 60 s trying to tell the
# (dead) GCS about it (publish_error_to_driver's fixed timeout) before they exit: Ray's own cleanup
# window, not a process of the job.
AGENTS = {"ray::DashboardAgent", "ray::RuntimeEnvAgent"}


def test_a_killed_driver_of_a_local_ray_takes_all_of_it_down(corpus, tmp_path):
    """``--cluster local``: the driver started Ray itself; its workers, raylet and GCS go with it."""
    db = f"sqlite:///{tmp_path / 'g.db'}"
    actors, under, titles, _ = _kill_driver_mid_run("local", corpus, db, tmp_path)
    assert len(actors) == 2 and set(actors) <= set(under)
    assert any("raylet" in t for t in titles.values()) and any("gcs_server" in t for t in titles.values())
    agents = {p: t for p, t in under.items() if titles[p] in AGENTS}
    left = survivors({p: t for p, t in under.items() if p not in agents}, grace=30)
    assert left == [], {p: titles[p] for p in left}
    for pid in survivors(agents, grace=0):  # they would exit by themselves within Ray's 60 s
        os.kill(pid, signal.SIGKILL)


@ray.remote(num_cpus=1)
class _Hold:
    """Holds one CPU of the node it is placed on."""

    def ping(self) -> int:
        return os.getpid()


def _slow_square(x: int) -> int:
    time.sleep(0.3)
    return x * x


def test_with_no_cpu_left_for_a_worker_the_run_stops_with_a_clear_error(cluster):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = cluster.add_node(num_cpus=1, **NODE)
    cluster.wait_for_nodes()
    head = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    hold = _Hold.options(scheduling_strategy=head).remote()
    ray.get(hold.ping.remote())  # the head's CPU taken: the one worker runs on the node
    ex = RayExecutor(None, 1, startup_timeout=3)
    got: list[tuple[int, int]] = []
    try:
        with pytest.raises(GongkaiError) as e:
            for x, r in ex.map(_slow_square, range(40)):
                got.append((x, r))
                if len(got) == 2:  # the machine gone: its raylet and its workers at once
                    for pid in [_raylet(node), *descendants(_raylet(node))]:
                        os.kill(pid, signal.SIGKILL)
        assert "Ray 集群上已没有可用的解析进程：3 秒内无法重新启动" in e.value.problem
        assert "no parsing worker is left" in e.value.problem_en
        assert got[:2] == [(0, 0), (1, 1)] and all(r == x * x for x, r in got) and len(got) < 40, got
    finally:
        ex.close()
        ray.kill(hold)
        cluster.remove_node(node, allow_graceful=False)
