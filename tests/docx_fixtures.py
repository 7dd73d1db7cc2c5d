"""Report-like DOCX files built with python-docx for the DOCX and DOC/WPS reader tests.

Table 三 and table 四 are laid out like the official 2021 format, merged cells included; every
label is taken from ``gongkai.formats`` and every value is distinct, so a value that lands in the
wrong cell shows.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.table import Table as DocxTable

from gongkai.formats import FORMAT_2021
from gongkai.formats.official import T3_NOTE, T3_OUTCOMES, T3_PARENT_COLUMNS

AGENCY = "测试市人民政府"
TITLE = f"{AGENCY}2021年政府信息公开工作年度报告"
T3 = FORMAT_2021.t3
T4 = FORMAT_2021.t4
_TOP_ROWS = ("new", "carried", "forward")  # label across the three label columns


def t3_values() -> dict[str, int]:
    return {cid: 1000 + i for i, cid in enumerate(T3.cell_ids())}


def t4_values() -> dict[str, int]:
    return {cid: 50 + i for i, cid in enumerate(T4.cell_ids())}


def build_report(path: Path) -> Path:
    d = docx.Document()
    d.add_heading(TITLE, level=0)
    d.add_heading("一、总体情况", level=1)
    p = d.add_paragraph("第一行正文")
    p.add_run().add_break()
    p.add_run("第二行正文")
    d.add_heading(f"三、{FORMAT_2021.sections[2].title.text}", level=1)
    _table3(d, t3_values())
    d.add_heading(f"四、{FORMAT_2021.sections[3].title.text}", level=1)
    _table4(d, t4_values())
    d.add_paragraph("以上为本机关年度报告。")
    d.save(str(path))
    return path


def _merge(t: DocxTable, r0: int, c0: int, r1: int, c1: int, text: str) -> None:
    cell = t.cell(r0, c0).merge(t.cell(r1, c1)) if (r0, c0) != (r1, c1) else t.cell(r0, c0)
    cell.text = text


def _table3(d: docx.document.Document, values: dict[str, int]) -> None:
    rows = T3.rows
    t = d.add_table(rows=3 + len(rows), cols=10)
    t.style = "Table Grid"
    _merge(t, 0, 0, 2, 2, T3_NOTE.text)
    _merge(t, 0, 3, 0, 9, T3_PARENT_COLUMNS[0].text)
    _merge(t, 1, 3, 2, 3, T3.columns[0].label.text)
    _merge(t, 1, 4, 1, 8, T3_PARENT_COLUMNS[1].text)
    _merge(t, 1, 9, 2, 9, T3.columns[6].label.text)
    for j, col in enumerate(T3.columns[1:6]):
        t.cell(2, 4 + j).text = col.label.text
    outcomes = [i for i, r in enumerate(rows) if r.id not in _TOP_ROWS]
    _merge(t, 3 + outcomes[0], 0, 3 + outcomes[-1], 0, T3_OUTCOMES.text)
    i = 0
    while i < len(rows):
        row, r = rows[i], 3 + i
        if row.id in _TOP_ROWS:
            _merge(t, r, 0, r, 2, row.label.text)
        elif row.group is None:
            _merge(t, r, 1, r, 2, row.label.text)
        else:
            n = sum(1 for x in rows[i:] if x.group == row.group)
            _merge(t, r, 1, r + n - 1, 1, row.group.text)
            for k in range(n):
                t.cell(r + k, 2).text = rows[i + k].label.text
            i += n - 1
        i += 1
    for i, row in enumerate(rows):
        cells = t.rows[3 + i].cells
        for j, col in enumerate(T3.columns):
            cells[3 + j].text = str(values[f"t3.{row.id}.{col.id}"])


def _table4(d: docx.document.Document, values: dict[str, int]) -> None:
    n = len(T4.fields)
    t = d.add_table(rows=4, cols=3 * n)
    t.style = "Table Grid"
    _merge(t, 0, 0, 0, n - 1, T4.parents[0].text)
    _merge(t, 0, n, 0, 3 * n - 1, T4.parents[1].text)
    for j, f in enumerate(T4.fields):
        _merge(t, 1, j, 2, j, f.label.text)
    for g, group in enumerate(T4.groups[1:], start=1):
        _merge(t, 1, g * n, 1, g * n + n - 1, group.label.text)
        for j, f in enumerate(T4.fields):
            t.cell(2, g * n + j).text = f.label.text
    cells = t.rows[3].cells
    for g, group in enumerate(T4.groups):
        for j, f in enumerate(T4.fields):
            cells[g * n + j].text = str(values[f"t4.{group.id}.{f.id}"])
