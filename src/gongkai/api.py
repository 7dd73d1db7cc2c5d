"""The Python API. The CLI mirrors it: ``parse`` → ``gongkai parse``, ``check_paths`` → ``gongkai check``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .document import PDF_REPAIRED, Document
from .errors import GongkaiError, NotAReport, UnreadableFile, unexpected
from .extract import extract
from .readers import parse_text as _parse_text
from .readers import read_bytes
from .readers.limits import ReadLimits, budget
from .report import Report
from .rules import check

# Bigger than any real report (the largest seen are a few MB of PDF); guards memory in a batch.
MAX_BYTES = 200 * 1024 * 1024


def read(path: str | Path, limits: ReadLimits | None = None) -> Document:
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise UnreadableFile(str(p), f"无法打开文件：{e.strerror}", f"cannot open: {e.strerror}") from e
    if size > MAX_BYTES:
        raise UnreadableFile(str(p), f"文件过大（{size} 字节）", f"file too large ({size} bytes)")
    return read_bytes(p.read_bytes(), str(p), limits)


def parse_document(doc: Document) -> Report:
    """Extract and check a read document. Raises ``NotAReport`` when it is not an annual report."""
    report = extract(doc)
    report.encoding, report.replaced_chars = doc.encoding, doc.replaced_chars
    report.text_layer, report.page_layers = doc.text_layer, doc.page_layers
    _ensure_report(doc, report)
    return check(report)


def parse(path: str | Path, limits: ReadLimits | None = None) -> Report:
    """Read, extract and check one file, within ``limits`` (time, OCR pages; see ``ReadLimits``)."""
    with budget(limits, str(path)):
        return parse_document(read(path))


def parse_bytes(data: bytes, source: str = "<bytes>", limits: ReadLimits | None = None) -> Report:
    with budget(limits, source):
        return parse_document(read_bytes(data, source))


def parse_text(text: str, source: str = "<text>") -> Report:
    return parse_document(_parse_text(text, source))


def _ensure_report(doc: Document, report: Report) -> None:
    has_cells = any(c.prov is not None for c in report.cells.values())
    # A title alone is not enough: a README or a news item may name the report; the report has its parts.
    has_sections = sum(1 for s in report.sections if s.id) >= 2
    if not (has_cells or has_sections) and doc.scan_problem:
        raise UnreadableFile(doc.source, *doc.scan_problem)  # a scan too coarse to read, not "not a report"
    if not (has_cells or has_sections) and not doc.blocks and doc.text_layer != "ok" and not doc.ocr_skipped:
        raise UnreadableFile(  # a scan in which OCR found nothing: say so, not "not a report"
            doc.source,
            "扫描件中未识别出任何文字或表格（页面空白，或不是文字）",
            "no text or table found in the scan (its pages are blank or hold no text)",
        )
    if not (has_cells or has_sections):
        if PDF_REPAIRED in doc.warnings:  # a truncated download: say so, not "not a report"
            raise UnreadableFile(
                doc.source,
                "PDF 文件不完整或已损坏：修复后读到的部分中没有报告标题、规定章节或统计表",
                "truncated or damaged PDF: the part recovered by repair has no report title, sections or tables",
            )
        raise NotAReport(
            doc.source,
            "不是政府信息公开工作年度报告：未找到报告标题、规定章节或统计表",
            "not an annual report: no title, sections or statistical tables found",
        )


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named, and every file under folders named (recursively, hidden ones skipped), in order."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    yield f
        else:
            yield p


@dataclass(slots=True)
class Result:
    path: Path
    report: Report | None = None
    error: GongkaiError | None = None


def check_paths(paths: Iterable[str | Path], limits: ReadLimits | None = None) -> Iterator[Result]:
    """Parse and check every file; one bad file (or one over its ``limits``) never stops the batch."""
    for f in iter_files(paths):
        try:
            yield Result(f, parse(f, limits))
        except GongkaiError as e:
            yield Result(f, error=e)
        except Exception as e:  # a reader bug must not stop the batch either; say which file
            yield Result(f, error=unexpected(str(f), e))
