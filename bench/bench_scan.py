"""Scan path speed against a plain full-page rapidocr pass over the same page images (target ≤ 0.6×).

    .venv/bin/python bench/bench_scan.py [--shared ../shared] [--dpi 200] [--pages N] [--runs 1]

The three real PDFs of ../shared/fixtures/real are printed and rescanned (``gongkai.corpus.scan``:
tilted, noisy grey pages). For every page, in one process pinned to one core with one OCR thread,
alternately: the floor — rapidocr's own full pass (detection, direction classifier, recognition) on
the page — and ours — ``readers.image.ocr_page`` (seal drop, perspective, deskew, detection at the
text's scale, recognition, grids, cells). Both see the same pixels; machine load weighs on both
alike. Prints both times per page, the ratio, and peak memory (VmHWM) of this worker per page.
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


def main() -> None:
    import cv2

    from gongkai.corpus import scan
    from gongkai.readers import ocr
    from gongkai.readers.image import ocr_page

    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("--pages", type=int, default=0, help="at most this many pages (0: all)")
    ap.add_argument("--runs", type=int, default=1)
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
    print(f"{'page':22} {'rapidocr':>9} {'ours':>7} {'ratio':>6} {'VmHWM MiB':>10}")
    tot_ref = tot_ours = 0.0
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
        print(f"{name:22} {ref:>8.2f}s {ours:>6.2f}s {ours / ref:>5.2f}× {_hwm_mib():>10.0f}")
    n = len(pages)
    print(
        f"{'mean':22} {tot_ref / n:>8.2f}s {tot_ours / n:>6.2f}s {tot_ours / tot_ref:>5.2f}× "
        f"{_hwm_mib():>10.0f}   (target ≤ 0.60×, ≤ 1024 MiB)"
    )


if __name__ == "__main__":
    main()
