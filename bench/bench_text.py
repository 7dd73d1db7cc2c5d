"""Text path throughput: read + extract + rules on the seed reports, one process, one core.

    .venv/bin/python bench/bench_text.py [--seconds 10] [--shared ../shared]

Prints reports/s and per-report latency, and beside them the floor measured in the same run: a plain
tokenising pass over the same bytes (decode, then one regex split into words and punctuation), timed
in alternation with the parse so machine load weighs on both alike. Target: at most 10x the floor.
Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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

    tokens = re.compile(r"\w+|[^\w\s]")
    laps: list[float] = []
    floor = 0.0
    n = 0
    elapsed = 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        t = time.perf_counter()
        for data, _name in blobs:
            tokens.findall(data.decode("utf-8"))
        floor += time.perf_counter() - t
        for data, name in blobs:
            t = time.perf_counter()
            api.parse_document(read_bytes(data, name))
            laps.append(time.perf_counter() - t)
            n += 1
    elapsed = sum(laps)
    laps.sort()
    print(f"python {platform.python_version()} on {platform.machine()}, 1 core")
    print(f"files: {len(files)} seed reports, {total_bytes / len(files) / 1024:.1f} KiB each on average")
    print(f"cold first pass: {cold * 1000:.1f} ms for {len(files)} reports")
    print(f"warm: {n} reports in {elapsed:.2f} s = {n / elapsed:.0f} reports/s/core")
    print(
        f"floor (decode + tokenise the same bytes): {floor / n * 1000:.3f} ms/report; "
        f"parse = {elapsed / floor:.1f}x the floor (target <= 10x)"
    )
    print(
        f"latency per report: median {statistics.median(laps) * 1000:.2f} ms, "
        f"p95 {laps[int(len(laps) * 0.95)] * 1000:.2f} ms, max {laps[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
