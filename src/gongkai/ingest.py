"""Batch ingestion: files → reports → the store, in parallel, idempotent, safe to interrupt.

The main process walks the inputs, hashes them a batch at a time, skips what the store has seen (same
bytes → same SHA-256, one query per batch), keeps every new original in the content-addressed file
store before it is parsed, and hands the files to the executor; workers only parse. Parsed reports go
to a writer thread in batches (``BATCH`` reports, or whatever came in ``BATCH_SECONDS``), each batch
one transaction (``Store.save_reports``: COPY on PostgreSQL). At most ``QUEUE`` batches wait for the
writer: beyond that the main thread blocks, the executor's window fills and the workers wait
(backpressure). An interrupted run (even kill -9) loses at most the batches not yet committed, and
re-running parses exactly those again: every file ends up in the store once.

Saving never takes the run down for one report: a batch the database refuses is saved report by report,
and a report that cannot be saved is recorded as a failure with its reason. A dropped database connection
is retried (``store.faults.retrying``: the batch in flight saved again, it is one transaction and skips
what is saved); a database gone for good or a full disk raises ``StoreUnavailable`` (one line) carrying
the ``Stats`` of what was saved.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import api
from .errors import GongkaiError, unexpected
from .executors import Executor, get_executor
from .readers.limits import ReadLimits
from .report import Report
from .store.faults import StoreUnavailable, retrying, short_reason
from .store.rows import Prepared, prepare


@dataclass(slots=True)
class Stats:
    files: int = 0
    skipped: int = 0  # already in the store (same bytes)
    ingested: int = 0  # new report versions
    unchanged: int = 0  # parsed again but identical to a version already stored
    failed: int = 0
    save_failed: int = 0  # of ``failed``: parsed, but the database would not take the report
    restored: int = 0  # originals of saved reports kept again (their file had gone missing)
    retries: int = 0  # statements run again after the database connection dropped
    done: int = 0  # files settled so far (skipped, parsed or failed), for a progress bar
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, Chinese error line)

    def retried(self, _err: BaseException) -> None:
        self.retries += 1

    @property
    def rate(self) -> float:
        done = self.ingested + self.unchanged + self.failed
        return done / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class _Job:
    path: str
    sha: str
    data: bytes | None = None  # the file itself, for workers on other machines (executor.ships_files)


def parse_job(job: _Job, limits: ReadLimits | None = None) -> Prepared:
    """Runs in a worker: read and parse one stored original within ``limits``, and turn the report
    into the store's rows there (the single writer then only inserts)."""
    if job.data is not None:
        return prepare(api.parse_bytes(job.data, job.path, limits))
    return prepare(api.parse(job.path, limits))


def _with_data(jobs: Iterable[_Job], store) -> Iterator[_Job]:
    """Attach each original (as stored: exactly the bytes hashed) when the executor pulls the job,
    so only the window is in memory."""
    for job in jobs:
        data = store.files.get(job.sha)
        # one too big is not shipped: the worker then fails on it as api.parse would here
        yield _Job(job.path, job.sha, data if len(data) <= api.MAX_BYTES else None)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


Progress = Callable[[str, Stats], None]  # (event: "start"|"advance", stats) for a progress bar


BATCH = 200  # reports per transaction
BATCH_SECONDS = 5.0  # a batch is written when this old, so a slow (OCR) run commits often too
QUEUE = 2  # batches waiting for the writer thread


def _failure_lines(err: BaseException) -> tuple[str, str]:
    g = err if isinstance(err, GongkaiError) else unexpected("", err)
    return g.problem, g.problem_en


class _Writer:
    """The only writer to the database during ingest: a thread that saves batches of parsed reports
    (and records failures), fed through a bounded queue."""

    def __init__(self, store, stats: Stats, failed_before: dict, size: int) -> None:
        self.store, self.stats, self.failed_before, self.size = store, stats, failed_before, size
        self.reports: list[tuple[Report | Prepared, str, str]] = []
        self.failures: list[tuple[str, str, str, str]] = []
        self.since = time.monotonic()
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE)
        self.error: BaseException | None = None
        self.lock = threading.Lock()  # failures are counted by both threads
        self.thread = threading.Thread(target=self._run, name="gongkai-writer", daemon=True)
        self.thread.start()

    def add(self, report: Report | Prepared, sha: str, path: str) -> None:
        self.reports.append((report, sha, path))
        self._maybe_push()

    def fail(self, path: str, sha: str, zh: str, en: str) -> None:
        with self.lock:
            self.stats.failed += 1
            self.stats.failures.append((path, f"{path}: {zh}"))
        self.failures.append((path, sha, zh, en))
        self._maybe_push()

    def _maybe_push(self) -> None:
        n = len(self.reports) + len(self.failures)
        if n >= self.size or (n and time.monotonic() - self.since >= BATCH_SECONDS):
            self._push()

    def _push(self) -> None:
        if self.error is not None:
            raise self.error
        if self.reports or self.failures:
            self.queue.put((self.reports, self.failures))  # blocks while QUEUE batches wait
        self.reports, self.failures, self.since = [], [], time.monotonic()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so the main thread never blocks on a dead writer
            reports, failures = item
            try:
                self._save(reports)
                for path, sha, zh, en in failures:
                    retrying(
                        lambda a=(path, sha, zh, en): self.store.failures.record(*a),
                        on_retry=self.stats.retried,
                    )
            except BaseException as e:  # surfaces in the main thread at its next push
                self.error = e

    def _save(self, reports: list[tuple[Report | Prepared, str, str]]) -> None:
        """Save a batch in one transaction (again after a dropped connection); if it fails for what is
        in it, save its reports one by one and record each that cannot be saved as a failure."""
        if not reports:
            return
        try:
            results: list[tuple[int, bool] | None] = list(
                retrying(lambda: self.store.reports.save_many(reports), on_retry=self.stats.retried)
            )
        except StoreUnavailable:
            raise
        except Exception:  # something in the batch: find which, saving the others
            results = [self._save_one(item) for item in reports]
        for (_, sha, _), res in zip(reports, results, strict=True):
            if res is None:
                continue
            if res[1]:
                self.stats.ingested += 1
            else:
                self.stats.unchanged += 1
            if sha in self.failed_before:
                retrying(lambda s=sha: self.store.failures.resolve(s), on_retry=self.stats.retried)

    def _save_one(self, item: tuple[Report | Prepared, str, str]) -> tuple[int, bool] | None:
        try:
            return retrying(lambda: self.store.reports.save_many([item]), on_retry=self.stats.retried)[0]
        except StoreUnavailable:
            raise
        except Exception as e:  # this report cannot be saved (e.g. a value JSON cannot hold)
            _, sha, path = item
            zh, en = short_reason(e)
            retrying(lambda: self.store.failures.record(path, sha, zh, en), on_retry=self.stats.retried)
            with self.lock:
                self.stats.failed += 1
                self.stats.failures.append((path, f"{path}: {zh}"))
                self.stats.save_failed += 1
            return None

    def close(self) -> None:
        """Write what is left and wait for the writer; raises what the writer ran into."""
        try:
            self._push()
        finally:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


def _restore(store, stats: Stats, failed_before: dict, saved: list[tuple[Path, str]]) -> None:
    """Keep again the originals of saved reports whose file went missing (``gongkai fsck`` finds
    them; ``--repair`` moves damaged ones aside), from the same bytes met here."""
    gone = [(f, sha) for f, sha in saved if not store.files.exists(sha)]
    if not gone:
        return
    kept = retrying(lambda: store.files.put_many(gone), on_retry=stats.retried)
    for sha in kept:
        stats.restored += 1
        if sha in failed_before:
            retrying(lambda s=sha: store.failures.resolve(s), on_retry=stats.retried)


def _jobs(
    files: list[Path],
    store,
    stats: Stats,
    writer: _Writer,
    failed_before: dict,
    retry_failed: bool,
    size: int,
    progress: Progress | None,
) -> Iterator[_Job]:
    """Parse jobs for the files not yet in the store, hashed and kept a batch at a time as the
    executor pulls them."""
    seen: set[str] = set()
    for start in range(0, len(files), size):
        part: list[tuple[Path, str]] = []
        for f in files[start : start + size]:
            try:
                part.append((f, sha256_file(f)))
            except OSError as e:
                stats.done += 1
                writer.fail(str(f), "", f"无法读取文件：{e.strerror}", f"cannot read: {e.strerror}")
        saved = retrying(
            lambda p=part: store.reports.saved_shas({sha for _, sha in p}), on_retry=stats.retried
        )
        todo = []
        for f, sha in part:
            if sha in seen or sha in saved or (sha in failed_before and not retry_failed):
                stats.skipped += 1
                stats.done += 1
            else:
                seen.add(sha)
                todo.append((f, sha))
        _restore(store, stats, failed_before, [(f, sha) for f, sha in part if sha in saved])
        # the originals are kept before anything can go wrong (bytes first, then their rows: a full
        # disk stops here, before any row could point at a file that is not there)
        kept = retrying(lambda t=todo: store.files.put_many(t), on_retry=stats.retried)
        for f, sha in todo:
            if sha in kept:
                yield _Job(str(f), sha)
            else:
                stats.done += 1
                writer.fail(str(f), sha, "文件在导入过程中被改动", "the file changed while being ingested")
        if progress:
            progress("advance", stats)


def ingest(
    paths: Iterable[str | Path],
    store,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    executor: Executor | None = None,
    retry_failed: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    limits: ReadLimits | None = None,
) -> Stats:
    """Ingest every file under ``paths`` (and, with ``retry_failed``, every recorded failure).

    Each file is read within ``limits`` (time, OCR pages, and memory per worker process): one over
    them is recorded as a failure with the reason, and the batch goes on.

    A lost database connection is retried (the batch in flight saved again, once); if the database or
    the disk cannot go on, ``StoreUnavailable`` is raised with ``.stats``: what was saved until then."""
    t0 = time.perf_counter()
    stats = Stats()
    try:
        _run(paths, store, stats, workers, cluster, executor, retry_failed, progress, batch_size, limits)
    except StoreUnavailable as e:
        stats.seconds = time.perf_counter() - t0
        e.stats = stats  # type: ignore[attr-defined]
        raise
    if stats.ingested >= 1000:  # fresh planner statistics, or the first queries after a bulk load crawl
        retrying(store.optimize)
    stats.seconds = time.perf_counter() - t0
    return stats


def _run(
    paths: Iterable[str | Path],
    store,
    stats: Stats,
    workers: int | None,
    cluster: str | None,
    executor: Executor | None,
    retry_failed: bool,
    progress: Progress | None,
    batch_size: int,
    limits: ReadLimits | None = None,
) -> None:
    failed_before = {f["sha256"]: f for f in retrying(store.failures.list, on_retry=stats.retried)}
    files = [Path(p) for p in api.iter_files(paths)]
    if retry_failed:
        files += [Path(f["path"]) for f in failed_before.values() if Path(f["path"]).exists()]
    stats.files = len(files)
    if progress:
        progress("start", stats)
    writer = _Writer(store, stats, failed_before, batch_size)
    ex = executor or get_executor(cluster, workers if len(files) > 1 else 1, limits)
    try:
        jobs = _jobs(files, store, stats, writer, failed_before, retry_failed, batch_size, progress)
        items = _with_data(jobs, store) if getattr(ex, "ships_files", False) else jobs
        for job, result in ex.map(partial(parse_job, limits=limits), items):
            stats.done += 1
            if isinstance(result, BaseException):
                writer.fail(job.path, job.sha, *_failure_lines(result))
            else:
                writer.add(result, job.sha, job.path)
            if progress:
                progress("advance", stats)
    finally:
        try:
            writer.close()
        finally:
            if executor is None:
                ex.close()
