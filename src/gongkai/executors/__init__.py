"""Where parsing runs: in this process, in a local process pool, or on a Ray cluster.

Ingestion hands an executor a function and a stream of items and gets results back as they finish,
in any order, with at most ``window`` items in flight (backpressure: a million files never sit in
memory at once). A failed item comes back as its exception; one bad file never stops the batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]: ...

    def close(self) -> None: ...


def _init_worker() -> None:
    # One worker per core: OCR must not spawn its own threads on top (oversubscription).
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


class InlineExecutor:
    """Runs every item in this process, in order (debugging, tiny batches, tests)."""

    workers = 1

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]:
        for item in items:
            try:
                yield item, fn(item)
            except Exception as e:  # the batch goes on; the caller records it
                yield item, e

    def close(self) -> None:
        pass


class LocalExecutor:
    """A pool of worker processes on this machine (the default)."""

    def __init__(self, workers: int | None = None, window: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.window = window or self.workers * 4
        self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]:
        pending: dict[Future[R], T] = {}
        it = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending[self._pool.submit(fn, item)] = item
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                item = pending.pop(fut)
                try:
                    yield item, fut.result()
                except Exception as e:  # includes a worker that died (BrokenProcessPool)
                    yield item, e

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def get_executor(cluster: str | None = None, workers: int | None = None) -> Executor:
    """``None``/"local": process pool; "inline": this process; "ray://host:port" or "auto": Ray."""
    if cluster in (None, "", "local"):
        if workers == 1:
            return InlineExecutor()
        return LocalExecutor(workers)
    if cluster == "inline":
        return InlineExecutor()
    from .ray import RayExecutor  # optional extra: pip install gongkai[cluster]

    return RayExecutor(cluster, workers)
