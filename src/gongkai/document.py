"""The neutral document every reader produces: ordered headings, paragraphs and tables.

Readers know file formats and nothing about annual reports; extraction knows annual reports and
nothing about file formats. This module is the boundary between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TextLayer = Literal["ok", "garbled", "ocr"]
PageLayer = Literal["ok", "garbled", "ocr", "empty"]  # "empty": no text and nothing to OCR


@dataclass(slots=True)
class Provenance:
    """Where a piece of text came from. Line numbers are 1-based; page numbers 1-based."""

    file: str = ""
    line: int | None = None
    line_end: int | None = None
    offset: int | None = None  # character offset within the line (text that lost its line breaks)
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 on the page
    table: int | None = None  # index of the table in the document
    row: int | None = None
    col: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) not in (None, "")}

    def describe(self, lang: str = "zh") -> str:
        """Short human form: ``第3页 第12行 表2第4行第5列`` / ``p.3 L12 table 2 r4c5``."""
        zh = lang == "zh"
        parts = []
        if self.page is not None:
            parts.append(f"第{self.page}页" if zh else f"p.{self.page}")
        if self.line is not None:
            end = f"-{self.line_end}" if self.line_end not in (None, self.line) else ""
            parts.append(f"第{self.line}{end}行" if zh else f"L{self.line}{end}")
            if self.offset is not None:
                parts.append(f"第{self.offset + 1}字" if zh else f"char {self.offset + 1}")
        if self.table is not None and self.row is not None:
            t, r, c = self.table + 1, self.row + 1, (self.col or 0) + 1
            parts.append(f"表{t}第{r}行第{c}列" if zh else f"table {t} r{r}c{c}")
        return " ".join(parts)


@dataclass(slots=True)
class TableCell:
    text: str
    prov: Provenance
    rowspan: int = 1
    colspan: int = 1
    confidence: float | None = None  # OCR


@dataclass(slots=True)
class Table:
    """A table as rows of cells. Cells keep their spans; ``grid`` is False when the reader could not
    establish real column positions (text layouts), so a cell's index in its row says little."""

    rows: list[list[TableCell]] = field(default_factory=list)
    grid: bool = False
    prov: Provenance = field(default_factory=Provenance)
    kind: Literal["table"] = "table"

    @property
    def text(self) -> str:
        return "\n".join("\t".join(c.text for c in row) for row in self.rows)


@dataclass(slots=True)
class Paragraph:
    text: str
    prov: Provenance
    kind: Literal["paragraph", "heading"] = "paragraph"
    level: int = 0  # heading level when known (markdown #, HTML h1..h6, DOCX Heading n)


Block = Paragraph | Table


# The warning of a PDF read only after a repair pass (readers.pdf): pages past the damage are lost.
PDF_REPAIRED = "PDF 文件已损坏，已自动修复（qpdf）后读取，内容可能不完整"


@dataclass(slots=True)
class Document:
    """A read file: its blocks in reading order plus facts about the file itself."""

    source: str
    blocks: list[Block] = field(default_factory=list)
    media_type: str = "text/plain"
    encoding: str | None = None
    replaced_chars: int = 0  # bytes no candidate encoding could decode, shown as U+FFFD (last resort)
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    # Where the text came from: "ok" (the file's own text), "ocr" (no text layer: read by OCR),
    # "garbled" (a PDF text layer that was mojibake, its pages read by OCR instead). Per page for PDFs.
    text_layer: TextLayer = "ok"
    page_layers: list[PageLayer] | None = None
    ocr_skipped: int = 0  # pages that needed OCR and were left unread by the file's limits
    scan_problem: tuple[str, str] | None = None  # (zh, en): why OCR may have read nothing (resolution)

    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def text(self) -> str:
        """All text in reading order, tables included (cells tab-separated, one row a line)."""
        return "\n".join(b.text for b in self.blocks)
