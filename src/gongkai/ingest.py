"""Batch ingestion: files → reports → the store, in parallel, idempotent, safe to interrupt.

The main process walks the inputs, keeps every original in the content-addressed file store, skips
what it has seen (same bytes → same SHA-256), and is the only writer to the database; workers only
parse. Each report is committed on its own, so an interrupted run (even kill -9) loses at most the
reports in flight, and re-running picks up exactly those.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import api
from .errors import GongkaiError
from .executors import Executor, get_executor
from .report import Report


@dataclass(slots=True)
class Stats:
    files: int = 0
    skipped: int = 0  # already in the store (same bytes)
    ingested: int = 0  # new report versions
    unchanged: int = 0  # parsed again but identical to a version already stored
    failed: int = 0
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


def parse_job(job: _Job) -> Report:
    """Runs in a worker: read and parse one stored original."""
    if job.data is not None:
        return api.parse_bytes(job.data, job.path)
    return api.parse(job.path)


def _with_data(jobs: list[_Job], store) -> Iterator[_Job]:
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


def ingest(
    paths: Iterable[str | Path],
    store,
    *,
    workers: int | None = None,
    cluster: str | None = None,
    executor: Executor | None = None,
    retry_failed: bool = False,
    progress: Progress | None = None,
) -> Stats:
    """Ingest every file under ``paths`` (and, with ``retry_failed``, every recorded failure)."""
    t0 = time.perf_counter()
    stats = Stats()
    failed_before = {f["sha256"]: f for f in store.failures()}
    files = [Path(p) for p in api.iter_files(paths)]
    if retry_failed:
        files += [Path(f["path"]) for f in failed_before.values() if Path(f["path"]).exists()]
    jobs: list[_Job] = []
    seen: set[str] = set()
    for f in files:
        stats.files += 1
        try:
            sha = sha256_file(f)
        except OSError as e:
            stats.failed += 1
            store.record_failure(str(f), "", f"无法读取文件：{e.strerror}", f"cannot read: {e.strerror}")
            stats.failures.append((str(f), f"{f}: 无法读取文件：{e.strerror}"))
            continue
        if sha in seen or store.has_file(sha) or (sha in failed_before and not retry_failed):
            stats.skipped += 1
            continue
        seen.add(sha)
        store.put_file(f.read_bytes(), f.name)  # the original is kept before anything can go wrong
        jobs.append(_Job(str(f), sha))
    if progress:
        progress("start", stats)
    ex = executor or get_executor(cluster, workers if len(jobs) > 1 else 1)
    try:
        items = _with_data(jobs, store) if getattr(ex, "ships_files", False) else jobs
        for job, result in ex.map(parse_job, items):
            if isinstance(result, BaseException):
                err = result if isinstance(result, GongkaiError) else None
                zh = err.problem if err else f"读取失败：{type(result).__name__}: {result}"
                en = err.problem_en if err else f"failed: {result!r}"
                store.record_failure(job.path, job.sha, zh, en)
                stats.failed += 1
                stats.failures.append((job.path, f"{job.path}: {zh}"))
            else:
                _, created = store.save_report(result, job.sha, job.path)
                if job.sha in failed_before:
                    store.resolve_failures(job.sha)
                if created:
                    stats.ingested += 1
                else:
                    stats.unchanged += 1
            if progress:
                progress("advance", stats)
    finally:
        if executor is None:
            ex.close()
    stats.seconds = time.perf_counter() - t0
    return stats
