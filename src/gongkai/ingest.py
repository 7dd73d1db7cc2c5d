"""Batch ingestion: files → reports → the store, in parallel, idempotent, safe to interrupt.

The main process walks the inputs, hashes them a batch at a time, skips what the store has seen (same
bytes → same SHA-256, one query per batch), keeps every new original in the content-addressed file
store before it is parsed, and hands the files to the executor; workers only parse. Parsed reports go
to a writer thread in batches (``BATCH`` reports, or whatever came in ``BATCH_SECONDS``), each batch
one transaction (``Store.save_reports``: COPY on PostgreSQL). At most ``QUEUE`` batches wait for the
writer: beyond that the main thread blocks, the executor's window fills and the workers wait
(backpressure). An interrupted run (even kill -9) loses at most the batches not yet committed, and
re-running parses exactly those again: every file ends up in the store once.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import api
from .errors import GongkaiError
from .executors import Executor, get_executor
from .report import Report
from .store.rows import Prepared, prepare


@dataclass(slots=True)
class Stats:
    files: int = 0
    skipped: int = 0  # already in the store (same bytes)
    ingested: int = 0  # new report versions
    unchanged: int = 0  # parsed again but identical to a version already stored
    failed: int = 0
    done: int = 0  # files settled so far (skipped, parsed or failed), for a progress bar
    seconds: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, Chinese error line)

    @property
    def rate(self) -> float:
        done = self.ingested + self.unchanged + self.failed
        return done / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class _Job:
    path: str
    sha: str
    data: bytes | None = None  # the file itself, for workers on other machines (executor.ships_files)


def parse_job(job: _Job) -> Prepared:
    """Runs in a worker: read and parse one stored original, and turn the report into the store's
    rows there (the single writer then only inserts)."""
    if job.data is not None:
        return prepare(api.parse_bytes(job.data, job.path))
    return prepare(api.parse(job.path))


def _with_data(jobs: Iterable[_Job], store) -> Iterator[_Job]:
    """Attach each original (as stored: exactly the bytes hashed) when the executor pulls the job,
    so only the window is in memory."""
    for job in jobs:
        data = store.get_file(job.sha)
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
    g = err if isinstance(err, GongkaiError) else None
    zh = g.problem if g else f"读取失败：{type(err).__name__}: {err}"
    en = g.problem_en if g else f"failed: {err!r}"
    return zh, en


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
        self.thread = threading.Thread(target=self._run, name="gongkai-writer", daemon=True)
        self.thread.start()

    def add(self, report: Report | Prepared, sha: str, path: str) -> None:
        self.reports.append((report, sha, path))
        self._maybe_push()

    def fail(self, path: str, sha: str, zh: str, en: str) -> None:
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
                for (_, sha, _), (_, created) in zip(reports, self.store.save_reports(reports), strict=True):
                    if created:
                        self.stats.ingested += 1
                    else:
                        self.stats.unchanged += 1
                    if sha in self.failed_before:
                        self.store.resolve_failures(sha)
                for path, sha, zh, en in failures:
                    self.store.record_failure(path, sha, zh, en)
            except BaseException as e:  # surfaces in the main thread at its next push
                self.error = e

    def close(self) -> None:
        """Write what is left and wait for the writer; raises what the writer ran into."""
        try:
            self._push()
        finally:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


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
        saved = store.saved_shas({sha for _, sha in part})
        todo = []
        for f, sha in part:
            if sha in seen or sha in saved or (sha in failed_before and not retry_failed):
                stats.skipped += 1
                stats.done += 1
            else:
                seen.add(sha)
                todo.append((f, sha))
        kept = store.put_files(todo)  # the originals are kept before anything can go wrong
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
) -> Stats:
    """Ingest every file under ``paths`` (and, with ``retry_failed``, every recorded failure)."""
    t0 = time.perf_counter()
    stats = Stats()
    failed_before = {f["sha256"]: f for f in store.failures()}
    files = [Path(p) for p in api.iter_files(paths)]
    if retry_failed:
        files += [Path(f["path"]) for f in failed_before.values() if Path(f["path"]).exists()]
    stats.files = len(files)
    if progress:
        progress("start", stats)
    writer = _Writer(store, stats, failed_before, batch_size)
    ex = executor or get_executor(cluster, workers if len(files) > 1 else 1)
    try:
        jobs = _jobs(files, store, stats, writer, failed_before, retry_failed, batch_size, progress)
        items = _with_data(jobs, store) if getattr(ex, "ships_files", False) else jobs
        for job, result in ex.map(parse_job, items):
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
    if stats.ingested >= 1000:  # fresh planner statistics, or the first queries after a bulk load crawl
        store.optimize()
    stats.seconds = time.perf_counter() - t0
    return stats
