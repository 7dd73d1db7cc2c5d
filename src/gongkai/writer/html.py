"""HTML writer: a standalone UTF-8 page laid out like the official template. Every string is escaped."""

from __future__ import annotations

from html import escape

from ..report import Report
from .layout import Grid, page

CSS = """
@page { size: A4; margin: 2.2cm 2cm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; font-size: 11pt; line-height: 1.6; }
h1 { text-align: center; font-size: 18pt; font-weight: bold; }
h2 { font-size: 13pt; font-family: "Noto Sans CJK SC", "SimHei", sans-serif; margin-top: 1.2em; }
p { text-indent: 2em; margin: .3em 0; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; font-size: 9.5pt; }
td, th { border: 1px solid #000; padding: 2pt 3pt; text-align: center; vertical-align: middle; }
tr { page-break-inside: avoid; }
th { font-weight: normal; background: #f2f2f2; }
.sign { text-align: right; margin-top: 2em; text-indent: 0; }
"""


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
                ident = f' data-cell="{escape(c.cell_id)}"'
                if c.cell_id in marks:
                    ident += f' class="{escape(marks[c.cell_id])}"'
                if c.cell_id in titles:
                    ident += f' title="{escape(titles[c.cell_id])}"'
            out.append(f"<{tag}{span}{ident}>{escape(c.text)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def to_html(report: Report, raw: bool = False) -> str:
    p = page(report, raw)
    t = escape(p.title)
    parts = [
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{t}</title>',
        f"<style>{CSS}</style></head><body>",
        f"<h1>{t}</h1>",
    ]
    for heading, paras, grid in p.sections:
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in paras]
        if grid is not None:
            parts.append(html_table(grid))
    parts.append(f'<p class="sign">{escape(p.agency)}<br>{escape(p.date)}</p></body></html>')
    return "\n".join(parts)
