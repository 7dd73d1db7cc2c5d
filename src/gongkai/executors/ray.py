"""The Ray backend: parse on a Ray cluster (``ray://host:port``, ``auto``) or a local Ray instance.

Each CPU gets a long-lived actor, so the heavy state the readers keep in module globals (the OCR
session, the LibreOffice profile) is loaded once per process and stays warm across files. Items go
to the least busy actor with at most ``window`` in flight (backpressure, as the process pool).

Two kinds of failure are told apart:
- the parse raised (a bad file): the exception comes back once, never retried, since the file would
  fail again anywhere;
- the actor died under the item (killed, out of memory, node lost, a reader that crashed the
  process): the item is retried on a fresh actor up to ``max_retries`` times, then comes back as
  ``WorkerLost`` so ingestion records it as a failure. Items queued behind it on the dead actor are
  resubmitted without being blamed.

Ray is an optional extra (``pip install gongkai[cluster]``) and is imported only when this backend
is chosen.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import GongkaiError
from . import _init_worker

T = TypeVar("T")
R = TypeVar("R")


class WorkerLost(GongkaiError):
    """The worker process died while parsing this item, every time it was tried."""


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise GongkaiError(
            "--cluster",
            "需要安装 gongkai[cluster] 才能在 Ray 集群上解析：pip install 'gongkai[cluster]'",
            "Ray is not installed: pip install 'gongkai[cluster]'",
        ) from e
    return ray


class _Worker:
    """One actor per CPU: a long-lived process that parses item after item."""

    def __init__(self) -> None:
        _init_worker()
        from .. import api  # noqa: F401  (load the readers now: fails early where gongkai is missing)

    def run(self, fn: Callable[[Any], Any], item: Any) -> Any:
        # A normal exception is a result (the file's fault), returned as a value so the driver
        # can tell it from the actor dying, which Ray raises instead.
        try:
            return fn(item)
        except Exception as e:
            try:
                pickle.dumps(e)
            except Exception:
                e = RuntimeError(f"{type(e).__name__}: {e}")
            return e

    def pid(self) -> int:
        return os.getpid()


@dataclass(slots=True)
class _Task:
    item: Any
    lane: int
    tries: int  # times an actor died while this item was the one running


class RayExecutor:
    """Parses on Ray actors; see the module docstring for retries and backpressure."""

    ships_files = True  # nodes may not see the driver's files: ingestion sends the bytes with each job

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        window: int | None = None,
        max_retries: int = 2,
        startup_timeout: float = 300,
    ) -> None:
        ray = self._ray = _import_ray()
        self._owns_ray = False
        if not ray.is_initialized():
            self._init(address, workers)
            self._owns_ray = True
        # One actor per free CPU: an actor that waits for a CPU would hold its share of the window.
        self.workers = workers or max(1, int(ray.available_resources().get("CPU", 1)))
        self.window = window or self.workers * 2
        self._per_actor = max(1, math.ceil(self.window / self.workers))
        self.max_retries = max_retries
        self._actor_cls = ray.remote(num_cpus=1, max_restarts=0)(_Worker)
        self._actors = [self._actor_cls.remote() for _ in range(self.workers)]
        self._started(startup_timeout)
        self._lost = tuple(
            getattr(ray.exceptions, n)
            for n in (
                "RayActorError",
                "WorkerCrashedError",
                "NodeDiedError",
                "ObjectLostError",
                "OutOfMemoryError",
            )
        )

    def _init(self, address: str | None, workers: int | None) -> None:
        ray = self._ray
        if not address or address == "local":
            ray.init(
                address="local",  # None would join a cluster found on this machine
                num_cpus=workers or os.cpu_count() or 1,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="warning",
            )
            return
        try:
            if address.startswith("ray://"):  # Ray Client: other init options would go to the server
                ray.init(address=address)
            else:
                ray.init(address=address, log_to_driver=False, logging_level="warning")
        except (ConnectionError, ray.exceptions.RayError) as e:
            raise GongkaiError(
                address,
                "无法连接 Ray 集群：请确认头节点已用 ray start --head 启动、地址和端口可达；"
                "集群启用令牌认证时（Ray 默认）需设置 RAY_AUTH_MODE=token 和 RAY_AUTH_TOKEN"
                f"（{type(e).__name__}: {e}）",
                f"cannot connect to the Ray cluster: is the head started (ray start --head) and reachable? "
                f"With token auth (Ray's default) set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN ({e})",
            ) from e

    def _started(self, timeout: float) -> None:
        """Wait for every actor to be up, so a broken node install or a full cluster says so now
        rather than as a failure on every file."""
        ray = self._ray
        try:
            ray.get([a.pid.remote() for a in self._actors], timeout=timeout)
        except ray.exceptions.GetTimeoutError as e:
            self.close()
            raise GongkaiError(
                "--cluster",
                f"Ray 集群在 {timeout:.0f} 秒内没有空闲 CPU 启动 {self.workers} 个解析进程（可用 --workers 减少）",
                f"the Ray cluster had no free CPU for {self.workers} workers within {timeout:.0f} s "
                "(use --workers)",
            ) from e
        except ray.exceptions.RayError as e:
            self.close()
            raise GongkaiError(
                "--cluster",
                "Ray 集群上的解析进程无法启动：每个节点都需安装同一版本的 gongkai 及其依赖"
                f"（{type(e).__name__}）",
                f"the parsing workers cannot start on the Ray cluster: every node needs the same gongkai "
                f"installed ({e})",
            ) from e

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]:
        ray = self._ray
        it = iter(items)
        exhausted = False
        retry: deque[_Task] = deque()  # items whose actor died, sent again before new ones
        pending: dict[Any, _Task] = {}  # object ref → task, in submission order
        lanes: list[deque[Any]] = [deque() for _ in self._actors]  # each actor's refs, in order
        while True:
            while len(pending) < self.window:
                lane = min(range(len(lanes)), key=lambda i: len(lanes[i]))
                if len(lanes[lane]) >= self._per_actor:
                    break
                if retry:
                    task = retry.popleft()
                    task.lane = lane
                elif not exhausted:
                    try:
                        task = _Task(next(it), lane, 0)
                    except StopIteration:
                        exhausted = True
                        continue
                else:
                    break
                ref = self._actors[lane].run.remote(fn, task.item)
                pending[ref] = task
                lanes[lane].append(ref)
            if not pending:
                return
            [ref], _ = ray.wait(list(pending), num_returns=1)
            task = pending[ref]
            try:
                value = ray.get(ref)  # the result, or the exception the parse raised
            except self._lost:
                yield from self._actor_died(task.lane, lanes, pending, retry)
                continue
            except Exception as e:  # anything else from Ray (e.g. a result it could not ship)
                value = e
            del pending[ref]
            lanes[task.lane].remove(ref)
            yield task.item, value

    def _actor_died(
        self, lane: int, lanes: list[deque[Any]], pending: dict[Any, _Task], retry: deque[_Task]
    ) -> Iterator[tuple[Any, Any]]:
        """Settle every item that was on a dead actor, blame the one it was running, replace it."""
        ray = self._ray
        refs = list(lanes[lane])
        lanes[lane].clear()
        ray.wait(refs, num_returns=len(refs), timeout=30)  # a dead actor fails them all at once
        blamed = False
        again: list[_Task] = []
        for ref in refs:  # an actor runs its calls in order: the first unfinished one was running
            task = pending.pop(ref)
            try:
                value = ray.get(ref, timeout=0)
            except Exception as e:
                if not blamed:
                    blamed = True
                    task.tries += 1
                    if task.tries > self.max_retries:
                        yield task.item, self._gave_up(task, e)
                        continue
                again.append(task)
                continue
            yield task.item, value
        retry.extendleft(reversed(again))
        with contextlib.suppress(Exception):  # already gone
            ray.kill(self._actors[lane], no_restart=True)
        self._actors[lane] = self._actor_cls.remote()

    def _gave_up(self, task: _Task, cause: BaseException) -> WorkerLost:
        tries = task.tries
        why = (str(cause).splitlines() or [type(cause).__name__])[0][:300]
        err = WorkerLost(
            str(getattr(task.item, "path", task.item)),
            f"解析进程意外退出（共尝试 {tries} 次），可能是文件使解析器崩溃或内存不足",
            f"the parsing worker died on each of {tries} attempts (the file may crash the parser "
            f"or exhaust memory): {why}",
        )
        err.__cause__ = cause
        return err

    def actor_pids(self) -> list[int]:
        """The worker processes' ids (for monitoring, and for tests that kill one)."""
        return self._ray.get([a.pid.remote() for a in self._actors])

    def close(self) -> None:
        ray = self._ray
        for a in self._actors:
            with contextlib.suppress(Exception):  # already gone, or Ray is down
                ray.kill(a, no_restart=True)
        self._actors = []
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
