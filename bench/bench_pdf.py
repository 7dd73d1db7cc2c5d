"""PDF path speed against ``pdftotext -layout`` on the real PDFs (target: at most 3× pdftotext).

    .venv/bin/python bench/bench_pdf.py [--runs 20] [--shared ../shared] [FILE.pdf ...]

pdftotext is timed as a process (what a shell pipeline pays); read_pdf in this process (imports
already paid), and read_pdf + extraction + rules (api.parse_document) likewise. Medians of the runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from gongkai import api
from gongkai.readers.pdf import read_pdf


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    laps = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        laps.append(time.perf_counter() - t0)
    return statistics.median(laps) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args()
    files = args.files or sorted((args.shared / "fixtures" / "real").glob("*.pdf"))
    tool = shutil.which("pdftotext")
    print(f"{'file':34} {'pages':>5} {'pdftotext':>10} {'read_pdf':>9} {'ratio':>6} {'+extract':>9}")
    totals = [0.0, 0.0, 0.0]
    for f in files:
        data = f.read_bytes()
        doc = read_pdf(data, str(f))  # warm-up (lazy imports, pdfium init)
        api.parse_document(read_pdf(data, str(f)))
        ref = (
            _median_ms(
                lambda f=f: subprocess.run([tool, "-layout", str(f), "-"], capture_output=True), args.runs
            )
            if tool
            else float("nan")
        )
        ours = _median_ms(lambda data=data, f=f: read_pdf(data, str(f)), args.runs)
        full = _median_ms(lambda data=data, f=f: api.parse_document(read_pdf(data, str(f))), args.runs)
        for k, v in enumerate((ref, ours, full)):
            totals[k] += v
        print(f"{f.name:34} {doc.pages:>5} {ref:>8.1f}ms {ours:>7.1f}ms {ours / ref:>5.2f}× {full:>7.1f}ms")
    ref, ours, full = totals
    print(f"{'total':34} {'':>5} {ref:>8.1f}ms {ours:>7.1f}ms {ours / ref:>5.2f}× {full:>7.1f}ms")


if __name__ == "__main__":
    main()
