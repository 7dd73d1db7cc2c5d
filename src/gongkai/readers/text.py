"""Plain-text reader: extracted or copied report text in any of the layouts seen in the wild.

Layouts handled (they may be mixed within one file):

* one cell per line, each prefixed with a tab, rows separated by blank lines, wrapped cell text
  continued on the following un-indented line;
* tab-separated rows, one row a line (blank lines and repeated headers in between);
* columns aligned with runs of spaces (``pdftotext -layout`` style);
* markdown: ``#`` headings at any level and ``| a | b |`` tables.

Page-number debris such as ``— 2 —`` or ``第 3 页`` is dropped. The reader knows nothing about
annual reports: it produces paragraphs and tables with line provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Document, Paragraph, Provenance, Table, TableCell
from .encoding import decode_text

_DEBRIS = re.compile(
    r"^\s*(?:[—\-－–─]+\s*\d{1,3}\s*[—\-－–─]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3}|[-－]\s*\d{1,3}\s*[-－])\s*$"
)
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.+?)\s*#*\s*$")
_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_SEP = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$")
_SPACED_SPLIT = re.compile(r"(?:\s{2,}|\u3000+)")
_NUMERIC = re.compile(r"^[\s(（]*[增减+\-－]?\d[\d,，.]*(?:万元|元)?[)）]?\s*$|^[/／—\-－无]$")
_HEADING_LIKE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[部章节])")
# A wrapped cell continues on a short line; a longer one is narrative following the table.
_CONTINUATION_MAX = 30


@dataclass(slots=True)
class _Line:
    no: int  # 1-based
    text: str
    kind: str  # blank, debris, heading, mdrow, mdsep, tab, spaced, text
    one_cell: bool = False  # a tab line holding a single indented cell


def read_text(data: bytes, source: str) -> Document:
    decoded = decode_text(data, source)
    doc = parse_text(decoded.text, source)
    doc.encoding, doc.replaced_chars = decoded.encoding, decoded.replaced
    return doc


def parse_text(text: str, source: str = "") -> Document:
    lines = [_classify(i + 1, raw) for i, raw in enumerate(text.splitlines())]
    doc = Document(source=source, media_type="text/plain")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.kind in ("tab", "mdrow", "spaced"):
            j = _region_end(lines, i)
            table = _table(lines[i:j], source, len(doc.tables()))
            if table.rows:
                doc.blocks.append(table)
            i = j
            continue
        if line.kind == "heading":
            m = _MD_HEADING.match(line.text)
            assert m
            doc.blocks.append(Paragraph(m.group(2), Provenance(source, line.no), "heading", len(m.group(1))))
        elif line.kind == "text":
            doc.blocks.append(Paragraph(line.text.strip(), Provenance(source, line.no)))
        i += 1
    return doc


_GAPS = (" ", "\u3000", "\xa0", "\u2002", "\u2003")  # a spaced row has one of these (fast test)
_DEBRIS_FIRST = frozenset("—-－–─第0123456789")  # the only first characters _DEBRIS can match


_NOT_PLAIN_CELL = (_DEBRIS_FIRST - frozenset("0123456789")) | frozenset("#|")


def _classify(no: int, raw: str) -> _Line:
    # Cheap character tests guard each regex: most lines are table cells or prose, and this runs
    # once per line of every text report.
    if raw[:1] == "\t":  # the one-cell-per-line layout: a tab, then a label (the commonest line)
        body = raw.strip()
        # a number is debris only as "3/12" (page of pages)
        if (
            body
            and body[0] not in _NOT_PLAIN_CELL
            and raw.count("\t") == 1
            and "/" not in body
            and "\f" not in raw
        ):
            return _Line(no, raw.rstrip(" \r\n\v"), "tab", True)
    text = raw.rstrip("\r\n\f\v")
    if "\f" in text:
        text = text.replace("\f", "")
    stripped = text.strip()
    if not stripped:
        return _Line(no, text, "tab", True) if "\t" in text else _Line(no, text, "blank")
    if stripped[0] in _DEBRIS_FIRST and _DEBRIS.match(stripped):
        return _Line(no, text, "debris")
    if stripped[0] == "#" and _MD_HEADING.match(text):
        return _Line(no, text, "heading")
    if stripped[0] == "|" and _MD_ROW.match(text):
        return _Line(no, text, "mdsep" if _MD_SEP.match(text) else "mdrow")
    if "\t" in text:
        return _Line(no, text.rstrip(" "), "tab", _one_cell(text))
    if not any(w in stripped for w in _GAPS) or _SPACED_SPLIT.search(stripped) is None:
        return _Line(no, text, "text")  # no run of spaces: not a spaced row
    fields = _SPACED_SPLIT.split(stripped)
    if len(fields) >= 3 and sum(bool(_NUMERIC.match(f)) for f in fields) >= 2:
        return _Line(no, text, "spaced")
    return _Line(no, text, "text")


def _region_end(lines: list[_Line], start: int) -> int:
    """Index after the last line of the table region that starts at ``start``."""
    j = start
    last_row = start
    while j < len(lines):
        kind = lines[j].kind
        if kind in ("tab", "mdrow", "mdsep", "spaced"):
            last_row = j
        elif kind in ("blank", "debris"):
            pass
        elif kind == "text" and _is_continuation(lines, j):
            last_row = j
        else:
            break
        j += 1
    return last_row + 1


def _is_continuation(lines: list[_Line], j: int) -> bool:
    prev = lines[j - 1]
    text = lines[j].text.strip()
    return (
        prev.kind in ("tab", "mdrow", "spaced", "text")
        and (prev.kind != "text" or _is_continuation(lines, j - 1))
        and len(text) <= _CONTINUATION_MAX
        and not _HEADING_LIKE.match(text)
    )


def _table(region: list[_Line], source: str, index: int) -> Table:
    tab_lines = [ln for ln in region if ln.kind == "tab"]
    one_cell = sum(1 for ln in tab_lines if ln.one_cell)
    cell_per_line = bool(tab_lines) and one_cell >= 0.6 * len(tab_lines)
    rows = _rows_cell_per_line(region, source) if cell_per_line else _rows_line_per_row(region, source)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            cell.prov.table, cell.prov.row, cell.prov.col = index, r, c
    first, last = region[0].no, region[-1].no
    return Table(rows=rows, grid=False, prov=Provenance(source, first, last, table=index))


def _one_cell(text: str) -> bool:
    head, tab, tail = text.partition("\t")
    return bool(tab) and "\t" not in tail and not head.strip()


def _cell(text: str, source: str, no: int) -> TableCell:
    return TableCell(text.strip(), Provenance(source, no))


def _continue(cell: TableCell, line: _Line) -> None:
    cell.text += line.text.strip()
    cell.prov.line_end = line.no


def _rows_cell_per_line(region: list[_Line], source: str) -> list[list[TableCell]]:
    rows: list[list[TableCell]] = []
    current: list[TableCell] = []
    for line in region:
        if line.kind == "blank":
            if current:
                rows.append(current)
                current = []
        elif line.kind == "tab":
            parts = line.text.split("\t")
            if line.one_cell or not line.text.strip():
                current.append(_cell(parts[-1] if len(parts) > 1 else "", source, line.no))
            else:
                current.extend(_cell(p, source, line.no) for p in parts[1 if not parts[0].strip() else 0 :])
        elif line.kind == "text" and current:
            _continue(current[-1], line)
        elif line.kind in ("mdrow", "spaced"):
            current.extend(_split(line, source))
    if current:
        rows.append(current)
    return rows


def _rows_line_per_row(region: list[_Line], source: str) -> list[list[TableCell]]:
    rows: list[list[TableCell]] = []
    for line in region:
        if line.kind in ("tab", "mdrow", "spaced"):
            row = _split(line, source)
            if row:
                rows.append(row)
        elif line.kind == "text" and rows:
            filled = [c for c in rows[-1] if c.text]
            _continue(filled[-1] if filled else rows[-1][-1], line)
    return rows


def _split(line: _Line, source: str) -> list[TableCell]:
    if line.kind == "tab":
        parts = line.text.rstrip().split("\t")
    elif line.kind == "mdrow":
        parts = line.text.strip().strip("|").split("|")
    else:
        parts = _SPACED_SPLIT.split(line.text.strip())
    return [_cell(p, source, line.no) for p in parts]
