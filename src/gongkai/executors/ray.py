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
  resubmitted without being blamed. Which item was running is a guess (the first one unanswered: an
  actor killed by an item can take the answer of the one before it with it), so a retried item runs
  alone on an actor and is given up only after dying there. The replacement actor takes no work until
  it answers: after a node is lost it may wait for a CPU that is gone, and the other actors finish the
  batch (if none is left and none starts within ``startup_timeout``, the run stops with a clear error).

Nothing outlives the driver: the actors are not detached, so Ray fate-shares them with the job that
owns them and kills them when the driver exits, even by kill -9 (the GCS sees the owner die); a local
instance started here (``ray.init(address="local")``) also takes its raylet and GCS down with the
driver (Ray's two node agents follow ~60 s later, after their report to the dead GCS times out);
tests/test_ray_cluster.py checks both by PID. Each actor caps its memory (``ReadLimits.memory_mb``,
RLIMIT_AS) and reads each file within the limits passed to the parse function.

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
from ..readers.limits import ReadLimits
from . import WorkerLost, _init_worker

T = TypeVar("T")
R = TypeVar("R")


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

    def __init__(self, limits: ReadLimits | None = None) -> None:
        _init_worker(limits)
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
        limits: ReadLimits | None = None,
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
        self.limits = limits
        self.startup_timeout = startup_timeout
        self._actors = [self._actor_cls.remote(limits) for _ in range(self.workers)]
        self._down: set[int] = set()  # lanes whose replacement actor has not answered yet
        self._starting: dict[Any, int] = {}  # a replacement's first call → its lane
        self._start_failures: dict[int, int] = {}
        self._started(startup_timeout)
        self._lost = tuple(
            getattr(ray.exceptions, n)
            for n in (
                "RayActorError",
                "WorkerCrashedError",
                "NodeDiedError",
                "ObjectLostError",
                "OutOfMemoryError",
                "LocalRayletDiedError",
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
        self.settle()  # replacements started since the last batch take work from the start
        it = iter(items)
        exhausted = False
        retry: deque[_Task] = deque()  # items whose actor died, sent again before new ones
        pending: dict[Any, _Task] = {}  # object ref → task, in submission order
        lanes: list[deque[Any]] = [deque() for _ in self._actors]  # each actor's refs, in order
        alone: set[int] = set()  # lanes running a retried item with nothing queued behind it
        while True:
            while len(pending) < self.window:
                ready = [i for i in range(len(lanes)) if i not in self._down and i not in alone]
                if retry:
                    # alone on a free actor (see the module docstring); new items wait meanwhile
                    free = [i for i in ready if not lanes[i]]
                    if not free:
                        break
                    task = retry.popleft()
                    task.lane = lane = free[0]
                    alone.add(lane)
                else:
                    if not ready or exhausted:
                        break
                    lane = min(ready, key=lambda i: len(lanes[i]))
                    if len(lanes[lane]) >= self._per_actor:
                        break
                    try:
                        task = _Task(next(it), lane, 0)
                    except StopIteration:
                        exhausted = True
                        continue
                ref = self._actors[lane].run.remote(fn, task.item)
                pending[ref] = task
                lanes[lane].append(ref)
            if not pending:
                if not retry and not exhausted:  # every actor is starting: is there work at all?
                    try:
                        retry.append(_Task(next(it), 0, 0))
                    except StopIteration:
                        exhausted = True
                if not retry:
                    return
                self._await_actor()
                continue
            [ref], _ = ray.wait([*pending, *self._starting], num_returns=1)
            if ref in self._starting:
                self._actor_up(ref)
                continue
            task = pending[ref]
            try:
                value = ray.get(ref)  # the result, or the exception the parse raised
            except self._lost:
                certain = task.lane in alone
                alone.discard(task.lane)
                yield from self._actor_died(task.lane, lanes, pending, retry, certain)
                continue
            except Exception as e:  # anything else from Ray (e.g. a result it could not ship)
                value = e
            del pending[ref]
            lanes[task.lane].remove(ref)
            alone.discard(task.lane)
            yield task.item, value

    def _replace(self, lane: int) -> None:
        """Start a fresh actor for ``lane``; the lane takes no work until the actor answers, since
        it may wait for a CPU the cluster no longer has (its node lost)."""
        with contextlib.suppress(Exception):  # already gone
            self._ray.kill(self._actors[lane], no_restart=True)
        self._actors[lane] = self._actor_cls.remote(self.limits)
        self._down.add(lane)
        self._starting[self._actors[lane].pid.remote()] = lane

    def _actor_up(self, ref: Any) -> None:
        lane = self._starting.pop(ref)
        try:
            self._ray.get(ref)
        except self._lost:  # died starting (its node lost too): try again, a few times
            self._start_failures[lane] = self._start_failures.get(lane, 0) + 1
            if self._start_failures[lane] <= self.max_retries:
                self._replace(lane)
            return  # otherwise the lane stays down; the others carry on
        self._start_failures.pop(lane, None)
        self._down.discard(lane)

    def _await_actor(self) -> None:
        """Nothing in flight and every lane down: wait for a replacement actor to start."""
        if self._starting:
            ready, _ = self._ray.wait(list(self._starting), num_returns=1, timeout=self.startup_timeout)
            if ready:
                self._actor_up(ready[0])
                return
        raise GongkaiError(
            "--cluster",
            f"Ray 集群上已没有可用的解析进程：{self.startup_timeout:.0f} 秒内无法重新启动"
            "（节点丢失或没有空闲 CPU）；已保存的报告不受影响，重新运行即可继续",
            f"no parsing worker is left on the Ray cluster and none restarted within "
            f"{self.startup_timeout:.0f} s (nodes lost, or no free CPU); what was saved stays, re-run to go on",
        )

    def _actor_died(
        self,
        lane: int,
        lanes: list[deque[Any]],
        pending: dict[Any, _Task],
        retry: deque[_Task],
        certain: bool,
    ) -> Iterator[tuple[Any, Any]]:
        """Settle every item that was on a dead actor, blame the one it was running, replace it. An
        item is given up only after a death while it ran ``alone`` (``certain``): otherwise it goes
        round once more, alone."""
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
                    if certain and task.tries > self.max_retries:
                        yield task.item, self._gave_up(task, e)
                        continue
                again.append(task)
                continue
            yield task.item, value
        retry.extendleft(reversed(again))
        self._replace(lane)

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

    def settle(self, timeout: float = 0) -> int:
        """Put replacement actors that have answered back to work, waiting up to ``timeout`` s for the
        rest; returns how many are still starting."""
        if self._starting:
            ready, _ = self._ray.wait(list(self._starting), num_returns=len(self._starting), timeout=timeout)
            for ref in ready:
                self._actor_up(ref)
        return len(self._starting)

    def actor_pids(self) -> list[int]:
        """The worker processes' ids (for monitoring, and for tests that kill one)."""
        up = [a for i, a in enumerate(self._actors) if i not in self._down]
        return self._ray.get([a.pid.remote() for a in up])

    def close(self) -> None:
        ray = self._ray
        for a in self._actors:
            with contextlib.suppress(Exception):  # already gone, or Ray is down
                ray.kill(a, no_restart=True)
        self._actors, self._starting = [], {}
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()
