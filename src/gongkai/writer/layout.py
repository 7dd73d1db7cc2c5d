"""The official layout as grids: the three tables of a report, built from the format data only.

Every output format (HTML, PDF, DOCX, Markdown) renders these grids, so the merged header cells, the
勾稽 note and the group rows are defined once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formats import Format
from ..formats.model import Row
from ..formats.official import INFO_CONTENT, T3_NOTE, T3_OUTCOMES, T3_PARENT_COLUMNS
from ..report import Cell, Report
from ..rules.engine import format_of


@dataclass(slots=True)
class LCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    cell_id: str | None = None
    header: bool = False


Grid = list[list[LCell]]


def value_text(fmt: Format, cell_id: str, cell: Cell | None, raw: bool = False) -> str:
    if cell is None:
        return ""
    if raw and cell.raw is not None:
        return cell.raw
    v = cell.value
    if v is None:
        return ""
    kind = fmt.kind_of(cell_id)
    if kind == "money":
        return f"{float(v):.6f}".rstrip("0").rstrip(".")
    if kind == "delta":
        signed = f"{int(v):+d}" if v else "0"
        return f"{cell.stated_total}（{signed}）" if cell.stated_total is not None else signed
    return str(int(v))


def table2(fmt: Format, report: Report, raw: bool = False) -> Grid:
    width = 4
    grid: Grid = []
    for block in fmt.t2.blocks:
        grid.append([LCell(block.caption.text, colspan=width, header=True)])
        span = (width - 1) // len(block.fields)
        last = width - 1 - span * (len(block.fields) - 1)
        fields = block.fields
        grid.append(
            [LCell(INFO_CONTENT.text, header=True)]
            + [
                LCell(f.label.text, colspan=last if i == len(fields) - 1 else span, header=True)
                for i, f in enumerate(fields)
            ]
        )
        for row in block.rows:
            cells = [LCell(row.label.text)]
            for i, f in enumerate(fields):
                cid = f"t2.{row.id}.{f.id}"
                cells.append(
                    LCell(
                        value_text(fmt, cid, report.cells.get(cid), raw),
                        colspan=last if i == len(fields) - 1 else span,
                        cell_id=cid,
                    )
                )
            grid.append(cells)
    return grid


def _has_row(fmt: Format, report: Report, row_id: str) -> bool:
    return any(f"t3.{row_id}.{c.id}" in report.cells for c in fmt.t3.columns)


def t3_rows(fmt: Format, report: Report) -> list[Row]:
    """The table 三 rows to print: an alternative row (the single （六）) replaces the official ones
    when the report has cells for it and none for the rows it replaces."""
    rows = list(fmt.t3.rows)
    for alt, replaced in fmt.t3.alternatives:
        if _has_row(fmt, report, alt.id) and not any(_has_row(fmt, report, r) for r in replaced):
            at = next(i for i, r in enumerate(rows) if r.id == replaced[0])
            rows = [*rows[:at], alt, *(r for r in rows[at:] if r.id not in replaced)]
    return rows


def table3(fmt: Format, report: Report, raw: bool = False) -> Grid:
    cols = fmt.t3.columns
    leaf = [c for c in cols if c.id not in ("np", "total")]
    grid: Grid = [
        [
            LCell(T3_NOTE.text, 3, 3, header=True),
            LCell(T3_PARENT_COLUMNS[0].text, colspan=len(cols), header=True),
        ],
        [
            LCell(cols[0].label.text, rowspan=2, header=True),
            LCell(T3_PARENT_COLUMNS[1].text, colspan=len(leaf), header=True),
            LCell(cols[-1].label.text, rowspan=2, header=True),
        ],
        [LCell(c.label.text, header=True) for c in leaf],
    ]
    rows = t3_rows(fmt, report)
    outcomes = [r for r in rows if r.id not in ("new", "carried", "forward")]
    group_sizes: dict[str, int] = {}
    for r in outcomes:
        if r.group:
            group_sizes[r.group.text] = group_sizes.get(r.group.text, 0) + 1
    seen_groups: set[str] = set()
    for r in rows:
        values = [
            LCell(
                value_text(fmt, f"t3.{r.id}.{c.id}", report.cells.get(f"t3.{r.id}.{c.id}"), raw),
                cell_id=f"t3.{r.id}.{c.id}",
            )
            for c in cols
        ]
        if r.id in ("new", "carried", "forward"):
            grid.append([LCell(r.label.text, colspan=3), *values])
            continue
        lead: list[LCell] = []
        if r is outcomes[0]:
            lead.append(LCell(T3_OUTCOMES.text, rowspan=len(outcomes)))
        if r.group is None:
            lead.append(LCell(r.label.text, colspan=2))
        else:
            if r.group.text not in seen_groups:
                seen_groups.add(r.group.text)
                lead.append(LCell(r.group.text, rowspan=group_sizes[r.group.text]))
            lead.append(LCell(r.label.text))
        grid.append([*lead, *values])
    # Row 四 must follow (七): the format lists it last already.
    return grid


def table4(fmt: Format, report: Report, raw: bool = False) -> Grid:
    t4 = fmt.t4
    n = len(t4.fields)
    litigation = t4.groups[1:]
    return [
        [
            LCell(t4.parents[0].text, colspan=n, header=True),
            LCell(t4.parents[1].text, colspan=n * len(litigation), header=True),
        ],
        [
            *(LCell(f.label.text, rowspan=2, header=True) for f in t4.fields),
            *(LCell(g.label.text, colspan=n, header=True) for g in litigation),
        ],
        [LCell(f.label.text, header=True) for _ in litigation for f in t4.fields],
        [
            LCell(
                value_text(fmt, f"t4.{g.id}.{f.id}", report.cells.get(f"t4.{g.id}.{f.id}"), raw),
                cell_id=f"t4.{g.id}.{f.id}",
            )
            for g in t4.groups
            for f in t4.fields
        ],
    ]


def tables(fmt: Format, report: Report, raw: bool = False) -> dict[str, Grid]:
    return {"s2": table2(fmt, report, raw), "s3": table3(fmt, report, raw), "s4": table4(fmt, report, raw)}


def title(report: Report) -> str:
    return f"{report.agency.name or ''}{report.year or ''}年政府信息公开工作年度报告"


def sections(report: Report, fmt: Format) -> list[tuple[str, str, str]]:
    """(id, heading, text) for the six official sections, with the report's narrative where it has one."""
    texts: dict[str, str] = {}
    for s in report.sections:
        if s.id:
            texts[s.id] = f"{texts[s.id]}\n{s.text}" if s.id in texts else s.text
    return [(s.id, f"{s.ordinal}、{s.title.text}", texts.get(s.id, "")) for s in fmt.sections]


def signature(report: Report) -> tuple[str, str]:
    """The signature block: agency name and the date as printed (2021年1月15日)."""
    d = report.signature_date
    return report.agency.name or "", f"{d.year}年{d.month}月{d.day}日" if d else ""


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(slots=True)
class Page:
    """Everything a writer draws, in order: title, sections (heading, paragraphs, table grid), signature."""

    title: str
    sections: list[tuple[str, list[str], Grid | None]]
    agency: str
    date: str


def page(report: Report, raw: bool = False) -> Page:
    fmt = format_of(report)
    grids = tables(fmt, report, raw)
    agency, date = signature(report)
    return Page(
        title(report),
        [(heading, paragraphs(text), grids.get(sid)) for sid, heading, text in sections(report, fmt)],
        agency,
        date,
    )


def flat(grid: Grid) -> list[list[str]]:
    """The grid with every covered slot filled (Markdown has no spans): labels are repeated, value
    slots covered by a spanning value stay blank so no number is printed twice."""
    taken: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            while (r, col) in taken:
                col += 1
            for dr in range(c.rowspan):
                for dc in range(c.colspan):
                    first = (dr, dc) == (0, 0)
                    taken[(r + dr, col + dc)] = c.text if first or not c.cell_id else ""
            col += c.colspan
    width = max((k[1] for k in taken), default=-1) + 1
    return [[taken.get((r, c), "") for c in range(width)] for r in range(len(grid))]


def origins(grid: Grid) -> list[tuple[int, int, LCell]]:
    """(row, grid column, cell) of every origin cell: where each spanning cell starts."""
    out: list[tuple[int, int, LCell]] = []
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        col = 0
        for c in row:
            while (r, col) in taken:
                col += 1
            out.append((r, col, c))
            taken.update((r + dr, col + dc) for dr in range(c.rowspan) for dc in range(c.colspan))
            col += c.colspan
    return out


def width(grid: Grid) -> int:
    return sum(c.colspan for c in grid[0]) if grid else 0
