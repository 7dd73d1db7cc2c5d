"""The official-layout writer: any report → HTML, PDF, DOCX or Markdown laid out like the template.

``render(report, "html" | "pdf" | "docx" | "md", raw=False) -> bytes``. The grids come from
``layout``; this module only draws them. Every string is escaped in HTML.
"""

from __future__ import annotations

import io
from html import escape
from pathlib import Path

from ..formats import Format
from ..report import Report
from ..rules.engine import format_of
from .layout import Grid, tables

CSS = """
@page { size: A4; margin: 2.2cm 2cm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; font-size: 11pt; line-height: 1.6; }
h1 { text-align: center; font-size: 18pt; font-weight: bold; }
h2 { font-size: 13pt; font-family: "Noto Sans CJK SC", "SimHei", sans-serif; margin-top: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; font-size: 9.5pt; }
td, th { border: 1px solid #000; padding: 2pt 3pt; text-align: center; vertical-align: middle; }
tr { page-break-inside: avoid; }
th { font-weight: normal; background: #f2f2f2; }
.sign { text-align: right; margin-top: 2em; }
"""


def _title(report: Report) -> str:
    return f"{report.agency.name or ''}{report.year or ''}年政府信息公开工作年度报告"


def _sections(report: Report, fmt: Format) -> list[tuple[str, str, str]]:
    """(id, heading, text) for the six official sections, with the report's narrative where it has one."""
    texts = {s.id: s.text for s in report.sections if s.id}
    return [(s.id, f"{s.ordinal}、{s.title.text}", texts.get(s.id, "")) for s in fmt.sections]


def html_table(grid: Grid, marks: dict[str, str] | None = None, titles: dict[str, str] | None = None) -> str:
    """One grid as an HTML table; ``marks`` adds a CSS class and ``titles`` a tooltip to cells by cell ID
    (the workbench marks the cells a finding names and shows where each number came from)."""
    marks, titles = marks or {}, titles or {}
    out = ["<table>"]
    for row in grid:
        out.append("<tr>")
        for c in row:
            tag = "th" if c.header else "td"
            span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                f' colspan="{c.colspan}"' if c.colspan > 1 else ""
            )
            ident = ""
            if c.cell_id:
                ident = f' data-cell="{c.cell_id}"'
                if c.cell_id in marks:
                    ident += f' class="{escape(marks[c.cell_id])}"'
                if c.cell_id in titles:
                    ident += f' title="{escape(titles[c.cell_id])}"'
            out.append(f"<{tag}{span}{ident}>{escape(c.text)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def to_html(report: Report, raw: bool = False) -> str:
    fmt = format_of(report)
    grids = tables(fmt, report, raw)
    parts = [
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(_title(report))}</title>',
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(_title(report))}</h1>",
    ]
    for sid, heading, text in _sections(report, fmt):
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip()]
        if sid in grids:
            parts.append(html_table(grids[sid]))
    date = report.signature_date
    sign = f"{date.year}年{date.month}月{date.day}日" if date else ""
    parts.append(f'<p class="sign">{escape(report.agency.name or "")}<br>{escape(sign)}</p></body></html>')
    return "".join(parts)


def _flat(grid: Grid) -> list[list[str]]:
    """The grid with every covered slot filled by its spanning cell's text (Markdown has no spans)."""
    width = sum(c.colspan for c in grid[0]) if grid else 0
    taken: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            while (r, col) in taken:
                col += 1
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    taken[(r + dr, col + dc)] = c.text if (dr, dc) == (0, 0) or not c.cell_id else ""
            col += c.colspan
    width = max(width, max((k[1] for k in taken), default=-1) + 1)
    return [[taken.get((r, c), "") for c in range(width)] for r in range(len(grid))]


def to_markdown(report: Report, raw: bool = False) -> str:
    fmt = format_of(report)
    grids = tables(fmt, report, raw)
    out = [f"# {_title(report)}", ""]
    for sid, heading, text in _sections(report, fmt):
        out += [f"## {heading}", ""]
        out += [line for line in text.splitlines() if line.strip()] + [""]
        if sid in grids:
            for row in _flat(grids[sid]):
                out.append("| " + " | ".join(x.replace("|", "｜") for x in row) + " |")
            out.append("")
    date = report.signature_date
    out += [report.agency.name or "", f"{date.year}年{date.month}月{date.day}日" if date else ""]
    return "\n".join(out) + "\n"


def to_docx(report: Report, raw: bool = False) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    fmt = format_of(report)
    grids = tables(fmt, report, raw)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    doc.add_heading(_title(report), level=0)
    for sid, heading, text in _sections(report, fmt):
        doc.add_heading(heading, level=1)
        for line in text.splitlines():
            if line.strip():
                doc.add_paragraph(line)
        if sid in grids:
            _docx_table(doc, grids[sid])
    date = report.signature_date
    doc.add_paragraph(report.agency.name or "")
    if date:
        doc.add_paragraph(f"{date.year}年{date.month}月{date.day}日")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _docx_table(doc, grid: Grid) -> None:
    width = sum(c.colspan for c in grid[0])
    table = doc.add_table(rows=len(grid), cols=width)
    table.style = "Table Grid"
    rows = [r.cells for r in table.rows]  # cache: table.cell() is O(n)
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            while (r, col) in taken:
                col += 1
            cell = rows[r][col]
            if c.rowspan > 1 or c.colspan > 1:
                cell = cell.merge(rows[r + c.rowspan - 1][col + c.colspan - 1])
            cell.text = c.text
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    taken.add((r + dr, col + dc))
            col += c.colspan


def to_pdf(report: Report, raw: bool = False) -> bytes:
    from weasyprint import HTML

    return HTML(string=to_html(report, raw)).write_pdf()


def render(report: Report, fmt: str, raw: bool = False) -> bytes:
    if fmt == "html":
        return to_html(report, raw).encode("utf-8")
    if fmt == "md":
        return to_markdown(report, raw).encode("utf-8")
    if fmt == "docx":
        return to_docx(report, raw)
    if fmt == "pdf":
        return to_pdf(report, raw)
    raise ValueError(f"unknown output format: {fmt}")


def write(report: Report, path: str | Path, raw: bool = False) -> None:
    p = Path(path)
    p.write_bytes(render(report, p.suffix.lstrip(".").lower().replace("markdown", "md"), raw))
