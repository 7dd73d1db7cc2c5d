"""A Ray ingest driver for tests/test_ray_cluster.py, run as a process of its own so it can be killed:

    python -m tests.ray_driver ADDRESS FOLDER DB PIDS [DELAY]

It starts a RayExecutor on ``ADDRESS`` ("local" or a cluster's GCS address), writes its actors' PIDs to
``PIDS`` (one line), then ingests ``FOLDER`` into ``DB``, each parse taking at least ``DELAY`` seconds
so the batch is still running when the test kills this process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gongkai.executors.ray import RayExecutor
from gongkai.ingest import ingest
from gongkai.store import Store


class _Slow:  # defined in __main__: cloudpickle ships it by value, workers need not import tests.*
    def __init__(self, fn, delay: float) -> None:
        self.fn, self.delay = fn, delay

    def __call__(self, job):
        time.sleep(self.delay)
        return self.fn(job)


class _SlowExecutor:
    def __init__(self, inner: RayExecutor, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.workers, self.ships_files = inner.workers, inner.ships_files

    def map(self, fn, items):
        return self.inner.map(_Slow(fn, self.delay), items)

    def close(self) -> None:
        self.inner.close()


def main(address: str, folder: str, db: str, pids: str, delay: float = 0.0) -> None:
    ex = RayExecutor(address, 2 if address == "local" else None)
    Path(pids).write_text(" ".join(map(str, ex.actor_pids())))
    try:
        stats = ingest([Path(folder)], Store.open(db), executor=_SlowExecutor(ex, delay) if delay else ex)
    finally:
        ex.close()
    print(f"ingested={stats.ingested} failed={stats.failed} skipped={stats.skipped}")


if __name__ == "__main__":
    main(*sys.argv[1:5], *map(float, sys.argv[5:6]))
