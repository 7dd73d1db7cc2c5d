"""Mutation fuzzing of every reader through ``api.parse_bytes``, each input under time and memory limits.

    nice -n 10 .venv/bin/python bench/fuzz.py run --inputs 100000 --jobs 2 [--shared ../shared]
    .venv/bin/python bench/fuzz.py replay tests/fuzz_regressions

An input passes when it gives a ``Report`` or a ``GongkaiError`` (the one clear line a user sees).
Anything else fails: an uncaught exception of another type, no answer within ``--timeout`` CPU seconds
of the worker (or six times that in wall time: the machine may be shared), or the worker dying
(memory over ``--memory`` MiB of address space: RLIMIT_AS, or a crash in native code).
Failing inputs are saved into ``tests/fuzz_regressions/`` (a few per distinct signature) and replayed
by ``tests/test_fuzz_regressions.py`` under the same limits.

Inputs run in forked workers (``fork``: the readers are imported once, before forking) that take input
after input; the parent enforces the timeout by killing the worker and starting another. Mutators are
structure-aware (re-encodings with wrong BOMs, odd bytes and lone surrogates; tag soup; ZIP header and
member corruption; PDF xref, stream and length corruption) plus bit flips, truncation and splices.
Seeds: every file under ``../shared`` seeds and fixtures, and the project's own writer output.
Inputs are generated deterministically from ``--seed``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import itertools
import json
import multiprocessing as mp
import os
import random
import re
import resource
import signal
import sys
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGRESSIONS = ROOT / "tests" / "fuzz_regressions"
TIMEOUT = 10.0  # CPU seconds per input (see _Slot.over)
MEMORY_MB = 4096  # address space per worker (RLIMIT_AS), as ReadLimits' default for ingest workers
MAX_SECONDS = 3.0  # ReadLimits.seconds per input: the reader must stop itself well within TIMEOUT
MAX_OCR_PAGES = 1  # ReadLimits.ocr_pages: OCR is exercised, not repeated for every page of a damaged PDF
PASS = ("ok", "error")
STARTUP_TIMEOUT = 300.0  # a worker loading its OCR models on a busy machine
WALL_FACTOR = 6  # an input is also stopped after this many times the timeout in wall-clock time
_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- worker side


@dataclass(slots=True)
class Outcome:
    kind: str  # ok | error | crash | memory | timeout | died
    detail: str = ""
    signature: str = ""  # what makes two failures the same bug
    seconds: float = 0.0
    maxrss_kb: int = 0


def _preload() -> None:
    """Import every reader before forking, so each worker starts warm and shares the pages."""
    import importlib

    from gongkai import api  # noqa: F401

    # one thread per worker, as ingest workers: and no ONNX thread pool to lose across fork
    os.environ.setdefault("GONGKAI_OCR_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    for name in ("text", "html", "docx", "pdf", "legacy", "image"):
        with contextlib.suppress(ImportError):
            importlib.import_module(f"gongkai.readers.{name}")


def _signature(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if "gongkai" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].name}" if ours else "?"
    return f"{type(e).__name__}@{where}"


def run_one(data: bytes, name: str, limits=None) -> Outcome:
    """Parse one input in this process (within ``limits``: a ``ReadLimits``) and classify the result."""
    from gongkai import api
    from gongkai.errors import GongkaiError

    t0 = time.perf_counter()
    try:
        api.parse_bytes(data, name, limits)
        out = Outcome("ok")
    except GongkaiError as e:
        out = Outcome("error", e.problem_en[:200])
    except MemoryError as e:
        out = Outcome("memory", "MemoryError", _signature(e))
    except Exception as e:
        out = Outcome("crash", f"{type(e).__name__}: {e}"[:500], _signature(e))
    out.seconds = time.perf_counter() - t0
    out.maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def _worker(conn: Connection, memory_mb: int, limits) -> None:
    from gongkai.executors import die_with_parent

    die_with_parent()
    # OCR on the worker's own thread: the campaign runs inputs in parallel across workers, and the
    # clock below can then tell an input's own time from time spent waiting for a CPU (_Slot.over).
    os.environ["GONGKAI_OCR_THREADS"] = "1"
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # Load the OCR models here, after the fork (an ONNX session does not survive one), so that the
    # first scanned input is not charged for them.
    with contextlib.suppress(Exception):
        import numpy as np

        import gongkai.readers.image as image

        blank = np.full((200, 200), 255, np.uint8)
        blank[90:110, 20:180] = 0
        image.ocr_page(blank, 1, "warm-up")  # the first inference allocates its buffers
    conn.send("ready")
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        conn.send(run_one(*msg, limits))


class _Slot:
    """One worker process and the input it is working on."""

    def __init__(self, ctx, memory_mb: int, limits) -> None:
        self.ctx, self.memory_mb, self.limits = ctx, memory_mb, limits
        self.job: tuple[bytes, str, str] | None = None  # (data, name, mutator)
        self.started = 0.0
        self.cpu0 = self.wait0 = 0.0
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child, self.memory_mb, self.limits), daemon=True)
        self.proc.start()
        child.close()
        if self.conn.poll(STARTUP_TIMEOUT):  # the clock of an input starts once the worker is warm
            with contextlib.suppress(EOFError):
                self.conn.recv()

    def cpu(self) -> float:
        """CPU seconds the worker has used (user + system), from /proc."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def waited(self) -> float:
        """Seconds the worker's thread has spent runnable but waiting for a CPU (/proc schedstat)."""
        try:
            return int(Path(f"/proc/{self.proc.pid}/schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    def over(self, timeout: float) -> bool:
        """Over the time allowed: ``timeout`` CPU seconds, or ``WALL_FACTOR`` times that in wall time
        (an input that sleeps or waits). Time spent waiting for a CPU is not the input's: on a shared,
        loaded machine a worker can be runnable for minutes without running."""
        wall = time.monotonic() - self.started
        if wall < timeout:
            return False
        own = wall - (self.waited() - self.wait0)
        return own >= timeout * WALL_FACTOR or self.cpu() - self.cpu0 >= timeout

    def send(self, job: tuple[bytes, str, str]) -> None:
        self.job, self.started, self.cpu0, self.wait0 = job, time.monotonic(), self.cpu(), self.waited()
        self.conn.send((job[0], job[1]))

    def restart(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.join()
        self.conn.close()
        self._start()

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def run_all(
    jobs: Iterator[tuple[bytes, str, str]],
    *,
    workers: int = 1,
    timeout: float = TIMEOUT,
    memory_mb: int = MEMORY_MB,
    limits=None,
    on_result: Callable[[tuple[bytes, str, str], Outcome], None],
) -> None:
    """Run every job on ``workers`` forked workers, each file read within ``limits`` (a ``ReadLimits``;
    default: the production defaults); ``on_result`` gets each job with its outcome."""
    _preload()
    ctx = mp.get_context("fork")
    slots = [_Slot(ctx, memory_mb, limits) for _ in range(workers)]
    exhausted = False
    try:
        while True:
            for s in slots:
                if s.job is None and not exhausted:
                    try:
                        s.send(next(jobs))
                    except StopIteration:
                        exhausted = True
            busy = [s for s in slots if s.job is not None]
            if not busy:
                return
            now = time.monotonic()
            left = min(s.started + timeout - now for s in busy)
            ready = wait([s.conn for s in busy], timeout=min(1.0, max(0.0, left)))
            for s in busy:
                job = s.job
                assert job is not None
                if s.conn in ready:
                    try:
                        out = s.conn.recv()
                    except (EOFError, ConnectionResetError):
                        s.proc.join()
                        code = s.proc.exitcode
                        out = Outcome("died", f"worker exit code {code}", f"died:{code}")
                        s.restart()
                    s.job = None
                    on_result(job, out)
                elif s.over(timeout):
                    s.restart()
                    s.job = None
                    out = Outcome("timeout", f"over {timeout:.0f} s", "timeout", time.monotonic() - s.started)
                    on_result(job, out)
    finally:
        for s in slots:
            s.close()


def replay(
    paths: list[Path],
    *,
    timeout: float = TIMEOUT,
    memory_mb: int = MEMORY_MB,
    limits=None,
    shared: Path = ROOT.parent / "shared",
) -> dict[str, Outcome]:
    """Run saved inputs (files, or recipes made again from ``shared``) under the campaign's limits;
    file name → outcome."""
    results: dict[str, Outcome] = {}
    seeds: list[Seed] = []

    def load(p: Path) -> bytes:
        if not p.name.endswith(".recipe.json"):
            return p.read_bytes()
        if not seeds:
            seeds.extend(load_seeds(shared))
        return recipe_input(json.loads(p.read_text(encoding="utf-8")), seeds)

    jobs = ((load(p), p.name, "replay") for p in paths)
    run_all(
        jobs,
        timeout=timeout,
        memory_mb=memory_mb,
        limits=limits,
        on_result=lambda j, o: results.__setitem__(j[1], o),
    )
    return results


def fuzz_limits(seconds: float, ocr_pages: int):
    """The per-file ``ReadLimits`` inputs run with (the harness's timeout must exceed ``seconds``)."""
    from gongkai.readers.limits import ReadLimits

    return ReadLimits(seconds=seconds or None, ocr_pages=ocr_pages or None, memory_mb=None)


# ---------------------------------------------------------------- seeds


@dataclass(slots=True)
class Seed:
    name: str
    data: bytes
    kind: str  # text | html | docx | pdf | other
    text: str | None = None


def _kind(data: bytes) -> str:
    from gongkai.readers import sniff as S

    media = S.sniff(data)
    return {S.TEXT: "text", S.HTML: "html", S.DOCX: "docx", S.PDF: "pdf"}.get(media, "other")


def load_seeds(shared: Path) -> list[Seed]:
    from gongkai.readers.encoding import decode

    blobs: list[tuple[str, bytes]] = []
    for folder in ("seeds", "fixtures"):
        for f in sorted((shared / folder).rglob("*")):
            if f.is_file():
                blobs.append((f.name, f.read_bytes()))
    # the project's own writer output (official layout as HTML, Markdown, DOCX, PDF; the corpus's
    # crawled-text form) of a synthetic report, one of each format
    from gongkai.corpus.agencies import region_of
    from gongkai.corpus.stamp import to_text
    from gongkai.demo import synthetic
    from gongkai.report import Agency
    from gongkai.writer import render

    for year in (2020, 2022):
        agency = Agency("示例县人民政府", "government", region_of("440305"))
        report, _ = synthetic(agency, year, {}, random.Random(year))
        blobs.append((f"writer-{year}.txt", to_text(report).encode("utf-8")))
        for fmt in ("html", "md", "docx", "pdf"):
            with contextlib.suppress(Exception):  # PDF needs the CJK fonts of `make sysdeps`
                blobs.append((f"writer-{year}.{fmt}", render(report, fmt)))
    seeds = []
    for name, data in blobs:
        kind = _kind(data)
        text = None
        if kind in ("text", "html"):
            with contextlib.suppress(Exception):
                text = decode(data, name)[0]
        seeds.append(Seed(name, data, kind, text))
    return seeds


# ---------------------------------------------------------------- mutators

Mutator = Callable[[random.Random, Seed, list[Seed]], bytes]
_ENCODINGS = ("utf-8", "gbk", "gb18030", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-16", "utf-32", "big5")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x3C, 0x3E, 0x22)


def _window(rng: random.Random, data: bytes, size: int = 4096) -> bytes:
    """A slice of the seed, so text mutators stay fast on long pages."""
    if len(data) <= size or rng.random() < 0.3:
        return data
    start = rng.randrange(0, len(data) - size)
    return data[start : start + size]


def _text(rng: random.Random, seed: Seed) -> str:
    t = seed.text or seed.data.decode("utf-8", "replace")
    if len(t) > 3000 and rng.random() < 0.7:
        start = rng.randrange(0, len(t) - 3000)
        t = t[start : start + 3000]
    return t


def m_reencode(rng, seed, _all) -> bytes:
    """The text in another encoding, optionally behind another encoding's BOM."""
    body = _text(rng, seed).encode(rng.choice(_ENCODINGS), errors="replace")
    if rng.random() < 0.6:
        body = rng.choice(_BOMS) + body
    return body


def m_bom_mismatch(rng, seed, _all) -> bytes:
    """A UTF-8 BOM in front of GBK bytes, a UTF-16 BOM in front of UTF-8, …"""
    return rng.choice(_BOMS) + _text(rng, seed).encode(
        rng.choice(("gbk", "utf-8", "gb18030")), errors="replace"
    )


def m_utf16_damage(rng, seed, _all) -> bytes:
    """UTF-16 with an odd byte, a lone surrogate or a cut in the middle of a pair."""
    enc = rng.choice(("utf-16-le", "utf-16-be"))
    body = bytearray(_text(rng, seed).encode(enc, errors="surrogatepass"))
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(0, len(body) // 2 + 1) * 2
        op = rng.random()
        if op < 0.4:
            unit = rng.choice((b"\x00\xd8", b"\xff\xdb", b"\x00\xdc", b"\xff\xdf"))
            body[pos:pos] = unit if enc == "utf-16-le" else unit[::-1]
        elif op < 0.7:
            body[pos:pos] = bytes([rng.randrange(256)])
        else:
            body.append(rng.randrange(256))
    bom = b"\xff\xfe" if enc == "utf-16-le" else b"\xfe\xff"
    return (bom if rng.random() < 0.7 else b"") + bytes(body)


def m_mixed_encodings(rng, seed, _all) -> bytes:
    """Parts of one file in different encodings (a copy-paste from two sources)."""
    t = _text(rng, seed)
    cut = rng.randrange(0, len(t) + 1)
    a, b = rng.sample(_ENCODINGS[:5], 2)
    return t[:cut].encode(a, errors="replace") + t[cut:].encode(b, errors="replace")


def m_controls(rng, seed, _all) -> bytes:
    """NUL and other C0 controls sprinkled into text or markup."""
    data = bytearray(_window(rng, seed.data))
    for _ in range(rng.randint(1, 40)):
        data.insert(rng.randrange(0, len(data) + 1), rng.choice((0, 1, 8, 11, 12, 27, 31, 127)))
    return bytes(data)


_SOUP = (
    "<td>",
    "</td>",
    "<tr>",
    "</tr>",
    "<table>",
    "</table>",
    "<p",
    "<br/>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<?xml version='1.0'?>",
    '<td rowspan="99999999">',
    '<td colspan="-3">',
    '<td colspan="1e9">',
    '<meta charset="utf-16">',
    '<meta charset="nonsense">',
    "<script>",
    "<style>",
    "<th",
    "&#0;",
    "&#xD800;",
    "&#99999999;",
    "&nbsp",
    "<html>",
    "<body>",
    "</html>",
    "\x00",
    "<svg><foreignObject>",
    "<math>",
    "<template>",
    "<table><table><table>",
    '<div style="display:none">',
)


def m_tag_soup(rng, seed, _all) -> bytes:
    """Markup torn and spliced: unclosed and stray tags, absurd spans, comments never closed."""
    t = _text(rng, seed)
    parts = [t]
    for _ in range(rng.randint(1, 30)):
        s = "".join(parts)
        pos = rng.randrange(0, len(s) + 1)
        parts = [s[:pos], rng.choice(_SOUP), s[pos:]]
    s = "".join(parts)
    if rng.random() < 0.1:
        s = "<div>" * rng.randint(500, 5000) + s
    return s.encode(rng.choice(("utf-8", "gbk", "utf-16")), errors="replace")


_LOCAL, _CENTRAL, _END = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
# (signature, field offset, width) of the header fields worth lying in
_ZIP_FIELDS = (
    (_LOCAL, 4, 2),  # version needed
    (_LOCAL, 6, 2),  # flags (bit 0: encrypted)
    (_LOCAL, 8, 2),  # compression method
    (_LOCAL, 14, 4),  # CRC
    (_LOCAL, 18, 4),  # compressed size
    (_LOCAL, 22, 4),  # uncompressed size
    (_LOCAL, 26, 2),  # name length
    (_LOCAL, 28, 2),  # extra length
    (_CENTRAL, 4, 2),  # version made by
    (_CENTRAL, 6, 2),  # version needed
    (_CENTRAL, 8, 2),  # flags
    (_CENTRAL, 10, 2),  # compression method
    (_CENTRAL, 20, 4),  # compressed size
    (_CENTRAL, 24, 4),  # uncompressed size
    (_CENTRAL, 28, 2),  # name length
    (_CENTRAL, 30, 2),  # extra length
    (_CENTRAL, 42, 4),  # local header offset
    (_END, 8, 2),  # entries on disk
    (_END, 10, 2),  # entries
    (_END, 12, 4),  # central directory size
    (_END, 16, 4),  # central directory offset
)


def m_zip_headers(rng, seed, _all) -> bytes:
    """A lie in a ZIP header field: version 7.4, an encryption flag, an unknown method, sizes, offsets."""
    data = bytearray(seed.data)
    for _ in range(rng.randint(1, 3)):
        sig, off, width = rng.choice(_ZIP_FIELDS)
        hits = [m.start() for m in re.finditer(re.escape(sig), data)]
        if not hits:
            continue
        at = rng.choice(hits) + off
        if width == 2:
            value = rng.choice((0, 1, 8, 12, 14, 20, 45, 63, 74, 99, 0xFFFF, rng.randrange(1 << 16)))
        else:
            value = rng.choice((0, 1, 0xFFFFFFFF, len(data), len(data) * 1000, rng.randrange(1 << 32)))
        data[at : at + width] = value.to_bytes(width, "little")
    return bytes(data)


def m_zip_members(rng, seed, _all) -> bytes:
    """A DOCX rebuilt with one member replaced: XML soup, deep nesting, entities, huge spans, binary."""
    try:
        src = zipfile.ZipFile(io.BytesIO(seed.data))
        members = [(i, src.read(i)) for i in src.infolist()]
    except Exception:
        return m_zip_headers(rng, seed, _all)
    target = rng.randrange(len(members)) if rng.random() < 0.4 else None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for idx, (info, body) in enumerate(members):
            is_doc = info.filename.endswith("document.xml")
            if idx == target or (target is None and is_doc):
                body = _mutate_xml(rng, body)
            z.writestr(info.filename, body)
    return out.getvalue()


def _mutate_xml(rng: random.Random, body: bytes) -> bytes:
    op = rng.random()
    if op < 0.2:
        cut = rng.randrange(0, len(body) + 1)
        return body[:cut]
    if op < 0.35:
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        )
        return bomb + body.split(b"?>", 1)[-1].replace(b"<w:t>", b"<w:t>&d;", 5)
    if op < 0.5:
        return body.replace(b"<w:body>", b"<w:body>" + b"<w:tbl><w:tr><w:tc>" * rng.randint(100, 3000), 1)
    if op < 0.65:
        return re.sub(rb'w:val="\d+"', lambda m: b'w:val="%d"' % rng.choice((0, -1, 99999999, 2**40)), body)
    if op < 0.8:
        return body.replace(
            b"<w:tc>", b'<w:tc><w:tcPr><w:vMerge w:val="continue"/></w:tcPr>', rng.randint(1, 50)
        )
    data = bytearray(body)
    for _ in range(rng.randint(1, 20)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def m_pdf_xref(rng, seed, _all) -> bytes:
    """Wrong xref offsets, a startxref into nowhere, or the xref table gone."""
    data = seed.data
    op = rng.random()
    if op < 0.4:
        return re.sub(
            rb"\d{10} \d{5} [nf]",
            lambda m: b"%010d 00000 n" % rng.randrange(len(data) * 2) if rng.random() < 0.3 else m.group(0),
            data,
        )
    if op < 0.7:
        return re.sub(rb"startxref\s+\d+", b"startxref\n%d" % rng.randrange(len(data) * 2), data)
    return re.sub(rb"xref.*?trailer", b"trailer", data, count=1, flags=re.S)


def m_pdf_streams(rng, seed, _all) -> bytes:
    """Stream /Length values that lie, endstream removed, bytes flipped inside compressed streams."""
    data = bytearray(seed.data)
    op = rng.random()
    if op < 0.35:
        return re.sub(
            rb"/Length (\d+)",
            lambda m: (
                b"/Length %d" % rng.choice((0, 1, int(m.group(1)) * 3, 2**31, rng.randrange(100000)))
                if rng.random() < 0.3
                else m.group(0)
            ),
            bytes(data),
        )
    if op < 0.55:
        hits = [m.start() for m in re.finditer(rb"endstream", data)]
        for at in rng.sample(hits, min(len(hits), rng.randint(1, 5))):
            data[at : at + 9] = b"endstrean"
        return bytes(data)
    starts = [m.end() for m in re.finditer(rb"stream\r?\n", data)]
    for _ in range(rng.randint(1, 30)):
        if starts:
            at = rng.choice(starts) + rng.randrange(0, 200)
            if at < len(data):
                data[at] = rng.randrange(256)
    return bytes(data)


def m_pdf_objects(rng, seed, _all) -> bytes:
    """Object-level damage: page counts, kids, types, filters, object numbers."""
    data = seed.data
    subs = (
        (rb"/Count \d+", lambda m: b"/Count %d" % rng.choice((0, 1, 10**6, 2**31 - 1, -1))),
        (rb"/Type\s*/Page\b", lambda m: b"/Type /Pagx"),
        (rb"/Kids\s*\[", lambda m: b"/Kids [1 0 R 1 0 R "),
        (rb"/Filter\s*/FlateDecode", lambda m: rng.choice((b"/Filter /LZWDecode", b"/Filter /Nope", b""))),
        (rb"(\d+) 0 obj", lambda m: b"%d 0 obj" % rng.randrange(1, 50)),
        (
            rb"/MediaBox\s*\[[^\]]*\]",
            lambda m: rng.choice((b"/MediaBox [0 0 0 0]", b"/MediaBox [0 0 1e9 1e9]")),
        ),
        (rb"/Font\s*<<", lambda m: b"/Font << /F0 0 0 R "),
    )
    pattern, repl = rng.choice(subs)
    hits = list(re.finditer(pattern, data))
    if not hits:
        return m_bitflip(rng, seed, _all)
    chosen = {id(h) for h in rng.sample(hits, min(len(hits), rng.randint(1, 4)))}
    out, last = [], 0
    for h in hits:
        if id(h) in chosen:
            out += [data[last : h.start()], repl(h)]
            last = h.end()
    out.append(data[last:])
    return b"".join(out)


def m_bitflip(rng, seed, _all) -> bytes:
    data = bytearray(seed.data)
    for _ in range(rng.randint(1, 32)):
        at = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[at] ^= 1 << rng.randrange(8)
        else:
            data[at] = rng.choice(_INTERESTING)
    return bytes(data)


def m_truncate(rng, seed, _all) -> bytes:
    data = seed.data
    cut = rng.randrange(1, max(2, len(data)))
    return data[:cut] if rng.random() < 0.8 else data[cut:]


def m_chunks(rng, seed, _all) -> bytes:
    """A block deleted, duplicated or moved."""
    data = bytearray(seed.data)
    n = len(data)
    a = rng.randrange(n)
    b = min(n, a + rng.randint(1, max(1, n // 20)))
    block = data[a:b]
    op = rng.random()
    if op < 0.4:
        del data[a:b]
    elif op < 0.8:
        data[a:a] = block * rng.randint(1, 8)
    else:
        del data[a:b]
        at = rng.randrange(len(data) + 1)
        data[at:at] = block
    return bytes(data)


def m_splice(rng, seed, all_seeds) -> bytes:
    """The head of one file on the tail of another (often of another format)."""
    other = rng.choice(all_seeds)
    a = rng.randrange(1, max(2, len(seed.data)))
    b = rng.randrange(0, max(1, len(other.data)))
    return seed.data[:a] + other.data[b:]


# mutator → (weight, seed kinds it applies to; empty = any)
MUTATORS: dict[str, tuple[Mutator, float, tuple[str, ...]]] = {
    "reencode": (m_reencode, 3, ("text", "html")),
    "bom_mismatch": (m_bom_mismatch, 3, ("text", "html")),
    "utf16_damage": (m_utf16_damage, 3, ("text", "html")),
    "mixed_encodings": (m_mixed_encodings, 2, ("text", "html")),
    "controls": (m_controls, 2, ("text", "html")),
    "tag_soup": (m_tag_soup, 3, ("html",)),
    "zip_headers": (m_zip_headers, 3, ("docx",)),
    "zip_members": (m_zip_members, 2, ("docx",)),
    "pdf_xref": (m_pdf_xref, 1, ("pdf",)),
    "pdf_streams": (m_pdf_streams, 1.5, ("pdf",)),
    "pdf_objects": (m_pdf_objects, 1.5, ("pdf",)),
    "bitflip": (m_bitflip, 3, ()),
    "truncate": (m_truncate, 2, ()),
    "chunks": (m_chunks, 2, ()),
    "splice": (m_splice, 1, ()),
}


# Share of inputs per seed kind: the fast readers dominate (a PDF input costs ~10-100x a text one).
KIND_WEIGHTS = {"text": 0.45, "html": 0.27, "docx": 0.2, "pdf": 0.05, "other": 0.03}


def make_input(seeds: list[Seed], seed: int, i: int) -> tuple[bytes, str, str]:
    """Input number ``i`` of the campaign ``seed``: (bytes, name, mutator). Each input has its own
    random stream, so any one can be made again alone (the recipes in tests/fuzz_regressions)."""
    by_kind: dict[str, list[Seed]] = {}
    for s in seeds:
        by_kind.setdefault(s.kind, []).append(s)
    kinds = [k for k in KIND_WEIGHTS if k in by_kind]
    rng = random.Random(f"{seed}:{i}")
    s = rng.choice(by_kind[rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]])
    names = [k for k, (_, _, ks) in MUTATORS.items() if not ks or s.kind in ks]
    name = rng.choices(names, weights=[MUTATORS[k][1] for k in names])[0]
    data = MUTATORS[name][0](rng, s, seeds)
    if rng.random() < 0.1:  # stack a second, generic mutation
        data = m_bitflip(rng, Seed(s.name, data or b"\0", s.kind), seeds)
    return data, f"fuzz-{seed}-{i}-{name}-{s.name}", name


def generate(seeds: list[Seed], n: int, seed: int) -> Iterator[tuple[bytes, str, str]]:
    """``n`` mutated inputs: (bytes, name, mutator), deterministic for a given ``seed``."""
    for i in range(n):
        yield make_input(seeds, seed, i)


def recipe_input(recipe: dict, seeds: list[Seed]) -> bytes:
    """The bytes a saved recipe stands for, made again from the seeds (checked against its hash)."""
    data, _, _ = make_input(seeds, recipe["seed"], recipe["index"])
    if hashlib.sha256(data).hexdigest() != recipe["sha256"]:
        raise ValueError(f"recipe {recipe} no longer gives its input (seeds or mutators changed)")
    return data


# ---------------------------------------------------------------- campaign


@dataclass
class Campaign:
    inputs: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_mutator: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # signature → count
    saved: list[str] = field(default_factory=list)
    peak_rss_kb: int = 0
    slowest: float = 0.0
    seconds_by_mutator: Counter = field(default_factory=Counter)


def save_failure(
    job: tuple[bytes, str, str], out: Outcome, campaign: Campaign, folder: Path, per_signature: int = 3
) -> None:
    """Keep a failing input as a recipe (campaign seed and index, and the input's hash): inputs derive
    from ../shared files, whose text is not copied into the repository; the test makes them again."""
    data, name, _ = job
    campaign.failures[out.signature] += 1
    if campaign.failures[out.signature] > per_signature:
        return
    folder.mkdir(parents=True, exist_ok=True)
    _, seed, index = name.split("-")[:3]
    sig = re.sub(r"[^A-Za-z0-9]+", "-", out.signature).strip("-")[:60]
    sha = hashlib.sha256(data).hexdigest()
    path = folder / f"{out.kind}-{sig}-{sha[:10]}.recipe.json"
    recipe = {
        "seed": int(seed),
        "index": int(index),
        "sha256": sha,
        "input": name,
        "outcome": out.detail[:300],
    }
    path.write_text(json.dumps(recipe, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    campaign.saved.append(path.name)


def campaign(args: argparse.Namespace) -> Campaign:
    _preload()
    seeds = load_seeds(Path(args.shared))
    c = Campaign()
    t0 = time.monotonic()
    report_every = max(1000, args.inputs // 50)

    def on_result(job: tuple[bytes, str, str], out: Outcome) -> None:
        _, name, mutator = job
        c.inputs += 1
        c.outcomes[out.kind] += 1
        c.by_mutator[mutator] += 1
        c.peak_rss_kb = max(c.peak_rss_kb, out.maxrss_kb)
        c.slowest = max(c.slowest, out.seconds)
        c.seconds_by_mutator[mutator] += out.seconds
        if out.kind not in PASS:
            save_failure(job, out, c, Path(args.out))
            print(f"FAIL {out.kind} {out.signature} {name}: {out.detail[:200]}", flush=True)
        if c.inputs % report_every == 0:
            rate = c.inputs / (time.monotonic() - t0)
            rss = c.peak_rss_kb / 1024
            print(f"{c.inputs} inputs, {rate:.0f}/s, {dict(c.outcomes)}, peak RSS {rss:.0f} MB", flush=True)

    stop = []  # SIGTERM / Ctrl-C: finish what is in flight and print the figures so far

    def halt(signum, frame) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, halt)
    signal.signal(signal.SIGINT, halt)
    jobs = itertools.takewhile(lambda _: not stop, generate(seeds, args.inputs, args.seed))
    limits = fuzz_limits(args.max_seconds, args.max_ocr_pages)
    run_all(
        jobs,
        workers=args.jobs,
        timeout=args.timeout,
        memory_mb=args.memory,
        limits=limits,
        on_result=on_result,
    )
    seconds = time.monotonic() - t0
    summary = {
        "inputs": c.inputs,
        "stopped_early": bool(stop),
        "seconds": round(seconds, 1),
        "rate_per_s": round(c.inputs / seconds, 1),
        "outcomes": dict(c.outcomes),
        "by_mutator": dict(c.by_mutator),
        "ms_per_input_by_mutator": {
            k: round(1000 * c.seconds_by_mutator[k] / n, 1) for k, n in c.by_mutator.items()
        },
        "limits": {"max_seconds": args.max_seconds, "max_ocr_pages": args.max_ocr_pages},
        "failure_signatures": dict(c.failures),
        "saved": c.saved,
        "peak_worker_rss_mb": round(c.peak_rss_kb / 1024, 1),
        "slowest_passing_input_s": round(c.slowest, 2),
        "seeds": len(seeds),
        "timeout_s": args.timeout,
        "memory_mb": args.memory,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return c


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="a mutation campaign")
    r.add_argument("--inputs", type=int, default=10_000)
    r.add_argument("--jobs", type=int, default=1)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--shared", default=str(ROOT.parent / "shared"))
    r.add_argument("--out", default=str(REGRESSIONS))
    r.add_argument("--timeout", type=float, default=TIMEOUT)
    r.add_argument("--memory", type=int, default=MEMORY_MB, help="MiB of address space per worker")
    for q in (r, rp := sub.add_parser("replay", help="run saved inputs under the same limits")):
        q.add_argument("--max-seconds", type=float, default=MAX_SECONDS, help="ReadLimits.seconds per file")
        q.add_argument("--max-ocr-pages", type=int, default=MAX_OCR_PAGES, help="ReadLimits.ocr_pages")
    rp.add_argument("--shared", default=str(ROOT.parent / "shared"))
    rp.add_argument("paths", nargs="+")
    rp.add_argument("--timeout", type=float, default=TIMEOUT)
    rp.add_argument("--memory", type=int, default=MEMORY_MB)
    args = p.parse_args(argv)
    if args.cmd == "run":
        c = campaign(args)
        return 0 if all(k in PASS for k in c.outcomes) else 1
    files = [
        f for raw in args.paths for f in (sorted(Path(raw).iterdir()) if Path(raw).is_dir() else [Path(raw)])
    ]
    results = replay(
        [f for f in files if f.is_file()],
        timeout=args.timeout,
        memory_mb=args.memory,
        limits=fuzz_limits(args.max_seconds, args.max_ocr_pages),
        shared=Path(args.shared),
    )
    bad = 0
    for name, out in sorted(results.items()):
        bad += out.kind not in PASS
        print(f"{out.kind:8} {out.seconds:6.2f}s {name}  {out.detail[:120]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
