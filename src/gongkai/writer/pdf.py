"""PDF writer: the HTML page through WeasyPrint (CJK fonts come from the system, e.g. fonts-noto-cjk)."""

from __future__ import annotations

from ..report import Report
from .html import to_html


def to_pdf(report: Report, raw: bool = False) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=to_html(report, raw)).write_pdf()
