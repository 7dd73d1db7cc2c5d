"""The official layout as grids: the three tables of a report, built from the format data only.

Every output format (HTML, PDF, DOCX, Markdown) renders these grids, so the merged header cells, the
勾稽 note and the group rows are defined once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formats import Format
from ..formats.official import INFO_CONTENT, T3_NOTE, T3_OUTCOMES, T3_PARENT_COLUMNS
from ..report import Cell, Report


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


def t3_rows(fmt: Format, report: Report) -> list:
    rows = list(fmt.t3.rows)
    for alt, replaced in fmt.t3.alternatives:
        if f"t3.{alt.id}.total" in report.cells and not any(
            f"t3.{r}.total" in report.cells for r in replaced
        ):
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
