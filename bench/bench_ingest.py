"""Ingest throughput: a synthetic corpus (Markdown, text, HTML, DOCX) into SQLite and PostgreSQL.

    nice -n 10 .venv/bin/python bench/bench_ingest.py --reports 100000 --corpus /tmp/corpus100k -j 2

Generates the corpus with ``gongkai demo-corpus`` when the folder is missing (same seed → same files),
then ingests it into a fresh SQLite file and a fresh PostgreSQL database, each with ``-j`` worker
processes, exactly as ``gongkai ingest DIR --db URL -j N`` does (the bench calls the same function,
with its own process pool so that it can read each worker's peak RSS, VmHWM, before the pool ends).
Prints files/s, total time, CPU seconds of the main process and of the workers, and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from gongkai.corpus import generate_corpus, parse_formats
from gongkai.executors import LocalExecutor
from gongkai.ingest import ingest
from gongkai.store import Store

PG = "host=127.0.0.1 user=postgres dbname=postgres"


def vm_hwm_mib(pid: int | str = "self") -> float:
    """Peak resident set size of a process (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(label: str, url: str, corpus: Path, workers: int, files_dir: Path) -> dict:
    store = Store.open(url, files_dir=files_dir)
    ex = LocalExecutor(workers)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    stats = ingest([corpus], store, executor=ex)
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    worker_rss = [vm_hwm_mib(p) for p in list(ex._pool._processes)]  # type: ignore[attr-defined]
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ex.close()
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    rows = len(store.reports.rows())
    store.close()
    main_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    worker_cpu = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
    n = stats.ingested + stats.unchanged + stats.failed
    print(
        f"{label:12} {stats.files:>8} files  {stats.ingested:>8} ingested  {stats.failed} failed  "
        f"{seconds:8.1f} s  {n / seconds:7.1f} files/s  "
        f"CPU main {main_cpu:7.1f} s ({1000 * main_cpu / max(n, 1):.2f} ms/file), "
        f"workers {worker_cpu:7.1f} s ({1000 * worker_cpu / max(n, 1):.2f} ms/file)  "
        f"peak RSS: workers {', '.join(f'{r:.0f}' for r in worker_rss)} MiB, main {vm_hwm_mib():.0f} MiB",
        flush=True,
    )
    assert rows == stats.ingested, (rows, stats.ingested)
    return {"seconds": seconds, "files": stats.files, "rate": n / seconds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--corpus", type=Path, default=None, help="folder (generated when missing)")
    ap.add_argument("--formats", default="md,txt,html,docx")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("-j", "--workers", type=int, default=2)
    ap.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    corpus = args.corpus or args.tmp / f"gongkai-corpus-{args.reports}-{args.seed}"
    if not corpus.exists():
        s = generate_corpus(
            corpus, args.reports, formats=parse_formats(args.formats), seed=args.seed, workers=args.workers
        )
        print(f"generated {s.files} files ({s.bytes / 1e6:.0f} MB) in {s.seconds:.1f} s: {dict(s.by_format)}")
    work = Path(tempfile.mkdtemp(dir=args.tmp, prefix="gongkai-bench-"))
    try:
        if args.only in (None, "sqlite"):
            run("SQLite", f"sqlite:///{work}/bench.db", corpus, args.workers, work / "files-sqlite")
            shutil.rmtree(work / "files-sqlite", ignore_errors=True)
        if args.only in (None, "postgresql"):
            name = f"gongkai_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG, autocommit=True) as c:
                c.execute(f"CREATE DATABASE {name}")
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
                run("PostgreSQL", url, corpus, args.workers, work / "files-pg")
            finally:
                with psycopg.connect(PG, autocommit=True) as c:
                    c.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
