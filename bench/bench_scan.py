"""Scan path speed against a plain full-page rapidocr pass over the same page images (target ≤ 0.6×).

    .venv/bin/python bench/bench_scan.py [--shared ../shared] [--pages N] [--runs 1] [--memory]

The three real PDFs of ../shared/fixtures/real are printed and rescanned (``gongkai.corpus.scan``:
tilted, noisy grey pages). For every page, in one process pinned to one core with one OCR thread,
alternately: the floor — rapidocr's own full pass (detection, direction classifier, recognition) on
the page — and ours — ``readers.image.ocr_page`` (seal drop, perspective, deskew, detection at the
text's scale, recognition, grids, cells). Both see the same pixels; machine load weighs on both
alike. Prints both times per page, the ratio, and peak memory (VmHWM) of this process so far, which
runs both pipelines over all pages; with ``--memory``, also the peak of an OCR worker that reads
only that page by our path (a fresh process per page: models loaded, the page read).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

os.environ.setdefault("GONGKAI_OCR_THREADS", "1")


def _hwm_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _worker_hwm(img) -> float:
    """Peak memory (MiB) of a fresh process reading one page by the scan path."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from gongkai.readers.image import ocr_page

    ocr_page(img, 1, "page")
    return _hwm_mib()


def _own_process_hwm(img) -> float:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_worker_hwm, (img,))


def main() -> None:
    import cv2

    from gongkai.corpus import scan
    from gongkai.readers import ocr
    from gongkai.readers.image import ocr_page

    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("--pages", type=int, default=0, help="at most this many pages (0: all)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--memory", action="store_true", help="also each page's worker peak, own process")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pages = []
    for f in sorted((args.shared / "fixtures" / "real").glob("*.pdf")):
        for no, img in enumerate(scan.pages(f.read_bytes(), random.Random(f.name)), start=1):
            pages.append((f"{f.stem[:14]} p{no}", img))
    if args.pages:
        pages = pages[: args.pages]
    eng = ocr.engine()
    warm = cv2.cvtColor(pages[0][1], cv2.COLOR_GRAY2BGR)
    eng(warm)
    ocr_page(pages[0][1], 1, "warm")
    print(
        f"{len(pages)} pages at {scan.DPI} dpi, 1 core, 1 OCR thread; seconds per page (best of {args.runs})"
    )
    print(
        f"{'page':22} {'rapidocr':>9} {'ours':>7} {'ratio':>6} {'VmHWM MiB':>10}"
        + (f" {'worker MiB':>11}" if args.memory else "")
    )
    tot_ref = tot_ours = 0.0
    worst = 0.0
    for name, img in pages:
        ref = ours = float("inf")
        for _ in range(args.runs):
            bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
            t = time.perf_counter()
            eng(bgr)
            ref = min(ref, time.perf_counter() - t)
            t = time.perf_counter()
            ocr_page(img, 1, name)
            ours = min(ours, time.perf_counter() - t)
        tot_ref += ref
        tot_ours += ours
        line = f"{name:22} {ref:>8.2f}s {ours:>6.2f}s {ours / ref:>5.2f}× {_hwm_mib():>10.0f}"
        if args.memory:
            worker = _own_process_hwm(img)
            worst = max(worst, worker)
            line += f" {worker:>11.0f}"
        print(line, flush=True)
    n = len(pages)
    print(
        f"{'mean':22} {tot_ref / n:>8.2f}s {tot_ours / n:>6.2f}s {tot_ours / tot_ref:>5.2f}× "
        f"{_hwm_mib():>10.0f}"
        + (f" {worst:>11.0f}" if args.memory else "")
        + "   (target ≤ 0.60×; worker: the most, target ≤ 1024 MiB)"
    )


if __name__ == "__main__":
    main()
