"""What a national corpus costs: worker CPU per report by format (one core), OCR seconds per scanned page,
pages per report, a worker's peak memory, and from those the core-hours and nodes for 1,000,000 reports.

    nice -n 10 .venv/bin/python bench/bench_costing.py [--per-format 60] [--scans 3] [--writer-ms 3.0]

Synthetic reports from ``gongkai demo-corpus`` (seeded), parsed in this process pinned to one core,
exactly as an ingest worker does (read, extract, rules, and the store's rows: ``parse_job``). Pages per
report: the real reports in ../shared/fixtures/real (the synthetic ones are shorter). ``--writer-ms``: the
single writer's CPU per report, from bench_ingest.py. The 1,000,000-report costing uses, per format, the
slower of this run and docs/performance.md's real-file figures, and the issue's 9 CPU-s per OCR page.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from gongkai.corpus import MIX, generate_corpus
from gongkai.ingest import _Job, parse_job

# Real-file figures from bench/bench_formats.py (docs/performance.md), seconds a report on one core.
REAL_FILE_SECONDS = {"txt": 1 / 566, "md": 1 / 566, "pdf": 1 / 31.9, "docx": 1 / 101}
OCR_SECONDS_PER_PAGE = 9.0  # the planning figure (measured here: printed below)


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pages(path: Path) -> int:
    if path.suffix == ".pdf":
        doc = pdfium.PdfDocument(str(path))
        try:
            return len(doc)
        finally:
            doc.close()
    from PIL import Image

    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def cpu_per_file(paths: list[Path]) -> float:
    parse_job(_Job(str(paths[0]), ""))  # warm: imports, models, caches
    t0 = time.process_time()
    for p in paths:
        parse_job(_Job(str(p), ""))
    return (time.process_time() - t0) / len(paths)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-format", type=int, default=60)
    ap.add_argument("--scans", type=int, default=3)
    ap.add_argument("--writer-ms", type=float, default=3.0)
    ap.add_argument("--reports", type=int, default=1_000_000)
    ap.add_argument("--scan-share", type=float, default=0.10)
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    args = ap.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    tmp = Path(tempfile.mkdtemp(prefix="gongkai-costing-"))
    measured: dict[str, float] = {}
    print(f"{'format':6} {'files':>5} {'ms/report/core':>15} {'reports/s/core':>15}")
    for k, fmt in enumerate(("md", "txt", "html", "docx", "pdf")):
        out = tmp / fmt
        generate_corpus(out, args.per_format, formats={fmt: 1.0}, seed=100 + k, workers=2)  # not here: RSS
        files = sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("."))
        measured[fmt] = cpu_per_file(files)
        print(f"{fmt:6} {len(files):5} {1000 * measured[fmt]:15.2f} {1 / measured[fmt]:15.1f}", flush=True)
    rss_text = vm_hwm_mib()

    out = tmp / "scan"
    generate_corpus(out, args.scans, formats={"scan": 1.0}, seed=7, workers=2)
    scans = [Path(out, r["path"]) for r in csv.DictReader((out / ".manifest.csv").open(encoding="utf-8"))]
    scan_pages = sum(pages(p) for p in scans)
    t0 = time.process_time()
    for p in scans:
        parse_job(_Job(str(p), ""))
    ocr_page = (time.process_time() - t0) / scan_pages
    rss_ocr = vm_hwm_mib()
    print(f"scan   {len(scans):5} {ocr_page:12.2f} s/page (OCR, one thread; {scan_pages} pages)")
    print(
        f"peak RSS of this worker: {rss_text:.0f} MiB after text/HTML/DOCX/PDF, {rss_ocr:.0f} MiB after OCR"
    )

    real = sorted((args.shared / "fixtures" / "real").glob("*.pdf"))
    real_pages = [pages(p) for p in real]
    synth_pages = [pages(p) for p in (tmp / "pdf").rglob("*.pdf")]
    per_report = sum(real_pages) / len(real_pages) if real_pages else sum(synth_pages) / len(synth_pages)
    print(
        f"pages per report: real {real_pages} (mean {per_report:.1f}); "
        f"synthetic mean {sum(synth_pages) / len(synth_pages):.1f}"
    )

    # ---- 1,000,000 reports, 10 % scans -------------------------------------------------------
    n = args.reports
    born_digital = {f: w for f, w in MIX.items() if f != "scan"}
    total_w = sum(born_digital.values())
    seconds = {f: max(measured[f], REAL_FILE_SECONDS.get(f, 0.0)) for f in born_digital}
    rows = []
    for f, w in born_digital.items():
        count = n * (1 - args.scan_share) * w / total_w
        rows.append((f, count, seconds[f], count * seconds[f]))
    scans_n = n * args.scan_share
    ocr = scans_n * per_report * OCR_SECONDS_PER_PAGE
    writer = n * args.writer_ms / 1000
    print(
        f"\n{n:,} reports, {args.scan_share:.0%} scans ({per_report:.1f} pages, {OCR_SECONDS_PER_PAGE} CPU-s a page):"
    )
    print(f"{'part':10} {'reports':>10} {'CPU-s each':>11} {'core-hours':>11}")
    for f, count, s, total in rows:
        print(f"{f:10} {count:10,.0f} {s:11.4f} {total / 3600:11.1f}")
    print(f"{'scan':10} {scans_n:10,.0f} {per_report * OCR_SECONDS_PER_PAGE:11.1f} {ocr / 3600:11.1f}")
    print(f"{'writer':10} {n:10,.0f} {args.writer_ms / 1000:11.4f} {writer / 3600:11.1f}  (one process)")
    core_h = (sum(r[3] for r in rows) + ocr) / 3600
    print(f"{'total':10} {'':10} {'':11} {core_h + writer / 3600:11.1f}")
    print("\nnodes to finish in one night (8 h), 90 % of each core busy:")
    for cores in (2, 16, 32, 64):
        nodes = math.ceil(core_h / (8 * cores * 0.9))
        print(f"  {cores:2}-core nodes: {nodes}")


if __name__ == "__main__":
    main()
