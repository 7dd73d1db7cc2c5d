"""Types that describe an official report format: sections, tables, rows, columns, cell IDs.

The two official formats (2019 and 2021) are instances of these types, declared in
``official.py``. Everything that needs a template label reads it from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ValueKind = Literal["count", "delta", "money"]


@dataclass(frozen=True, slots=True)
class Label:
    """An official label with the variants seen in real reports."""

    text: str
    variants: tuple[str, ...] = ()
    en: str = ""  # English label, for the UI and exports
    short: str = ""  # short Chinese form for column headers; default: text without ordinal and notes
    en_short: str = ""  # short English form; default: en

    def all(self) -> tuple[str, ...]:
        return (self.text, *self.variants)

    def get(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en"); Chinese when no English label is set."""
        return self.en if lang == "en" and self.en else self.text

    def brief(self, lang: str = "zh") -> str:
        """The short form in ``lang``: no ordinal, no bracketed note."""
        if lang == "en" and self.en:
            return self.en_short or self.en
        return self.short or _strip_label(self.text)


# A leading printed ordinal (一、 （三） 1.) and bracketed notes （区分处理的，…） （单位：万元）.
_LEAD_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、])")
_NOTE = re.compile(r"[（(][^（）()]*[）)]")


def _strip_label(text: str) -> str:
    return _NOTE.sub("", _LEAD_ORDINAL.sub("", text)).strip() or text


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

    def _row(self, table: str, row: str) -> Row | Group4 | None:
        if table == "t2":
            return next((x for x in self.t2.rows() if x.id == row), None)
        if table == "t3":
            return next(
                (x for x in (*self.t3.rows, *(a for a, _ in self.t3.alternatives)) if x.id == row), None
            )
        if table == "t4":
            return next((x for x in self.t4.groups if x.id == row), None)
        return None

    def _row_and_col(self, cell_id: str) -> tuple[Row | Group4 | None, Field | None]:
        table, row, col = split_cell_id(cell_id)
        r = self._row(table, row)
        if table == "t2":
            fields = self.t2.fields_of(row) if r is not None else ()
        else:
            fields = {"t3": self.t3.columns, "t4": self.t4.fields}.get(table, ())
        return r, next((x for x in fields if x.id == col), None)

    def has_cell(self, cell_id: str) -> bool:
        """Whether this format knows the cell's row (official or alternative) and column."""
        try:
            r, f = self._row_and_col(cell_id)
        except ValueError:
            return False
        return r is not None and f is not None

    def row_label(self, row_id: str, lang: str = "zh") -> str:
        """Label of a row: ``t3.denied.secret`` → ``（三）不予公开 1.属于国家秘密`` / ``not disclosed: state secret``.

        ``row_id`` is table-prefixed (``t2.rules``, ``t3.new``, ``t4.review``); a bare row ID is looked up in
        tables 三, 二 and 四 in that order. Unknown rows give the ID back.
        """
        tables = [tuple(row_id.split(".", 1))] if row_id[:3] in ("t2.", "t3.", "t4.") else []
        for table, row in [*tables, ("t3", row_id), ("t2", row_id), ("t4", row_id)]:
            r = self._row(table, row)
            if r is not None:
                return _row_name(r, lang)
        return row_id

    def cell_label(self, cell_id: str, lang: str = "zh") -> str:
        """The printed labels of a cell: ``表三 （四）无法提供 1.本机关不掌握相关政府信息 / 自然人``.

        ``lang="en"``: ``Table 3 unable to provide: not held by this agency / natural persons``.
        """
        table, row, col = split_cell_id(cell_id)
        r, f = self._row_and_col(cell_id)
        name = _row_name(r, lang) if r else row
        fname = f.label.get(lang) if f else col
        prefix = _TABLE_EN.get(table, table) if lang == "en" else _TABLE_ZH.get(table, table)
        return f"{prefix} {name} / {fname}"

    def short_label(self, cell_id: str, lang: str = "zh") -> str:
        """A short column header without the table: ``本年新收·总计``, ``不予公开·国家秘密·总计``,
        ``new applications · total``."""
        _, row, col = split_cell_id(cell_id)
        r, f = self._row_and_col(cell_id)
        parts: list[str] = []
        if isinstance(r, Row) and r.group is not None:
            parts.append(r.group.brief(lang))
        parts.append(r.label.brief(lang) if r else row)
        parts.append(f.label.brief(lang) if f else col)
        return (" · " if lang == "en" else "·").join(parts)

    def applies_to(self, year: int) -> bool:
        return self.years[0] <= year <= self.years[1]


def split_cell_id(cell_id: str) -> tuple[str, str, str]:
    """``t3.denied.secret.np`` → (``t3``, ``denied.secret``, ``np``)."""
    table, rest = cell_id.split(".", 1)
    row, col = rest.rsplit(".", 1)
    return table, row, col


_TABLE_ZH = {"t2": "表二", "t3": "表三", "t4": "表四"}
_TABLE_EN = {"t2": "Table 2", "t3": "Table 3", "t4": "Table 4"}


def _row_name(r: Row | Group4, lang: str) -> str:
    if isinstance(r, Row) and r.group is not None:
        return (
            f"{r.group.en}: {r.label.get(lang)}"
            if lang == "en" and r.group.en
            else f"{r.group.text} {r.label.text}"
        )
    return r.label.get(lang)
