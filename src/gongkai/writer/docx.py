"""DOCX writer (python-docx): A4, CJK fonts set for East Asian text, tables with real merged cells."""

from __future__ import annotations

import io
from typing import Any

from ..report import Report
from .layout import Grid, origins, page, width

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"


def _east_asia(run: Any, font: str) -> None:
    """Word picks the East Asian font from rFonts/@w:eastAsia; ``run.font.name`` sets only ASCII."""
    from docx.oxml.ns import qn

    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _paragraph(container: Any, text: str, font: str, style: str | None = None) -> Any:
    para = container.add_paragraph(style=style)
    _east_asia(para.add_run(text), font)
    return para


def _table(doc: Any, grid: Grid) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = doc.add_table(rows=len(grid), cols=width(grid))
    table.style = "Table Grid"
    rows = [r.cells for r in table.rows]  # cache: table.cell() is O(n) per call
    for r, col, c in origins(grid):
        cell = rows[r][col]
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(rows[r + c.rowspan - 1][col + c.colspan - 1])
        para = cell.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(c.text)
        _east_asia(run, TABLE_FONT)


def to_docx(report: Report, raw: bool = False) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    p = page(report, raw)
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    head = doc.add_heading(level=0)
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _east_asia(head.add_run(p.title), HEADING_FONT)
    for heading, paras, grid in p.sections:
        _east_asia(doc.add_heading(level=1).add_run(heading), HEADING_FONT)
        for line in paras:
            _paragraph(doc, line, BODY_FONT)
        if grid is not None:
            _table(doc, grid)
    for line in (p.agency, p.date):
        if line:
            _paragraph(doc, line, BODY_FONT).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
