"""Where parsing runs: in this process, in a local process pool, or on a Ray cluster.

Ingestion hands an executor a function and a stream of items and gets results back as they finish,
in any order, with at most ``window`` items in flight (backpressure: a million files never sit in
memory at once). A failed item comes back as its exception; one bad file never stops the batch.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol, TypeVar

from ..errors import GongkaiError
from ..readers.limits import ReadLimits

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]: ...

    def close(self) -> None: ...


_PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0


def die_with_parent(parent: int | None = None) -> None:
    """Make this process end when ``parent`` (default: the process that started it) dies, even by
    kill -9: Linux sends SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere, or if the
    signal is lost (it fires when the *thread* that forked us ends), a watchdog thread polls the
    parent id and exits when this process has been re-parented."""
    parent = parent or os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog still covers it
    if os.getppid() != parent:  # the parent died before the prctl above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_SECONDS)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="gongkai-parent-watchdog", daemon=True).start()


def limit_memory(megabytes: int | None) -> None:
    """Cap this process's address space (RLIMIT_AS): a file that needs more gets MemoryError."""
    if not megabytes:
        return
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _init_worker(limits: ReadLimits | None = None, parent: int | None = None) -> None:
    """Every worker process: single-threaded OCR, tied to its parent's life, memory capped."""
    # One worker per core: OCR must not spawn its own threads on top (oversubscription).
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if parent is not None:
        die_with_parent(parent)
    if limits is not None:
        limit_memory(limits.memory_mb)


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


class WorkerLost(GongkaiError):
    """The worker process died while parsing this item, every time it was tried."""


def worker_lost(item: object, detail: str) -> WorkerLost:
    return WorkerLost(
        str(getattr(item, "path", item)),
        "解析进程意外退出，可能是文件使解析器崩溃或内存不足",
        f"the parsing worker died on this file (it may crash the parser or exhaust memory): {detail}",
    )


class LocalExecutor:
    """A pool of worker processes on this machine (the default).

    Workers die with this process (``die_with_parent``) and have their memory capped
    (``limits.memory_mb``). A worker that dies under an item (a crash in native code, the memory cap
    hit outside Python) breaks the whole pool: the pool is started again and the items that were in
    flight are re-run one at a time, so the one that kills its worker alone is blamed (``WorkerLost``)
    and the others go through."""

    def __init__(
        self, workers: int | None = None, window: int | None = None, limits: ReadLimits | None = None
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.window = window or self.workers * 4
        self.limits = limits or ReadLimits()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, initializer=_init_worker, initargs=(self.limits, os.getpid())
        )

    def _restart(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = self._start()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]:
        pending: dict[Future[R], T] = {}
        suspects: deque[T] = deque()  # in flight when a worker died: re-run one at a time
        alone = False  # the one item in flight is a suspect running by itself
        it = iter(items)
        exhausted = False
        while True:
            if suspects:
                if not pending:
                    item = suspects.popleft()
                    pending[self._pool.submit(fn, item)] = item
                    alone = True
            else:
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
            broken: list[tuple[T, BaseException]] = []
            for fut in done:
                item = pending.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool as e:
                    broken.append((item, e))
                except Exception as e:  # the file's own failure
                    yield item, e
            if not broken:
                alone = False
                continue
            wait(pending)  # a broken pool fails everything in flight; keep what finished first
            for fut, item in list(pending.items()):
                exc = fut.exception()
                if exc is None:
                    yield item, fut.result()
                elif isinstance(exc, BrokenProcessPool):
                    broken.append((item, exc))
                else:
                    yield item, exc
            pending.clear()
            self._restart()
            if alone:  # it killed its worker with nothing else running: its own fault
                (item, e), *_ = broken
                yield item, worker_lost(item, str(e))
                alone = False
            else:
                suspects.extend(item for item, _ in broken)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def get_executor(
    cluster: str | None = None, workers: int | None = None, limits: ReadLimits | None = None
) -> Executor:
    """``None``/"local": process pool; "inline": this process; "ray://host:port" or "auto": Ray.

    ``limits.memory_mb`` caps each worker process (not the inline executor: that is the caller's)."""
    if cluster in (None, "", "local"):
        if workers == 1:
            return InlineExecutor()
        return LocalExecutor(workers, limits=limits)
    if cluster == "inline":
        return InlineExecutor()
    from .ray import RayExecutor  # optional extra: pip install gongkai[cluster]

    return RayExecutor(cluster, workers, limits=limits)
