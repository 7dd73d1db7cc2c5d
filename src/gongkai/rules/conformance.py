"""Conformance and metadata findings: sections, unfilled cells, missing tables and rows, deadlines."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from ..formats import Format
from ..report import LOW_CONFIDENCE, Finding, Report
from .catalogue import BY_ID
from .engine import format_of

if TYPE_CHECKING:
    from ..document import Provenance
    from ..extract.tables import Issue

_TABLE_NAMES = {
    "t2": ("表二 主动公开政府信息情况", "table 2"),
    "t3": ("表三 收到和处理政府信息公开申请情况", "table 3"),
    "t4": ("表四 政府信息公开行政复议、行政诉讼情况", "table 4"),
}


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return self.get("detail", "") if key == "detail_en" else ""


def raise_rule(
    rule_id: str,
    detail: str = "",
    cells: list[str] | None = None,
    where: Provenance | None = None,
    **params: str,
) -> Finding:
    rule = BY_ID[rule_id]
    p = _Params(params, detail=detail)
    return Finding(
        rule.id,
        rule.severity,
        cells or [],
        rule.message.format_map(p),
        rule.message_en.format_map(p),
        "fail",
        rule.basis,
        where,
    )


def issue_finding(issue: Issue, fmt: Format) -> Finding:
    return raise_rule(issue.rule, issue.detail, issue.cells, issue.prov)


def conformance(report: Report) -> list[Finding]:
    fmt = format_of(report)
    truncated = _truncated(report, fmt)
    if truncated:  # what is missing is implied; one finding says it
        return [truncated, *_metadata(report)]
    return [*_sections(report, fmt), *_tables(report), *_ocr(report, fmt), *_metadata(report)]


def _ocr(report: Report, fmt: Format) -> list[Finding]:
    low = [
        cid for cid, c in report.cells.items() if c.confidence is not None and c.confidence < LOW_CONFIDENCE
    ]
    if not low:
        return []
    shown = "、".join(fmt.cell_label(c) for c in low[:3]) + (" 等" if len(low) > 3 else "")
    return [raise_rule("ocr.low_confidence", shown, low, count=str(len(low)))]


def _truncated(report: Report, fmt: Format) -> Finding | None:
    """A report that stops part-way: its last tables and last sections are all missing."""
    found = {s.id for s in report.sections if s.id}
    cells = report.cells
    seen = {
        t for t, ids in _by_table(tuple(cells)).items() if any(cells[cid].prov is not None for cid in ids)
    }
    if not seen or "t4" in seen or found & {"s4", "s5", "s6"}:
        return None
    tables = [zh.split(" ", 1)[0] for t, (zh, _en) in _TABLE_NAMES.items() if t not in seen]
    sections = [s.ordinal for s in fmt.sections if s.id not in found]
    return raise_rule(
        "conf.truncated",
        f"未找到{'、'.join(tables)}及第{'、'.join(sections)}部分",
        detail_en=f"{len(tables)} tables and {len(sections)} sections not found",
    )


@lru_cache(maxsize=256)
def _by_table(cell_ids: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The cell IDs of each table (what comes before the first dot), once per layout."""
    out: dict[str, list[str]] = {}
    for cid in cell_ids:
        out.setdefault(cid.split(".", 1)[0], []).append(cid)
    return {t: tuple(ids) for t, ids in out.items()}


def _sections(report: Report, fmt: Format) -> list[Finding]:
    out: list[Finding] = []
    found = {s.id for s in report.sections if s.id}
    for sec in fmt.sections:
        if sec.id not in found:
            out.append(raise_rule("conf.section_missing", f"{sec.ordinal}、{sec.title.text}"))
    for s in report.sections:
        printed = (f"{s.ordinal}、" if s.ordinal else "") + s.title
        official = next((x for x in fmt.sections if x.id == s.id), None)
        if official is None:
            out.append(raise_rule("conf.section_extra", printed, where=s.prov))
            continue
        if s.title.replace(" ", "") != official.title.text or (s.ordinal and s.ordinal != official.ordinal):
            out.append(
                raise_rule(
                    "conf.section_renamed",
                    f"{printed}（应为“{official.ordinal}、{official.title.text}”）",
                    where=s.prov,
                )
            )
        elif not s.ordinal:
            out.append(raise_rule("conf.section_ordinal", printed, where=s.prov))
    return out


_Layout = tuple[tuple[str, ...], tuple[int, ...], dict[str, list[tuple[int, list[str]]]]]


@lru_cache(maxsize=256)
def _layout(cell_ids: tuple[str, ...]) -> _Layout:
    """Per cell (in order) its table and the number of its row; per table its rows (number, cells).
    Worked out once per layout: reports of one format share their cell IDs."""
    tables: dict[str, dict[str, tuple[int, list[str]]]] = {}
    numbers: dict[str, int] = {}
    table_of: list[str] = []
    row_of: list[int] = []
    for cid in cell_ids:
        row = cid[: cid.rfind(".")]
        table = cid[: cid.find(".")]
        number = numbers.setdefault(row, len(numbers))
        tables.setdefault(table, {}).setdefault(row, (number, []))[1].append(cid)
        table_of.append(table)
        row_of.append(number)
    return tuple(table_of), tuple(row_of), {t: list(rows.values()) for t, rows in tables.items()}


def _tables(report: Report) -> list[Finding]:
    out: list[Finding] = []
    # One pass over the cells: per table, the printed cells and the printed-but-blank ones, and
    # which rows had a printed cell.
    table_of, row_of, tables = _layout(tuple(report.cells))
    printed = bytearray(len(row_of))
    seen_in: dict[str, int] = {}
    blank_in: dict[str, list[str]] = {}
    for (cid, c), table, row in zip(report.cells.items(), table_of, row_of, strict=True):
        if c.prov is not None:
            printed[row] = 1
            seen_in[table] = seen_in.get(table, 0) + 1
            if c.value is None and c.raw is None:
                blank_in.setdefault(table, []).append(cid)
    for table, (zh, _en) in _TABLE_NAMES.items():
        rows = tables.get(table, [])
        if rows and not seen_in.get(table):
            out.append(raise_rule("conf.table_missing", zh, rows[0][1][:1]))
            continue
        for number, cells in rows:
            if not printed[number]:
                out.append(
                    raise_rule(
                        "conf.row_missing",
                        format_of(report).cell_label(cells[0]).rsplit(" / ", 1)[0],
                        list(cells),
                    )
                )
        blank = blank_in.get(table, [])
        if blank:
            out.append(raise_rule("conf.unfilled", zh, blank, count=str(len(blank))))
    return out


def _metadata(report: Report) -> list[Finding]:
    out: list[Finding] = []
    a = report.agency
    if not a.name:
        out.append(raise_rule("meta.no_agency"))
    elif a.region is None or not a.region.code:
        out.append(raise_rule("meta.no_region", a.name, where=a.prov))
    if report.year is None:
        out.append(raise_rule("meta.no_year"))
    d = report.signature_date
    if d and report.year:
        due = dt.date(report.year + 1, 1, 31) if a.kind == "department" else dt.date(report.year + 1, 3, 31)
        if d > due:
            out.append(raise_rule("meta.deadline", f"{d.isoformat()} 晚于法定期限 {due.isoformat()}"))
        elif d <= dt.date(report.year, 12, 31):
            out.append(raise_rule("meta.deadline", f"{d.isoformat()} 早于报告年度结束"))
    return out
