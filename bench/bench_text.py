"""Text path throughput: read + extract + rules on the seed reports, one process, one core.

    .venv/bin/python bench/bench_text.py [--seconds 10] [--shared ../shared]

Prints reports/s and per-report latency; figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from gongkai import api
from gongkai.readers import read_bytes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    files = sorted((args.shared / "seeds").glob("*.txt"))
    blobs = [(f.read_bytes(), str(f)) for f in files]
    total_bytes = sum(len(b) for b, _ in blobs)

    t0 = time.perf_counter()
    for data, name in blobs:  # cold: first parse pays for imports' lazy tables and caches
        api.parse_document(read_bytes(data, name))
    cold = time.perf_counter() - t0

    laps: list[float] = []
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        for data, name in blobs:
            t = time.perf_counter()
            api.parse_document(read_bytes(data, name))
            laps.append(time.perf_counter() - t)
            n += 1
    elapsed = time.perf_counter() - start
    laps.sort()
    print(f"python {platform.python_version()} on {platform.machine()}, 1 core")
    print(f"files: {len(files)} seed reports, {total_bytes / len(files) / 1024:.1f} KiB each on average")
    print(f"cold first pass: {cold * 1000:.1f} ms for {len(files)} reports")
    print(f"warm: {n} reports in {elapsed:.2f} s = {n / elapsed:.0f} reports/s/core")
    print(
        f"latency per report: median {statistics.median(laps) * 1000:.2f} ms, "
        f"p95 {laps[int(len(laps) * 0.95)] * 1000:.2f} ms, max {laps[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
