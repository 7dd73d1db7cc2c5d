"""Synthetic corpora at scale: ``gongkai demo-corpus OUT --reports 100000 --formats mix``.

Agencies come from the real hierarchy (``agencies``), each with a report for every year it publishes
(2019–2025 by default, in the format of the year, carried-over figures linked year to year); a share of
reports carries a realistic error and a share of agency-years is missing, as in real collections.
Files are written by the official-layout writer (Markdown, HTML and DOCX through ``stamp``, which is the
writer's output at ~100× the DOCX speed), plain text as copied from a web page (UTF-8 or GB18030), PDF,
and scans (``scan``).

Deterministic by seed, whatever the number of workers: every agency draws from its own random stream
(seed and agency number), so the same seed gives the same files, byte for byte. Streaming: agencies are
planned lazily and written by worker processes in chunks, with a bounded number of chunks in flight,
so a million files never sit in memory. A hidden ``.manifest.csv`` (skipped by ``gongkai ingest``) lists
every file with its agency, year, format and the error put in, if any.
"""

from __future__ import annotations

import csv
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..demo import _break, synthetic
from ..report import Agency
from ..spreadsheet import csv_row
from .agencies import SyntheticAgency, agencies
from .stamp import Stamper

__all__ = ["FORMATS", "MIX", "Summary", "generate_corpus", "parse_formats"]

FORMATS = ("md", "txt", "html", "docx", "pdf", "scan")
# What a national collection looks like: mostly web pages and Word/PDF attachments, a few scans.
MIX: dict[str, float] = {"html": 0.32, "docx": 0.22, "txt": 0.16, "md": 0.10, "pdf": 0.15, "scan": 0.05}
ERROR_SHARE = 0.10  # reports with a deliberate error (a total off by one, a broken balance)
MISSING_SHARE = 0.03  # agency-years without a report
GB18030_SHARE = 0.3  # plain-text pages saved in the legacy national encoding
CHUNK = 32  # agencies per task
MANIFEST = ".manifest.csv"
MANIFEST_FIELDS = ("path", "agency", "kind", "region_code", "year", "format", "error")


def parse_formats(spec: str) -> dict[str, float]:
    """ "mix" → the realistic mix; "md,html,docx" → those formats, equally often."""
    if spec.strip() == "mix":
        return dict(MIX)
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if not names or unknown:
        raise ValueError(f"未知格式：{', '.join(unknown) or spec!r}（可选 mix 或 {', '.join(FORMATS)}）")
    return dict.fromkeys(dict.fromkeys(names), 1.0 / len(set(names)))


@dataclass(slots=True)
class Summary:
    files: int = 0
    bytes: int = 0
    errors: int = 0  # reports with a deliberate error
    agencies: int = 0
    by_format: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Task:
    out: str
    seed: int
    years: tuple[int, ...]  # every year of the chain (missing ones are drawn but not written)
    plan: tuple[tuple[SyntheticAgency, tuple[int, ...]], ...]  # agency, years it publishes
    formats: tuple[tuple[str, float], ...]
    error_share: float


def _plan(seed: int, n_reports: int, years: Sequence[int], missing: float) -> Iterator[tuple]:
    """(agency, published years) until ``n_reports`` reports; the last agency may stop early."""
    per_agency = len(years) * (1 - missing)
    wanted = math.ceil(n_reports / per_agency * 1.05) + 8
    left = n_reports
    for ag in agencies(wanted, seed):
        rng = random.Random(f"{seed}/plan/{ag.index}")
        published = tuple(y for y in years if rng.random() >= missing)[:left]
        if published:
            left -= len(published)
            yield ag, published
        if left <= 0:
            return
    raise ValueError(f"机关层级容纳不下 {n_reports} 份报告  (the hierarchy holds fewer reports)")


_stamper: Stamper | None = None


def _encode_text(text: bytes, rng: random.Random) -> bytes:
    if rng.random() < GB18030_SHARE:
        return text.decode("utf-8").encode("gb18030")
    return text


def _render(report, fmt: str, rng: random.Random) -> tuple[bytes, str]:
    """(bytes, suffix) of ``report`` written as ``fmt``."""
    global _stamper
    if _stamper is None:
        _stamper = Stamper()
    if fmt in ("md", "html", "docx"):
        return _stamper.render(report, fmt), fmt
    if fmt == "txt":
        return _encode_text(_stamper.render(report, "txt"), rng), "txt"
    from ..writer import render

    pdf = render(report, "pdf")
    if fmt == "pdf":
        return pdf, "pdf"
    from . import scan

    images = scan.pages(pdf, rng)
    if rng.random() < 0.5:
        return scan.tiff(images), "tiff"
    return scan.image_pdf(images), "pdf"


def _write(task: _Task) -> tuple[Summary, list[tuple]]:
    """Runs in a worker: write the task's agencies' reports; returns counts and manifest rows."""
    out, s, rows = Path(task.out), Summary(), []
    names = [f for f, _ in task.formats]
    weights = [w for _, w in task.formats]
    for ag, published in task.plan:
        rng = random.Random(f"{task.seed}/agency/{ag.index}")
        agency = Agency(ag.name, ag.kind, ag.region)  # type: ignore[arg-type]
        state: dict = {"forward": {}, "in_force": {}}
        folder = out / ag.code[:2]
        folder.mkdir(parents=True, exist_ok=True)
        s.agencies += 1
        for year in task.years:
            report, state = synthetic(agency, year, state["forward"], rng, state["in_force"])
            broken = ""
            if rng.random() < task.error_share:
                before = {k: c.value for k, c in report.cells.items()}
                _break(report, rng)
                broken = next(k for k, c in report.cells.items() if c.value != before[k])
            fmt = rng.choices(names, weights)[0]
            file_rng = random.Random(f"{task.seed}/file/{ag.index}/{year}")
            if year not in published:
                continue
            data, suffix = _render(report, fmt, file_rng)
            path = folder / f"{ag.code}_{ag.slug}_{year}.{suffix}"
            path.write_bytes(data)
            s.files += 1
            s.bytes += len(data)
            s.errors += bool(broken)
            s.by_format[fmt] += 1
            rows.append((str(path.relative_to(out)), ag.name, ag.kind, ag.code, year, fmt, broken))
    return s, rows


def generate_corpus(
    out: Path,
    reports: int,
    *,
    formats: dict[str, float] | None = None,
    seed: int = 2026,
    years: Sequence[int] = range(2019, 2026),
    error_share: float = ERROR_SHARE,
    missing_share: float = MISSING_SHARE,
    workers: int = 1,
    progress: Callable[[Summary], None] | None = None,
) -> Summary:
    """Write ``reports`` files under ``out``; the same arguments give the same bytes."""
    from ..executors import InlineExecutor, LocalExecutor

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    fmts = tuple((formats or MIX).items())
    years = tuple(years)

    def tasks() -> Iterator[tuple[int, _Task]]:
        plan = _plan(seed, reports, years, missing_share)
        for k in range(1 << 62):
            chunk = tuple(p for _, p in zip(range(CHUNK), plan, strict=False))
            if not chunk:
                return
            yield k, _Task(str(out), seed, years, chunk, fmts, error_share)

    total = Summary()
    ex = InlineExecutor() if workers <= 1 else LocalExecutor(workers)
    waiting: dict[int, list[tuple]] = {}  # manifest rows of chunks done out of order
    next_rows = 0
    try:
        with (out / MANIFEST).open("w", newline="", encoding="utf-8") as mf:
            manifest = csv.writer(mf)  # generated names, yet every CSV we write goes through csv_row
            manifest.writerow(MANIFEST_FIELDS)
            for (k, _task), result in ex.map(_run, tasks()):
                if isinstance(result, BaseException):
                    raise result
                s, rows = result
                total.files += s.files
                total.bytes += s.bytes
                total.errors += s.errors
                total.agencies += s.agencies
                total.by_format.update(s.by_format)
                waiting[k] = rows
                while next_rows in waiting:  # rows in chunk order: the manifest is deterministic too
                    manifest.writerows(csv_row(r) for r in waiting.pop(next_rows))
                    next_rows += 1
                if progress:
                    progress(total)
    finally:
        ex.close()
    total.seconds = time.perf_counter() - t0
    return total


def _run(item: tuple[int, _Task]) -> tuple[Summary, list[tuple]]:
    return _write(item[1])
