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

# Line kinds. Lines are classified once into three parallel lists (kind, text, one cell), indexed by
# line number - 1: no object per line.
_BLANK, _DEBRIS_KIND, _HEADING, _MDROW, _MDSEP, _TAB, _SPACED, _TEXT = (
    "blank",
    "debris",
    "heading",
    "mdrow",
    "mdsep",
    "tab",
    "spaced",
    "text",
)
_ROW_KINDS = (_TAB, _MDROW, _SPACED)  # a table region starts at one of these
_REGION_KINDS = (_TAB, _MDROW, _MDSEP, _SPACED)


def read_text(data: bytes, source: str) -> Document:
    decoded = decode_text(data, source)
    doc = parse_text(decoded.text, source)
    doc.encoding, doc.replaced_chars = decoded.encoding, decoded.replaced
    return doc


def parse_text(text: str, source: str = "") -> Document:
    doc = Document(source=source, media_type="text/plain")
    classified = [_classify(raw) for raw in text.splitlines()]
    if not classified:
        return doc
    kinds, texts, ones = (list(x) for x in zip(*classified, strict=True))
    blocks = doc.blocks
    tables = 0  # tables in the document so far
    i, n = 0, len(kinds)
    while i < n:
        kind = kinds[i]
        if kind in _ROW_KINDS:
            j = _region_end(kinds, texts, i)
            table = _table(kinds, texts, ones, i, j, source, tables)
            if table.rows:
                blocks.append(table)
                tables += 1
            i = j
            continue
        if kind == _HEADING:
            m = _MD_HEADING.match(texts[i])
            assert m
            blocks.append(Paragraph(m.group(2), Provenance(source, i + 1), "heading", len(m.group(1))))
        elif kind == _TEXT:
            blocks.append(Paragraph(texts[i].strip(), Provenance(source, i + 1)))
        i += 1
    return doc


_GAPS = (" ", "\u3000", "\xa0", "\u2002", "\u2003")  # a spaced row has one of these (fast test)
_DEBRIS_FIRST = frozenset("—-－–─第0123456789")  # the only first characters _DEBRIS can match


_NOT_PLAIN_CELL = (_DEBRIS_FIRST - frozenset("0123456789")) | frozenset("#|")


def _classify(raw: str) -> tuple[str, str, bool]:
    """(kind, text, one cell): the line's kind, its text as kept, and for a tab line whether it holds a
    single indented cell."""
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
            return _TAB, raw.rstrip(" \r\n\v"), True
    text = raw.rstrip("\r\n\f\v")
    if "\f" in text:
        text = text.replace("\f", "")
    stripped = text.strip()
    if not stripped:
        return (_TAB, text, True) if "\t" in text else (_BLANK, text, False)
    if stripped[0] in _DEBRIS_FIRST and _DEBRIS.match(stripped):
        return _DEBRIS_KIND, text, False
    if stripped[0] == "#" and _MD_HEADING.match(text):
        return _HEADING, text, False
    if stripped[0] == "|" and _MD_ROW.match(text):
        return (_MDSEP if _MD_SEP.match(text) else _MDROW), text, False
    if "\t" in text:
        return _TAB, text.rstrip(" "), _one_cell(text)
    if not any(w in stripped for w in _GAPS) or _SPACED_SPLIT.search(stripped) is None:
        return _TEXT, text, False  # no run of spaces: not a spaced row
    fields = _SPACED_SPLIT.split(stripped)
    if len(fields) >= 3 and sum(bool(_NUMERIC.match(f)) for f in fields) >= 2:
        return _SPACED, text, False
    return _TEXT, text, False


def _region_end(kinds: list[str], texts: list[str], start: int) -> int:
    """Index after the last line of the table region that starts at ``start``."""
    j = start
    last_row = start
    n = len(kinds)
    while j < n:
        kind = kinds[j]
        if kind in _REGION_KINDS:
            last_row = j
        elif kind in (_BLANK, _DEBRIS_KIND):
            pass
        elif kind == _TEXT and _is_continuation(kinds, texts, j):
            last_row = j
        else:
            break
        j += 1
    return last_row + 1


def _is_continuation(kinds: list[str], texts: list[str], j: int) -> bool:
    prev = kinds[j - 1]
    text = texts[j].strip()
    return (
        prev in (_TAB, _MDROW, _SPACED, _TEXT)
        and (prev != _TEXT or _is_continuation(kinds, texts, j - 1))
        and len(text) <= _CONTINUATION_MAX
        and not _HEADING_LIKE.match(text)
    )


def _table(
    kinds: list[str], texts: list[str], ones: list[bool], start: int, end: int, source: str, index: int
) -> Table:
    """The table of lines ``start:end``, the ``index``-th of the document. Every cell's provenance
    carries its line, table, row and column from the start."""
    tab_lines = kinds[start:end].count(_TAB)
    one_cell = ones[start:end].count(True)  # only tab lines hold one cell
    cell_per_line = tab_lines > 0 and one_cell >= 0.6 * tab_lines
    build = _rows_cell_per_line if cell_per_line else _rows_line_per_row
    rows = build(kinds, texts, ones, start, end, source, index)
    return Table(rows=rows, grid=False, prov=Provenance(source, start + 1, end, table=index))


def _one_cell(text: str) -> bool:
    head, tab, tail = text.partition("\t")
    return bool(tab) and "\t" not in tail and not head.strip()


def _continue(cell: TableCell, text: str, no: int) -> None:
    cell.text += text.strip()
    cell.prov.line_end = no


def _rows_cell_per_line(
    kinds: list[str], texts: list[str], ones: list[bool], start: int, end: int, source: str, index: int
) -> list[list[TableCell]]:
    rows: list[list[TableCell]] = []
    current: list[TableCell] = []
    for k in range(start, end):
        kind = kinds[k]
        if kind == _BLANK:
            if current:
                rows.append(current)
                current = []
        elif kind == _TAB:
            text = texts[k]
            # Provenance(file, line, line_end, offset, page, bbox, table, row, col)
            if ones[k] or not text.strip():  # a tab line always has a tab: its last part is the cell
                current.append(
                    TableCell(
                        text.rpartition("\t")[2].strip(),
                        Provenance(source, k + 1, None, None, None, None, index, len(rows), len(current)),
                    )
                )
            else:
                parts = text.split("\t")
                for part in parts[1 if not parts[0].strip() else 0 :]:
                    current.append(
                        TableCell(
                            part.strip(),
                            Provenance(source, k + 1, None, None, None, None, index, len(rows), len(current)),
                        )
                    )
        elif kind == _TEXT and current:
            _continue(current[-1], texts[k], k + 1)
        elif kind in (_MDROW, _SPACED):
            current.extend(_split(kind, texts[k], source, k + 1, index, len(rows), len(current)))
    if current:
        rows.append(current)
    return rows


def _rows_line_per_row(
    kinds: list[str], texts: list[str], ones: list[bool], start: int, end: int, source: str, index: int
) -> list[list[TableCell]]:
    rows: list[list[TableCell]] = []
    for k in range(start, end):
        kind = kinds[k]
        if kind in _ROW_KINDS:
            row = _split(kind, texts[k], source, k + 1, index, len(rows), 0)
            if row:
                rows.append(row)
        elif kind == _TEXT and rows:
            filled = [c for c in rows[-1] if c.text]
            _continue(filled[-1] if filled else rows[-1][-1], texts[k], k + 1)
    return rows


def _split(kind: str, text: str, source: str, no: int, index: int, row: int, col: int) -> list[TableCell]:
    """The cells of one line, the first of them in column ``col`` of row ``row``."""
    if kind == _TAB:
        parts = text.rstrip().split("\t")
    elif kind == _MDROW:
        parts = text.strip().strip("|").split("|")
    else:
        parts = _SPACED_SPLIT.split(text.strip())
    return [
        TableCell(p.strip(), Provenance(source, no, None, None, None, None, index, row, col + c))
        for c, p in enumerate(parts)
    ]
