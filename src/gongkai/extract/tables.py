"""Statistical tables: document table rows → cell IDs, by their printed labels.

Rows are routed one by one, so it does not matter whether a reader returned the three tables as
three tables, as one (no heading between them) or as fragments (a table split by a page break with
its header repeated). Row labels are matched tolerantly against the official labels and their
variants (``formats``); columns of table 二 are mapped by the header printed above the row. Where
the reader could not keep real column positions (plain text), the columns of tables 三 and 四
follow the official order, which their printed headers are checked against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

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
from . import repair as R
from . import values as V

T3_WIDTH = len(T3_COLUMNS)
T4_WIDTH = len(T4.groups) * len(T4.fields)


@dataclass(slots=True)
class RawCell:
    """A value cell found in the document, before its format is known."""

    cell_id: str
    text: str  # the value's text (for a recovered cell: the number the repair read)
    prov: Provenance
    confidence: float | None = None
    original: str | None = None  # the printed text when it differs from ``text`` (glued digits)


@dataclass(slots=True)
class Ambiguous:
    """A row whose glued digits read several ways; column sums may still decide it."""

    cell_ids: list[str]
    candidates: list[tuple[int, ...]]
    printed: str
    prov: Provenance


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
    ambiguous: list[Ambiguous] = field(default_factory=list)

    def recovered(self, cell_ids: list[str], values: tuple[int, ...], printed: str, prov: Provenance) -> None:
        for cid, v in zip(cell_ids, values, strict=True):
            self.cells[cid] = RawCell(cid, str(v), prov, original=printed)
        self.issues.append(Issue("repair.recovered", printed, list(cell_ids), prov))

    def unread(self, cell_ids: list[str], printed: str, prov: Provenance) -> None:
        """Cells printed (so not missing) whose values could not be read: blank value, printed text kept."""
        for cid in cell_ids:
            self.cells.setdefault(cid, RawCell(cid, "", prov, original=printed))

    def put(self, cell_id: str, cell: TableCell) -> None:
        old = self.cells.get(cell_id)
        if old is not None:
            if old.text != cell.text and cell.text:
                self.issues.append(
                    Issue("conf.cell_duplicate", f"{old.text!r} / {cell.text!r}", [cell_id], cell.prov)
                )
            return
        self.cells[cell_id] = RawCell(cell_id, cell.text, cell.prov, cell.confidence)


def _put_row(found: Found, ids: Sequence[str], cells: list[TableCell | None]) -> None:
    """``found.put`` of each cell of a row that is there (the same, in one loop)."""
    have = found.cells
    for cid, cell in zip(ids, cells, strict=True):
        if cell is None:
            continue
        if cid in have:
            found.put(cid, cell)  # a second printing of the cell: put says whether it differs
        else:
            have[cid] = RawCell(cid, cell.text, cell.prov, cell.confidence)


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
_T3_ONLY_HEADER_WORDS = _T3_HEADER_WORDS - {"总计", "合计"}  # the words a table-四 header may not have
_INFO = norm(INFO_CONTENT.text)
_T3_NOTE_KEY = norm(T3_NOTE.text)


def _is_value(text: str) -> bool:
    return V.looks_numeric(text)


def _labels_and_values(row: list[TableCell]) -> tuple[list[TableCell], list[TableCell]]:
    """Label cells (text) and the value cells after the last label."""
    last_label = -1
    numeric = V.looks_numeric
    for i, c in enumerate(row):
        if c.text and not numeric(c.text):
            last_label = i
    labels = [c for c in row[: last_label + 1] if c.text]
    return labels, row[last_label + 1 :]


def _fit(cells: list[TableCell], width: int) -> list[TableCell | None]:
    """Exactly ``width`` value cells: drop surplus blank cells at either end, pad missing ones."""
    if len(cells) == width:  # the commonest case: nothing to drop or pad
        return list(cells)
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
    _resolve_ambiguous(found)
    return found


def _t3_equations() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Column sums of table 三 (both shapes of （六）): outcome totals and the balance identity."""
    out = []
    for fmt in (FORMAT_2019, FORMAT_2021):
        rows = [r.id for r in fmt.t3.rows]
        outcomes = rows[rows.index("granted") : rows.index("handled")]
        for col in T3_COLUMNS:
            c = col.id
            out.append(((f"t3.handled.{c}",), tuple(f"t3.{r}.{c}" for r in outcomes)))
            out.append(((f"t3.new.{c}", f"t3.carried.{c}"), (f"t3.handled.{c}", f"t3.forward.{c}")))
    return out


_EQUATIONS = _t3_equations()


def _resolve_ambiguous(found: Found) -> None:
    """Column sums decide between the readings of a glued row when the other cells are known."""
    progress = True
    while found.ambiguous and progress:
        progress = False
        for amb in list(found.ambiguous):
            keep = [c for c in amb.candidates if _consistent(amb, c, found)]
            if len(keep) == 1:
                found.ambiguous.remove(amb)
                found.recovered(amb.cell_ids, keep[0], amb.printed, amb.prov)
                progress = True
            elif keep and len(keep) < len(amb.candidates):
                amb.candidates = keep
    for amb in found.ambiguous:
        shown = " / ".join("|".join(map(str, c)) for c in amb.candidates)
        found.issues.append(Issue("repair.ambiguous", f"“{amb.printed}” → {shown}", amb.cell_ids, amb.prov))


def _consistent(amb: Ambiguous, candidate: tuple[int, ...], found: Found) -> bool:
    trial = dict(zip(amb.cell_ids, candidate, strict=True))
    for lhs, rhs in _EQUATIONS:
        ids = (*lhs, *rhs)
        if not any(i in trial for i in ids):
            continue
        values = [trial.get(i, _known(found, i)) for i in ids]
        if any(v is None for v in values):
            continue
        if sum(values[: len(lhs)]) != sum(values[len(lhs) :]):  # type: ignore[arg-type]
            return False
    return True


def _known(found: Found, cell_id: str) -> int | None:
    raw = found.cells.get(cell_id)
    if raw is None:
        return None
    try:
        v = V.parse(raw.text).value
    except V.BadValue:
        return None
    return v if isinstance(v, int) else None


def _route(row: list[TableCell], state: _State, found: Found) -> None:
    labels, vals = _labels_and_values(row)
    has_values = any(c.text for c in vals)
    if not labels:
        if state.table == "t4" and has_values:
            state.t4_values.extend(c for c in vals if c.text or state.t4_values)
        elif state.table == "t4" and len(vals) >= T4_WIDTH and not state.t4_values:
            state.t4_values.extend(vals)  # a grid row of 15 blank cells: the table printed, left unfilled
        return
    if not has_values and _header([norm(c.text) for c in labels], labels, state, found):
        return
    if _t3_row(labels, vals, state, found) or _t2_row(labels, vals, state, found):
        return
    if has_values and state.table in ("t2", "t3"):
        found.issues.append(Issue("conf.row_unknown", labels[-1].text, [], labels[-1].prov))


def _header(keys: list[str], labels: list[TableCell], state: _State, found: Found) -> bool:
    """Header, caption and note rows: they set the context for the rows that follow."""
    if any(k in _T4_HEADER_WORDS for k in keys) and not any(k in _T3_ONLY_HEADER_WORDS for k in keys):
        _enter(state, found, "t4")
        return True
    if any(k in _T3_HEADER_WORDS for k in keys) or _is_t3_note(keys):
        _enter(state, found, "t3")
        return True
    if _INFO in keys:
        _t2_header(labels[keys.index(_INFO) + 1 :], state, found)
        return True
    if len(keys) >= 2 and _all_fields(labels[1:]):
        _t2_header(labels, state, found)
        return True
    return False


def _is_t3_note(keys: list[str]) -> bool:
    note = _T3_NOTE_KEY
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
    ids = [f"t2.{row_id}.{f.id}" for _fmt, f in fields]
    if 0 < len(vals) < len(fields) and all(c.text for c in vals):
        _repair_t2(ids, [f.kind for _fmt, f in fields], vals, found)
        return True
    _put_row(found, ids, _fit(vals, len(fields)))
    return True


def _repair_t2(ids: list[str], kinds: list[str], vals: list[TableCell], found: Found) -> None:
    """Table 二 has no sums to lean on: a glued row is taken only when it reads one way."""
    printed = " ".join(c.text for c in vals)
    readings = list(_t2_readings([V.clean(c.text) for c in vals], kinds))
    if len(readings) == 1:
        for cid, text in zip(ids, readings[0], strict=True):
            found.cells.setdefault(cid, RawCell(cid, text, vals[0].prov, original=printed))
        found.issues.append(Issue("repair.recovered", printed, ids, vals[0].prov))
    elif readings:
        shown = " / ".join("|".join(r) for r in readings[: R.MAX_CANDIDATES])
        found.issues.append(Issue("repair.ambiguous", f"“{printed}” → {shown}", ids, vals[0].prov))
        found.unread(ids, printed, vals[0].prov)
    else:
        found.issues.append(Issue("repair.impossible", printed, ids, vals[0].prov))
        found.unread(ids, printed, vals[0].prov)


def _t2_readings(tokens: list[str], kinds: list[str]):
    """Every way to cut the tokens into one value per field, each a valid printed value of its kind."""
    if not kinds:
        if not tokens:
            yield ()
        return
    if not tokens:
        return
    head, rest = tokens[0], tokens[1:]
    for end in range(1, len(head) + 1):
        part = head[:end]
        if not _plausible_value(part, kinds[0]):
            continue
        remainder = [head[end:], *rest] if end < len(head) else rest
        for tail in _t2_readings(remainder, kinds[1:]):
            yield (part, *tail)


_LEADING_ZERO = re.compile(r"^[增减+\-]?0\d")


def _plausible_value(text: str, kind: str) -> bool:
    if _LEADING_ZERO.match(text) or text.endswith((".", ",")):
        return False
    try:
        V.parse(text, kind)  # type: ignore[arg-type]
    except V.BadValue:
        return False
    return True


def _fields_for(fmt_id: str, row_id: str) -> tuple[Field, ...]:
    return _FIELDS.get((fmt_id, row_id), ())


_FIELDS: dict[tuple[str, str], tuple[Field, ...]] = {
    (fmt.id, r.id): fmt.t2.fields_of(r.id) for fmt in (FORMAT_2019, FORMAT_2021) for r in fmt.t2.rows()
}


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
    ids = _t3_ids(row.id)
    if _needs_repair(vals, T3_WIDTH):
        _repair_cells(list(ids), vals, R.row_total(T3_WIDTH), found)
        return True
    _put_row(found, ids, _fit(vals, T3_WIDTH))
    return True


@lru_cache(maxsize=64)
def _t3_ids(row_id: str) -> tuple[str, ...]:
    return tuple(f"t3.{row_id}.{col.id}" for col in T3_COLUMNS)


def _needs_repair(vals: list[TableCell], width: int) -> bool:
    """Separators lost: a count of printed numbers other than the cells, none blank, all digits."""
    if not vals or len(vals) == width or not all(_DIGITS.fullmatch(V.clean(c.text)) for c in vals):
        return False
    return len(vals) > width or sum(len(V.clean(c.text)) for c in vals) >= width


_DIGITS = re.compile(r"[0-9]+")


def _repair_cells(ids: list[str], vals: list[TableCell], constraints: list, found: Found) -> None:
    printed = " ".join(c.text for c in vals)
    result = R.repair([V.clean(c.text) for c in vals], len(ids), constraints)
    if result.unique:
        found.recovered(ids, result.unique, printed, vals[0].prov)
    elif result.candidates:
        found.ambiguous.append(Ambiguous(ids, result.candidates, printed, vals[0].prov))
        found.unread(ids, printed, vals[0].prov)
    else:
        found.issues.append(Issue("repair.impossible", printed, ids, vals[0].prov))
        found.unread(ids, printed, vals[0].prov)


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
    ids = T4.cell_ids()
    if _needs_repair(vals, T4_WIDTH):
        _repair_cells(ids, vals, R.group_totals(len(T4.groups), len(T4.fields)), found)
        return
    filled = _fit(vals, T4_WIDTH)
    if len(vals) != T4_WIDTH:
        found.issues.append(Issue("conf.t4_shape", f"{len(vals)}", [], vals[0].prov if vals else None))
    _put_row(found, ids, filled)
