"""Per-format throughput, one process pinned to one core: read + extract + rules.

    .venv/bin/python bench/bench_formats.py [--shared ../shared]

Text: the five seeds. PDF: the three real PDFs. DOCX: the official blank template. DOC: that template
converted once to .doc by LibreOffice (each read pays one soffice conversion). Scan: page 3 of a real PDF
rendered at 200 dpi (OCR seconds per page). Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

from gongkai import api
from gongkai.readers import read_bytes


def rate(blobs: list[tuple[bytes, str]], seconds: float) -> tuple[float, int]:
    for data, name in blobs:  # warm: imports, models, caches
        with contextlib.suppress(api.GongkaiError):
            api.parse_document(read_bytes(data, name))
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n == 0:
        for data, name in blobs:
            with contextlib.suppress(api.GongkaiError):
                api.parse_document(read_bytes(data, name))
            n += 1
    return n / (time.perf_counter() - t0), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    real = args.shared / "fixtures" / "real"
    tmp = Path(tempfile.mkdtemp())
    blank = real / "2021格式_空白模板.docx"
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "odt", "--outdir", str(tmp), str(blank)],
        check=True,
        capture_output=True,
    )
    odt = next(tmp.glob("*.odt"))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "doc", "--outdir", str(tmp), str(odt)],
        check=True,
        capture_output=True,
    )
    doc = next(tmp.glob("*.doc"))
    pdf = real / "2024_淮安市洪泽区人民政府.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "3", "-l", "3", str(pdf), str(tmp / "page")], check=True
    )
    png = next(tmp.glob("page*.png"))
    sets = {
        "text (seeds)": sorted((args.shared / "seeds").glob("*.txt")),
        "PDF (3 real)": sorted(real.glob("*.pdf")),
        "DOCX (blank template)": [blank],
        "DOC via LibreOffice": [doc],
    }
    print(f"{'format':24} {'reports/s/core':>15} {'s/report':>9}")
    for name, files in sets.items():
        r, _n = rate([(f.read_bytes(), str(f)) for f in files], args.seconds)
        print(f"{name:24} {r:15.1f} {1 / r:9.3f}")
    t0 = time.perf_counter()
    reps = 3
    for _ in range(reps):
        read_bytes(png.read_bytes(), str(png))
    print(f"{'scan page (OCR, 1 thread)':24} {'':15} {(time.perf_counter() - t0) / reps:9.2f}  s/page")


if __name__ == "__main__":
    main()
