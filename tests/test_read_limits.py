"""Bounded work per file (ReadLimits): OCR pages, seconds and worker memory, on generated inputs.

A 300-page image PDF and a damaged one are made here at test time (PIL → PDF); each is read within
its budget, as a recorded failure or a partial read, and the batch around them is done.
"""

from __future__ import annotations

import functools
import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from gongkai.executors import LocalExecutor
from gongkai.ingest import ingest
from gongkai.readers import read_bytes
from gongkai.readers.limits import Budget, OverBudget, ReadLimits, budget
from gongkai.store import Store

from .conftest import seed_path


def image_pdf(pages: int) -> bytes:
    """``pages`` scanned-looking pages: each an image (a ruled box and bars), no text layer."""
    frames = []
    for i in range(pages):
        img = Image.new("L", (420, 594), 255)
        d = ImageDraw.Draw(img)
        d.rectangle((40, 60, 380, 300), outline=0, width=2)
        for y in range(100, 300, 40):
            d.line((40, y, 380, y), fill=0, width=1)
        d.rectangle((60, 330, 60 + (i % 7) * 40, 345), fill=0)
        frames.append(img)
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", save_all=True, append_images=frames[1:], resolution=72)
    return buf.getvalue()


def damage(pdf: bytes) -> bytes:
    """A startxref into nowhere and the xref offsets wrong: pdfium must rebuild the structure."""
    pdf = re.sub(rb"startxref\s+\d+", b"startxref\n999999", pdf)
    return re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m.group(1)) + 7), pdf)


@pytest.fixture(scope="module")
def big_scan() -> bytes:
    return image_pdf(300)


def _ocr_counts(warnings: list[str]) -> tuple[int, int]:
    done = sum(1 for w in warnings if w.endswith("已用 OCR 识别"))
    skipped = sum(1 for w in warnings if "OCR 页数上限" in w)
    return done, skipped


def test_ocr_pages_are_capped_per_file(big_scan: bytes) -> None:
    doc = read_bytes(big_scan, "scan300.pdf", ReadLimits(seconds=None, ocr_pages=2))
    assert doc.pages == 300
    assert _ocr_counts(doc.warnings) == (2, 298)  # two pages read, the rest said and skipped


def test_a_file_over_its_time_is_a_clear_failure_naming_the_pages_read() -> None:
    b = Budget("slow.pdf", ReadLimits(seconds=0.01))
    b.pages_read = 12
    time.sleep(0.02)
    with pytest.raises(OverBudget) as e:
        b.check_time()
    assert (
        e.value.problem
        == "超出单个文件的处理时限（0.01 秒，已读取 12 页），未完成读取（可用 --max-seconds 调整）"
    )
    assert e.value.problem_en.startswith("over the per-file time limit (0.01 s; 12 page(s) read)")


def test_the_deadline_interrupts_code_that_never_checks_the_clock() -> None:
    with pytest.raises(OverBudget, match=r"处理时限（0\.3 秒"), budget(ReadLimits(seconds=0.3), "loop.txt"):
        while True:  # a reader stuck in a loop of its own
            pass


def test_ocr_is_not_started_without_time_for_a_page(big_scan: bytes) -> None:
    """Once the time left is less than a page's OCR took, the rest is said and skipped: a partial
    read within the budget (or, if one OCR call overruns it, a clear failure)."""
    try:
        doc = read_bytes(big_scan, "scan300.pdf", ReadLimits(seconds=2, ocr_pages=None))
    except OverBudget as e:
        assert "超出单个文件的处理时限（2 秒" in e.problem
        return
    done, _ = _ocr_counts(doc.warnings)
    no_time = sum(1 for w in doc.warnings if "剩余处理时间不足以 OCR" in w)
    assert done < 300 and done + no_time == 300


def test_damaged_scan_is_repaired_and_stays_within_its_budget(big_scan: bytes) -> None:
    bad = damage(big_scan)
    assert bad != big_scan
    doc = read_bytes(bad, "damaged.pdf", ReadLimits(seconds=None, ocr_pages=3))
    assert doc.pages == 300  # pdfium rebuilt the page tree from the objects
    assert _ocr_counts(doc.warnings) == (3, 297)


def test_budget_is_the_files_own(big_scan: bytes) -> None:
    """Each file starts its own account: the second file is not charged for the first."""
    limits = ReadLimits(seconds=None, ocr_pages=1)
    for name in ("a.pdf", "b.pdf"):
        doc = read_bytes(big_scan[: len(big_scan)], name, limits)
        assert _ocr_counts(doc.warnings)[0] == 1


def _allocate_in_budget(megabytes: int, cap: int = 700) -> int:
    with budget(ReadLimits(seconds=None, ocr_pages=None, memory_mb=cap), "huge.txt"):
        block = bytearray(megabytes * 1024 * 1024)
        return len(block)


def _mapped_mb() -> int:
    """This process's address space now (a forked worker starts with all of it)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmSize:"))


def test_worker_memory_cap_gives_a_clear_failure_and_the_worker_goes_on() -> None:
    # The cap is the worker's whole address space, which it inherits from this test process: give it
    # 700 MB over what earlier tests left mapped here (OCR models, page images), or 16 MB may not fit.
    cap = _mapped_mb() + 700
    ex = LocalExecutor(1, limits=ReadLimits(memory_mb=cap))
    try:
        results = dict(ex.map(functools.partial(_allocate_in_budget, cap=cap), [2048, 16]))
    finally:
        ex.close()
    err = results[2048]
    assert isinstance(err, OverBudget), err
    assert f"内存不足（上限 {cap} MB）" in err.problem and "out of memory" in err.problem_en
    assert results[16] == 16 * 1024 * 1024  # the next item in the same pool is fine


def test_budget_outside_any_limits_uses_the_defaults() -> None:
    b = Budget("x", ReadLimits())
    assert (b.limits.seconds, b.limits.ocr_pages, b.limits.memory_mb) == (600.0, 50, 4096)
    assert [b.take_ocr_page() for _ in range(51)].count(True) == 50


def test_batch_with_a_huge_scan_and_a_damaged_pdf_is_done(tmp_path: Path, big_scan: bytes) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan300.pdf").write_bytes(big_scan)
    (folder / "damaged.pdf").write_bytes(damage(image_pdf(40)))
    (folder / "good.txt").write_bytes(seed_path("000").read_bytes())
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    limits = ReadLimits(seconds=20, ocr_pages=2, memory_mb=4096)
    stats = ingest([folder], store, workers=2, limits=limits)
    assert stats.files == 3 and stats.done == 3
    assert stats.ingested == 1  # the real report
    failures = {Path(f["path"]).name: f for f in store.failures.list()}
    assert set(failures) == {"scan300.pdf", "damaged.pdf"}  # images without a report: recorded, with why
    for f in failures.values():
        # over its time (the OCR model loads on a busy machine), over its memory (a CI runner's onnxruntime
        # reserved more address space: std::bad_alloc), or read within both and found not a report
        assert any(
            why in f["error"]
            for why in (
                "超出单个文件的处理时限（20 秒",
                "读取时内存不足（上限 4096 MB）",
                "不是政府信息公开工作年度报告",
            )
        ), f
        assert any(why in f["error_en"] for why in ("time limit", "out of memory", "not an annual report")), f
        assert "Traceback" not in f["error"] and "\n" not in f["error"], f  # one line a user can act on
    store.close()


def test_check_command_takes_the_limits(tmp_path: Path, big_scan: bytes) -> None:
    from typer.testing import CliRunner

    from gongkai.cli import app

    (tmp_path / "scan.pdf").write_bytes(big_scan)
    res = CliRunner().invoke(app, ["check", str(tmp_path), "--max-seconds", "0.001", "--max-ocr-pages", "0"])
    assert res.exit_code == 2
    assert "超出单个文件的处理时限（0.001 秒" in res.output


def test_ingest_command_passes_the_limits_to_its_workers(tmp_path: Path, big_scan: bytes) -> None:
    from typer.testing import CliRunner

    from gongkai.cli import app

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(big_scan)
    (folder / "scan2.pdf").write_bytes(big_scan + b"\n")
    db = f"sqlite:///{tmp_path / 'g.db'}"
    args = ["ingest", str(folder), "--db", db, "-j", "2", "--max-seconds", "0.001", "--max-memory", "3000"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output  # the files failed, the batch was done
    store = Store.open(db)
    failures = store.failures.list()
    assert sorted(Path(f["path"]).name for f in failures) == ["scan.pdf", "scan2.pdf"]
    for f in failures:  # the limit reached the worker processes
        assert "超出单个文件的处理时限（0.001 秒" in f["error"] and "(0.001 s" in f["error_en"]
    store.close()


def test_a_native_allocation_failure_is_the_memory_budget() -> None:
    """onnxruntime under RLIMIT_AS raises its own exception carrying std::bad_alloc, not MemoryError."""

    class NativeFail(RuntimeError):
        pass

    with pytest.raises(OverBudget) as e, budget(ReadLimits(seconds=None, memory_mb=512), "scan.pdf"):
        raise NativeFail(
            "Traceback (most recent call last):\n  ...\nFail: [ONNXRuntimeError] : 1 : FAIL : std::bad_alloc\n"
        )
    assert "读取时内存不足（上限 512 MB）" in e.value.problem and "scan.pdf" in str(e.value)
    # anything else passes through untouched
    with pytest.raises(ValueError), budget(ReadLimits(seconds=None), "x.pdf"):
        raise ValueError("not memory")
