"""Markdown writer: headings and pipe tables (merged cells flattened, labels repeated)."""

from __future__ import annotations

from ..report import Report
from .layout import flat, page


def _cell(text: str) -> str:
    # A pipe or line break inside a cell would split the table row.
    return text.replace("|", "｜").replace("\n", " ")


def to_markdown(report: Report, raw: bool = False) -> str:
    p = page(report, raw)
    out = [f"# {p.title}", ""]
    for heading, paras, grid in p.sections:
        out += [f"## {heading}", ""]
        for line in paras:
            out += [line, ""]
        if grid is not None:
            rows = flat(grid)
            out.append("| " + " | ".join(_cell(x) for x in rows[0]) + " |")
            out.append("|" + "---|" * len(rows[0]))
            out += ["| " + " | ".join(_cell(x) for x in row) + " |" for row in rows[1:]]
            out.append("")
    out += [p.agency, "", p.date]
    return "\n".join(out) + "\n"
