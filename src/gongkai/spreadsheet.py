"""Spreadsheet cells that stay text: no formula injection through what users typed or uploaded.

Excel, WPS and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
versions, a tab or carriage return before one) as a formula: an applicant ID ``=HYPERLINK(...)`` or an
uploaded file named ``=cmd|' /C calc'!A0.pdf`` would run on the desk officer's machine. Following
OWASP's CSV-injection advice, every writer goes through here:

- XLSX: such a value is written as a string cell (``data_type`` ``"s"``), never a formula: it opens as
  the exact text, nothing added (``xlsx_append``).
- CSV: there is no string type, so the value is prefixed with a single quote (``csv_cell``), which the
  spreadsheet shows as text. ``unescape`` strips exactly that prefix again (the desk's Excel import and
  the expected-publisher import do, for a CSV export re-imported as it is or opened and saved as a
  workbook), so the original text is recoverable.

The writers: ``export.to_bytes`` (``gongkai export``, /api/export, /audit.csv), ``gongkai check --format
csv``, the coverage CSV (``review.coverage.to_csv``), the watch workbook (``collect.watch.to_xlsx``:
``gongkai watch --xlsx`` and /watch.xlsx), the desk's ledger workbook (``desk.excel.export_ledger``) and
the demo corpus manifest. A new one goes through ``csv_row`` or ``xlsx_append`` too.

Only text is touched: numbers and dates (a negative count) are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from .errors import Invalid

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def is_formula_like(value: Any) -> bool:
    """Text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: formula-like text gets a leading single quote."""
    return QUOTE + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def unescape(value: Any) -> Any:
    """The text before ``csv_cell``: exactly one leading quote dropped when formula-like text follows."""
    if isinstance(value, str) and value.startswith(QUOTE) and is_formula_like(value[1:]):
        return value[1:]
    return value


def text_cells(cells: Iterable[Any]) -> None:
    """Make openpyxl cells holding formula-like text string cells (openpyxl takes any text starting with
    ``=`` for a formula)."""
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"


def xlsx_append(ws: Any, values: list[Any]) -> None:
    """``ws.append(values)``, every formula-like text written as a string cell."""
    ws.append(values)
    row = ws.max_row
    for col, v in enumerate(values, 1):
        if is_formula_like(v):
            ws.cell(row, col).data_type = "s"


def csv_rows(data: bytes, filename: str) -> list[list[str]]:
    """The rows of an uploaded CSV in UTF-8 (with or without BOM) or GB18030, as spreadsheets save it."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid(filename, "无法识别文件的编码", "unknown text encoding")
    return list(csv.reader(io.StringIO(text)))
