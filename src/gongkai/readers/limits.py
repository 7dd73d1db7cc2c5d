"""Bounded work per file: how many pages may be OCR'd, how long a file may take, how much memory.

``ReadLimits`` is the typed options object (CLI: ``--max-seconds``, ``--max-ocr-pages``,
``--max-memory``). ``read_bytes(..., limits=...)`` opens a ``Budget`` for the file, which the readers
consult through ``current()`` without every reader signature having to carry it: the PDF reader checks
the clock before each page and asks before OCR'ing one. Time is also enforced where the readers are not
looking (inside a long OCR call, a pathological table): in the main thread of a process, a SIGALRM timer
raises ``OverBudget`` at the deadline. Memory is capped per worker process (RLIMIT_AS, set by the
executors), never in a caller's own process.

A file over budget raises ``OverBudget``: a ``GongkaiError``, so a batch records it as that file's
failure (with the pages read so far in its text) and goes on.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from ..errors import UnreadableFile

DEFAULT_SECONDS = 600.0  # 50 OCR pages at ~6 s each on one core, with room for a slower or busy machine
DEFAULT_OCR_PAGES = 50  # a scanned report is far shorter; a scanned book is not read whole
DEFAULT_MEMORY_MB = 4096  # address space per worker; OCR alone maps ~1 GB
OCR_SECONDS_GUESS = 1.5  # an A4 page at 200 dpi on one core, before this file has timed one


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per-file budget. ``None`` (or 0) switches a limit off."""

    seconds: float | None = DEFAULT_SECONDS
    ocr_pages: int | None = DEFAULT_OCR_PAGES
    memory_mb: int | None = DEFAULT_MEMORY_MB


UNLIMITED = ReadLimits(None, None, None)


class OverBudget(UnreadableFile):
    """The file needed more time, OCR pages or memory than its ``ReadLimits`` allow."""


@dataclass(slots=True)
class Budget:
    """One file's running account against its limits."""

    source: str
    limits: ReadLimits
    started: float = field(default_factory=time.monotonic)
    pages_read: int = 0  # pages (or images) read so far, said in the failure
    ocr_done: int = 0
    ocr_denied: int = 0  # pages that needed OCR and were left unread (over the cap or the clock)
    timed_out: bool = False  # the deadline timer fired
    ocr_seconds: float = 0.0  # spent on OCR'd pages so far
    _ocr_start: float | None = None

    @property
    def deadline(self) -> float | None:
        return self.started + self.limits.seconds if self.limits.seconds else None

    def check_time(self) -> None:
        """Raise ``OverBudget`` once the file has had its time."""
        deadline = self.deadline
        if deadline is not None and time.monotonic() >= deadline:
            raise self.over_time()

    def over_time(self) -> OverBudget:
        s = self.limits.seconds or 0
        read_zh = f"，已读取 {self.pages_read} 页" if self.pages_read else ""
        read_en = f"; {self.pages_read} page(s) read" if self.pages_read else ""
        return OverBudget(
            self.source,
            f"超出单个文件的处理时限（{s:g} 秒{read_zh}），未完成读取（可用 --max-seconds 调整）",
            f"over the per-file time limit ({s:g} s{read_en}); not read to the end (see --max-seconds)",
        )

    def take_ocr_page(self) -> bool:
        """May one more page be OCR'd? Counts it if so."""
        return self.deny_ocr(0) is None

    def deny_ocr(self, page: int) -> str | None:
        """Why page ``page`` may not be OCR'd (a warning for the document), or None after counting it.

        Beyond the page cap, or when the time left is less than an OCR'd page is expected to take (the
        pages this file has had so far, or ``OCR_SECONDS_GUESS``): one OCR call cannot be interrupted,
        so it is not started where it would overrun the deadline."""
        cap = self.limits.ocr_pages
        if cap is not None and self.ocr_done >= cap:
            self.ocr_denied += 1
            return f"第{page}页无文字层，已超过 OCR 页数上限（{cap} 页），未识别"
        deadline = self.deadline
        if deadline is not None:
            expected = self.ocr_seconds / self.ocr_done if self.ocr_done else OCR_SECONDS_GUESS
            if deadline - time.monotonic() < expected:
                self.ocr_denied += 1
                return (
                    f"第{page}页无文字层，剩余处理时间不足以 OCR（上限 {self.limits.seconds:g} 秒），未识别"
                )
        self.ocr_done += 1
        self._ocr_start = time.monotonic()
        return None

    def ocr_finished(self) -> None:
        """The page allowed by ``deny_ocr`` is done: its time tells the next page's estimate."""
        if self._ocr_start is not None:
            self.ocr_seconds += time.monotonic() - self._ocr_start
            self._ocr_start = None


_current: ContextVar[Budget | None] = ContextVar("gongkai_read_budget", default=None)


def current(source: str = "") -> Budget:
    """The budget of the file being read; outside ``budget()``, a fresh one with the default limits."""
    b = _current.get()
    return b if b is not None else Budget(source, ReadLimits(memory_mb=None))


@contextlib.contextmanager
def budget(limits: ReadLimits | None, source: str) -> Iterator[Budget]:
    """Account one file's reading against ``limits`` (defaults when ``None``)."""
    b = Budget(source, limits or ReadLimits())
    token = _current.set(b)
    try:
        with _alarm(b):
            yield b
    except OverBudget:
        raise
    except Exception as e:
        if b.timed_out:  # the deadline's exception, wrapped by a library it went through (rapidocr)
            raise b.over_time() from e
        if not out_of_memory(e):
            raise
        # the worker's address-space cap (RLIMIT_AS), or a real shortage
        mb = b.limits.memory_mb
        cap_zh, cap_en = (f"（上限 {mb} MB）", f" ({mb} MB)") if mb else ("", "")
        raise OverBudget(
            source,
            f"读取时内存不足{cap_zh}，未完成读取（可用 --max-memory 调整）",
            f"out of memory while reading{cap_en}; not read to the end (see --max-memory)",
        ) from e
    finally:
        _current.reset(token)


# How native code (onnxruntime, pdfium, libstdc++) reports a failed allocation through Python.
_NATIVE_OOM = re.compile(r"bad_alloc|Failed to allocate memory|out of memory|Cannot allocate memory", re.I)


def out_of_memory(e: BaseException) -> bool:
    """A MemoryError, or a native library's allocation failure wrapped in its own exception type."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, MemoryError) or _NATIVE_OOM.search(str(e)):
            return True
        e = e.__cause__ or e.__context__  # type: ignore[assignment]
    return False


def active() -> Budget | None:
    """The budget open in this context, if any."""
    return _current.get()


@contextlib.contextmanager
def _alarm(b: Budget) -> Iterator[None]:
    """A SIGALRM at the deadline, where one can be had: the main thread, no other timer in use."""
    seconds = b.limits.seconds
    usable = (
        seconds
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    if not usable:
        yield
        return

    def fire(signum, frame) -> None:
        b.timed_out = True
        raise b.over_time()

    previous = signal.signal(signal.SIGALRM, fire)
    # again every second after the deadline, in case a library swallowed the first one
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
