"""Parse throughput with 1, 2, 4 … workers: the local process pool and a local Ray instance, side by side.

    .venv/bin/python bench/bench_speedup.py --reports 400 --formats html,docx,txt,md --workers 1,2,4

A corpus of ``--reports`` files is generated once (deterministic, under bench/out/speedup-…), or
``--folder`` names one (e.g. ../shared/seeds); ``--repeat`` parses each file that many times. Each
backend parses all of it (no database: this measures the executors, not the store) and prints files/s,
the speed-up over one worker of the same backend, and Ray's rate as a ratio to the pool's at the same
worker count, measured in the same run (the pool first: a pool forked from a Ray driver inherits its
address space). On a machine with C cores, more than C workers cannot go faster; the figure shows what
the overhead costs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from gongkai import api
from gongkai.corpus import generate_corpus, parse_formats
from gongkai.executors import InlineExecutor, LocalExecutor

ROOT = Path(__file__).resolve().parents[1]


def parse(path: str) -> int:
    return len(api.parse(path).cells)


def run(ex, files: list[str]) -> float:
    t0 = time.perf_counter()
    failed = sum(1 for _, r in ex.map(parse, files) if isinstance(r, BaseException))
    dt = time.perf_counter() - t0
    if failed:
        print(f"  ({failed} failed)")
    return len(files) / dt


def executor(backend: str, n: int):
    if backend == "pool":
        return LocalExecutor(n)
    from gongkai.executors.ray import RayExecutor

    return RayExecutor("local", n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=400)
    ap.add_argument("--formats", default="html,docx,txt,md")
    ap.add_argument("--folder", type=Path, help="parse the files of this folder instead")
    ap.add_argument("--repeat", type=int, default=1, help="parse each file this many times")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--backends", default="pool,ray")
    args = ap.parse_args()
    out = args.folder
    if out is None:
        out = ROOT / "bench" / "out" / f"speedup-{args.reports}-{args.formats.replace(',', '_')}"
        if not out.exists():
            generate_corpus(out, args.reports, formats=parse_formats(args.formats), workers=2)
    files = sorted(str(p) for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    files = files * args.repeat
    counts = [int(w) for w in args.workers.split(",")]
    backends = args.backends.split(",")
    print(f"{len(files)} files in {out}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    base = run(InlineExecutor(), files)
    print(f"{'inline (this process)':20} {base:8.1f} files/s")
    rates: dict[tuple[str, int], float] = {}
    for n in counts:
        for backend in backends:
            ex = executor(backend, n)
            try:
                run(ex, files[: min(len(files), 4 * n)])  # warm the workers (imports, OCR models)
                rate = rates[backend, n] = run(ex, files)
            finally:
                ex.close()
            line = f"{backend + f' × {n}':20} {rate:8.1f} files/s   speed-up {rate / rates[backend, counts[0]]:4.2f}"
            if backend != "pool" and ("pool", n) in rates:
                line += f"   {backend}/pool {rate / rates['pool', n]:4.2f}"
            print(f"{line}   load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
