"""The official-layout writer: any report → HTML, PDF, DOCX or Markdown laid out like the template.

``render(report, "html" | "pdf" | "docx" | "md", raw=False) -> bytes``. The grids come from
``layout`` (format data only); the format modules only draw them.
"""

from __future__ import annotations

from pathlib import Path

from ..report import Report
from .html import html_table, to_html
from .layout import Grid, LCell, tables
from .markdown import to_markdown

FORMATS = ("html", "md", "docx", "pdf")


def render(report: Report, fmt: str, raw: bool = False) -> bytes:
    """The report written as ``fmt``; ``raw`` prints each cell's text as read instead of its value."""
    if fmt == "html":
        return to_html(report, raw).encode("utf-8")
    if fmt in ("md", "markdown"):
        return to_markdown(report, raw).encode("utf-8")
    if fmt == "docx":
        from .docx import to_docx

        return to_docx(report, raw)
    if fmt == "pdf":
        from .pdf import to_pdf

        return to_pdf(report, raw)
    raise ValueError(f"unknown output format: {fmt!r} (one of {', '.join(FORMATS)})")


def write(report: Report, path: str | Path, raw: bool = False) -> None:
    """Write the report to ``path`` in the format its suffix names."""
    p = Path(path)
    p.write_bytes(render(report, p.suffix.lstrip(".").lower(), raw))


__all__ = ["FORMATS", "Grid", "LCell", "html_table", "render", "tables", "to_html", "to_markdown", "write"]
