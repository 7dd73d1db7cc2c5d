"""Statistical tables: document table rows → cell IDs, by their printed labels.

Rows are routed one by one, so it does not matter whether a reader returned the three tables as
three tables, as one (no heading between them) or as fragments (a table split by a page break with
its header repeated). Row labels are matched tolerantly against the official labels and their
variants (``formats``); columns of table 二 are mapped by the header printed above the row. Where
the reader could not keep real column positions (plain text), the columns of tables 三 and 四
follow the official order, which their printed headers are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..document import Provenance, Table, TableCell
from ..formats import FORMAT_2019, FORMAT_2021, Field, LabelIndex, Row, norm
from ..formats.official import (
    INFO_CONTENT,
    T3_COLUMNS,
    T3_NOTE,
    T3_OTHER_SINGLE,
    T3_OUTCOMES,
    T3_PARENT_COLUMNS,
    T4,
)
from . import values as V

T3_WIDTH = len(T3_COLUMNS)
T4_WIDTH = len(T4.groups) * len(T4.fields)


@dataclass(slots=True)
class RawCell:
    """A value cell found in the document, before its format is known."""

    cell_id: str
    text: str
    prov: Provenance
    confidence: float | None = None


@dataclass(slots=True)
class Issue:
    """Something extraction noticed that a conformance rule reports (rule ID, cells, detail)."""

    rule: str
    detail: str
    cells: list[str] = field(default_factory=list)
    prov: Provenance | None = None


@dataclass(slots=True)
class Found:
    """Cells found (blank ones too, so that every cell a report printed has its source) and issues."""

    cells: dict[str, RawCell] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    tables_seen: set[str] = field(default_factory=set)

    def put(self, cell_id: str, cell: TableCell) -> None:
        old = self.cells.get(cell_id)
        if old is not None:
            if old.text != cell.text and cell.text:
                self.issues.append(
                    Issue("conf.cell_duplicate", f"{old.text!r} / {cell.text!r}", [cell_id], cell.prov)
                )
            return
        self.cells[cell_id] = RawCell(cell_id, cell.text, cell.prov, cell.confidence)


# ---- label indexes, built once from the format data -------------------------------------------


def _t3_index() -> LabelIndex[Row]:
    rows = {r.id: r for fmt in (FORMAT_2019, FORMAT_2021) for r in fmt.t3.rows}
    rows[T3_OTHER_SINGLE.id] = T3_OTHER_SINGLE
    entries = [(variant, r) for r in rows.values() for variant in r.label.all()]
    # The split （六） rows are often printed without their long tails.
    return LabelIndex(entries, min_score=0.78)


def _t2_index() -> LabelIndex[str]:
    ids = {r.id: r for fmt in (FORMAT_2019, FORMAT_2021) for r in fmt.t2.rows()}
    return LabelIndex([(v, rid) for rid, r in ids.items() for v in r.label.all()], min_score=0.85)


def _t2_fields() -> LabelIndex[tuple[str, Field]]:
    entries = []
    for fmt in (FORMAT_2019, FORMAT_2021):
        for block in fmt.t2.blocks:
            for f in block.fields:
                entries += [(v, (fmt.id, f)) for v in f.label.all()]
    return LabelIndex(entries, min_score=0.85)


T3_ROWS = _t3_index()
T2_ROWS = _t2_index()
T2_FIELDS = _t2_fields()
T3_GROUPS = LabelIndex(
    [(r.group.text, r.group.text) for r in FORMAT_2021.t3.rows if r.group] + [(T3_OUTCOMES.text, "")],
    min_score=0.85,
)
_T3_HEADER_WORDS = {norm(x) for f in T3_COLUMNS for x in f.label.all()} | {
    norm(x) for lab in (*T3_PARENT_COLUMNS, T3_NOTE) for x in lab.all()
}
_T4_HEADER_WORDS = {norm(x) for lab in (*T4.parents, *(g.label for g in T4.groups)) for x in lab.all()} | {
    norm(x) for f in T4.fields for x in f.label.all()
}
_INFO = norm(INFO_CONTENT.text)


def _is_value(text: str) -> bool:
    return V.looks_numeric(text)


def _labels_and_values(row: list[TableCell]) -> tuple[list[TableCell], list[TableCell]]:
    """Label cells (text) and the value cells after the last label."""
    last_label = -1
    for i, c in enumerate(row):
        if c.text and not _is_value(c.text):
            last_label = i
    labels = [c for c in row[: last_label + 1] if c.text]
    return labels, row[last_label + 1 :]


def _fit(cells: list[TableCell], width: int) -> list[TableCell | None]:
    """Exactly ``width`` value cells: drop surplus blank cells at either end, pad missing ones."""
    cells = list(cells)
    while len(cells) > width and not cells[0].text:
        cells.pop(0)
    while len(cells) > width and not cells[-1].text:
        cells.pop()
    out: list[TableCell | None] = list(cells[:width])
    return out + [None] * (width - len(out))


class _State:
    """Context carried from row to row: which table we are in, its current header and group."""

    def __init__(self) -> None:
        self.table: str | None = None
        self.t2_fields: list[tuple[str, Field]] | None = None
        self.t3_group: str | None = None
        self.t4_values: list[TableCell] = []


_SECTION_TABLE = {"s2": "t2", "s3": "t3", "s4": "t4"}


def extract_tables(tables: list[tuple[Table, str | None]]) -> Found:
    """Route the rows of every table; ``tables`` pairs each with the section it stands in (if known)."""
    found = Found()
    state = _State()
    for table, section in tables:
        if section in _SECTION_TABLE:
            _enter(state, found, _SECTION_TABLE[section])
        for row in table.rows:
            _route(row, state, found)
    _finish_t4(state, found)
    return found


def _route(row: list[TableCell], state: _State, found: Found) -> None:
    labels, vals = _labels_and_values(row)
    has_values = any(c.text for c in vals)
    if not labels:
        if has_values and state.table == "t4":
            state.t4_values.extend(c for c in vals if c.text or state.t4_values)
        return
    keys = [norm(c.text) for c in labels]
    if not has_values and _header(keys, labels, state, found):
        return
    if _t3_row(labels, vals, state, found) or _t2_row(labels, vals, state, found):
        return
    if has_values and state.table in ("t2", "t3"):
        found.issues.append(Issue("conf.row_unknown", labels[-1].text, [], labels[-1].prov))


def _header(keys: list[str], labels: list[TableCell], state: _State, found: Found) -> bool:
    """Header, caption and note rows: they set the context for the rows that follow."""
    if any(k in _T4_HEADER_WORDS for k in keys) and not any(
        k in _T3_HEADER_WORDS - {"总计", "合计"} for k in keys
    ):
        _enter(state, found, "t4")
        return True
    if any(k in _T3_HEADER_WORDS for k in keys) or _is_t3_note(keys):
        _enter(state, found, "t3")
        return True
    if keys[0] == _INFO or (len(keys) >= 2 and _all_fields(labels[1:])):
        _t2_header(labels[1:] if keys[0] == _INFO else labels, state, found)
        return True
    return False


def _is_t3_note(keys: list[str]) -> bool:
    note = norm(T3_NOTE.text)
    return any(len(k) >= 8 and (k in note or note in k) for k in keys)


def _enter(state: _State, found: Found, table: str) -> None:
    if state.table == "t4" and table != "t4":
        _finish_t4(state, found)
    state.table = table
    found.tables_seen.add(table)


def _all_fields(labels: list[TableCell]) -> bool:
    return bool(labels) and all(T2_FIELDS.match(c.text) for c in labels)


def _t2_header(labels: list[TableCell], state: _State, found: Found) -> None:
    fields = []
    for c in labels:
        m = T2_FIELDS.match(c.text)
        if m is None:
            found.issues.append(Issue("conf.column_unknown", c.text, [], c.prov))
            continue
        fields.append(m.target)
    _enter(state, found, "t2")
    state.t2_fields = fields


def _t2_row(labels: list[TableCell], vals: list[TableCell], state: _State, found: Found) -> bool:
    m = T2_ROWS.match(labels[-1].text)
    if m is None:
        return False
    _enter(state, found, "t2")
    row_id = m.target
    allowed = {fmt: _fields_for(fmt, row_id) for fmt in ("2019", "2021")}
    n = len(vals)
    while n and not vals[n - 1].text:
        n -= 1
    # The header printed above the row names its columns; without one, the count of values decides.
    fields = [(fmt, f) for fmt, f in state.t2_fields or [] if f in allowed[fmt]]
    if not fields or len(fields) < n:
        fmt = next((x for x in ("2019", "2021") if len(allowed[x]) == n), None)
        fmt = fmt or max(allowed, key=lambda x: len(allowed[x]))
        fields = [(fmt, f) for f in allowed[fmt]]
    for (_fmt, f), cell in zip(fields, _fit(vals, len(fields)), strict=True):
        if cell is not None:
            found.put(f"t2.{row_id}.{f.id}", cell)
    return True


def _fields_for(fmt_id: str, row_id: str) -> tuple[Field, ...]:
    fmt = FORMAT_2019 if fmt_id == "2019" else FORMAT_2021
    try:
        return fmt.t2.fields_of(row_id)
    except KeyError:
        return ()


def _t2_allowed(row_id: str) -> set[tuple[str, str]]:
    return {(fmt, f.id) for fmt in ("2019", "2021") for f in _fields_for(fmt, row_id)}


def _t3_row(labels: list[TableCell], vals: list[TableCell], state: _State, found: Found) -> bool:
    for c in labels:
        g = T3_GROUPS.match(c.text)
        if g is not None and g.score >= 0.9:
            state.t3_group = g.target
    cands = T3_ROWS.candidates(labels[-1].text)
    if not cands:
        return False
    row = _pick(cands, state)
    if row is None:
        return False
    if row.group is None:
        state.t3_group = None
    _enter(state, found, "t3")
    for col, cell in zip(T3_COLUMNS, _fit(vals, T3_WIDTH), strict=True):
        if cell is not None:
            found.put(f"t3.{row.id}.{col.id}", cell)
    return True


def _pick(cands: list, state: _State) -> Row | None:
    best = cands[0].score
    tied = [m.target for m in cands if m.score >= best - 0.02]
    if len(tied) > 1 and state.t3_group is not None:
        grouped = [r for r in tied if r.group is not None and r.group.text == state.t3_group]
        if grouped:
            return grouped[0]
    # A bare item such as "1.本机关…" needs no group; one such as "3.其他" needs its group.
    return tied[0]


def _finish_t4(state: _State, found: Found) -> None:
    vals, state.t4_values = state.t4_values, []
    if not vals:
        return
    filled = _fit(vals, T4_WIDTH)
    if len(vals) != T4_WIDTH:
        found.issues.append(Issue("conf.t4_shape", f"{len(vals)}", [], vals[0].prov if vals else None))
    ids = T4.cell_ids()
    for cid, cell in zip(ids, filled, strict=True):
        if cell is not None:
            found.put(cid, cell)
