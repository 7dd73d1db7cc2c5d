"""Parse throughput with 1, 2, 4 … workers: the local process pool and a local Ray cluster.

    .venv/bin/python bench/bench_speedup.py --reports 400 --formats html,docx,txt,md --workers 1,2,4

A corpus of ``--reports`` files is generated once (deterministic, under bench/out/speedup-…), then each
backend parses all of it (no database: this measures the executors, not the store) and prints files/s
and the speed-up over one worker of the same backend. On a machine with C cores, more than C workers
cannot go faster; the figure shows what the overhead costs.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=400)
    ap.add_argument("--formats", default="html,docx,txt,md")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--backends", default="pool,ray")
    args = ap.parse_args()
    out = ROOT / "bench" / "out" / f"speedup-{args.reports}-{args.formats.replace(',', '_')}"
    if not out.exists():
        generate_corpus(out, args.reports, formats=parse_formats(args.formats), workers=2)
    files = sorted(str(p) for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
    counts = [int(w) for w in args.workers.split(",")]
    print(f"{len(files)} files ({args.formats}) in {out}")
    base = run(InlineExecutor(), files)
    print(f"{'inline (this process)':28} {base:8.1f} files/s")
    for backend in args.backends.split(","):
        first = None
        for n in counts:
            if backend == "pool":
                ex = LocalExecutor(n)
            else:
                from gongkai.executors.ray import RayExecutor

                ex = RayExecutor("local", n)
            try:
                run(ex, files[: min(len(files), 4 * n)])  # warm the workers (imports, OCR models)
                rate = run(ex, files)
            finally:
                ex.close()
            first = first or rate
            print(f"{backend + f' × {n}':28} {rate:8.1f} files/s   speed-up {rate / first:4.2f}")


if __name__ == "__main__":
    main()
