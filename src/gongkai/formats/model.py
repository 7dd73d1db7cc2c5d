"""Types that describe an official report format: sections, tables, rows, columns, cell IDs.

The two official formats (2019 and 2021) are instances of these types, declared in
``official.py``. Everything that needs a template label reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ValueKind = Literal["count", "delta", "money"]


@dataclass(frozen=True, slots=True)
class Label:
    """An official label with the variants seen in real reports."""

    text: str
    variants: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return (self.text, *self.variants)


@dataclass(frozen=True, slots=True)
class Field:
    """A column of a table: its ID (last part of the cell ID), label and value kind."""

    id: str
    label: Label
    kind: ValueKind = "count"


@dataclass(frozen=True, slots=True)
class Row:
    """A data row. ``group`` is the label of the enclosing group row, e.g. （三）不予公开."""

    id: str
    label: Label
    group: Label | None = None
    ordinal: str = ""  # as printed: "一", "（一）", "1."


@dataclass(frozen=True, slots=True)
class Block:
    """Table 二 is a stack of blocks (one per Art. 20 item), each with its own header."""

    caption: Label
    fields: tuple[Field, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Table2:
    id: Literal["t2"]
    blocks: tuple[Block, ...]

    def cell_ids(self) -> list[str]:
        return [f"t2.{r.id}.{f.id}" for b in self.blocks for r in b.rows for f in b.fields]

    def fields_of(self, row_id: str) -> tuple[Field, ...]:
        for b in self.blocks:
            if any(r.id == row_id for r in b.rows):
                return b.fields
        raise KeyError(row_id)

    def rows(self) -> list[Row]:
        return [r for b in self.blocks for r in b.rows]


@dataclass(frozen=True, slots=True)
class Table3:
    id: Literal["t3"]
    rows: tuple[Row, ...]
    columns: tuple[Field, ...]
    # Rows a report may print instead of the official ones: (replacement, replaced row IDs).
    alternatives: tuple[tuple[Row, tuple[str, ...]], ...] = ()

    def cell_ids(self, row_ids: list[str] | None = None) -> list[str]:
        ids = row_ids if row_ids is not None else [r.id for r in self.rows]
        return [f"t3.{r}.{c.id}" for r in ids for c in self.columns]


@dataclass(frozen=True, slots=True)
class Group4:
    id: str
    label: Label


@dataclass(frozen=True, slots=True)
class Table4:
    id: Literal["t4"]
    groups: tuple[Group4, ...]
    fields: tuple[Field, ...]
    parents: tuple[Label, ...]  # 行政复议 / 行政诉讼 header row

    def cell_ids(self) -> list[str]:
        return [f"t4.{g.id}.{f.id}" for g in self.groups for f in self.fields]


@dataclass(frozen=True, slots=True)
class Section:
    id: str  # "s1".."s6"
    ordinal: str  # 一 .. 六
    title: Label
    # Key words: a numbered top-level heading in this section's place that contains one is this section, renamed.
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Format:
    id: Literal["2019", "2021"]
    name: str
    document: str  # the notice that set the format
    years: tuple[int, int]  # first and last report year the format applies to (inclusive)
    sections: tuple[Section, ...]
    t2: Table2
    t3: Table3
    t4: Table4
    t3_note: Label = field(default_factory=lambda: Label(""))

    def cell_ids(self, t3_rows: list[str] | None = None) -> list[str]:
        return [*self.t2.cell_ids(), *self.t3.cell_ids(t3_rows), *self.t4.cell_ids()]

    def kind_of(self, cell_id: str) -> str:
        """Value kind (count, delta, money) of a cell of this format."""
        table, row, col = split_cell_id(cell_id)
        if table == "t2":
            for f in self.t2.fields_of(row):
                if f.id == col:
                    return f.kind
            raise KeyError(cell_id)
        return "count"

    def cell_label(self, cell_id: str) -> str:
        """The printed labels of a cell: ``表三 （四）无法提供 1.本机关不掌握相关政府信息 / 自然人``."""
        table, row, col = split_cell_id(cell_id)
        if table == "t2":
            r = next((x for x in self.t2.rows() if x.id == row), None)
            f = next((x for x in self.t2.fields_of(row) if x.id == col), None) if r else None
            return f"表二 {r.label.text if r else row} / {f.label.text if f else col}"
        if table == "t3":
            rows = (*self.t3.rows, *(alt for alt, _ in self.t3.alternatives))
            r = next((x for x in rows if x.id == row), None)
            c = next((x for x in self.t3.columns if x.id == col), None)
            name = (f"{r.group.text} " if r and r.group else "") + (r.label.text if r else row)
            return f"表三 {name} / {c.label.text if c else col}"
        g = next((x for x in self.t4.groups if x.id == row), None)
        f = next((x for x in self.t4.fields if x.id == col), None)
        return f"表四 {g.label.text if g else row} / {f.label.text if f else col}"

    def applies_to(self, year: int) -> bool:
        return self.years[0] <= year <= self.years[1]


def split_cell_id(cell_id: str) -> tuple[str, str, str]:
    """``t3.denied.secret.np`` → (``t3``, ``denied.secret``, ``np``)."""
    table, rest = cell_id.split(".", 1)
    row, col = rest.rsplit(".", 1)
    return table, row, col
