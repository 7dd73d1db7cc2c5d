"""Exports of any list of reports: CSV (UTF-8 with BOM, for Excel), XLSX with Chinese headers, Parquet, JSON.

Two shapes. ``wide``: one row per report, one column per cell ID (headers carry the printed labels).
``tidy``: one row per cell with its value, the printed text and where it came from — what a researcher
loads into pandas or DuckDB. Findings export one row per finding.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from .formats import FORMAT_2019, FORMAT_2021, FORMATS, Format, cell_label, format_for_year
from .report import Report, json_default
from .spreadsheet import csv_row, xlsx_append

META = [
    ("source", "文件"),
    ("agency", "发布机关"),
    ("kind", "机关类型"),
    ("region_code", "行政区划代码"),
    ("province", "省"),
    ("city", "市"),
    ("county", "县区"),
    ("year", "年度"),
    ("template", "格式"),
    ("errors", "错误数"),
    ("warnings", "警告数"),
]
TIDY = [
    ("source", "文件"),
    ("agency", "发布机关"),
    ("region_code", "行政区划代码"),
    ("year", "年度"),
    ("cell_id", "单元格"),
    ("label", "栏目"),
    ("value", "数值"),
    ("raw", "原文"),
    ("location", "出处"),
    ("recovered", "粘连还原"),
    ("confidence", "识别置信度"),
]
FINDINGS = [
    ("source", "文件"),
    ("agency", "发布机关"),
    ("year", "年度"),
    ("rule", "规则"),
    ("severity", "级别"),
    ("status", "状态"),
    ("cells", "单元格"),
    ("message", "说明"),
]


def _fmt(report: Report) -> Format:
    return FORMATS.get(report.template or "") or format_for_year(report.year or 2021)


def _meta(r: Report) -> dict[str, Any]:
    reg = r.agency.region
    return {
        "source": r.source,
        "agency": r.agency.name,
        "kind": r.agency.kind,
        "region_code": reg.code if reg else None,
        "province": reg.province if reg else None,
        "city": reg.city if reg else None,
        "county": reg.county if reg else None,
        "year": r.year,
        "template": r.template,
        "errors": sum(f.severity == "error" for f in r.findings),
        "warnings": sum(f.severity == "warning" for f in r.findings),
    }


def wide_columns(reports: Sequence[Report]) -> list[tuple[str, str]]:
    """Every cell ID any of the reports has, in format order, with its printed label as header."""
    order = [*FORMAT_2021.cell_ids(), *FORMAT_2019.cell_ids()]
    for alt, _ in FORMAT_2021.t3.alternatives:
        order += [f"t3.{alt.id}.{c.id}" for c in FORMAT_2021.t3.columns]
    present = {cid for r in reports for cid in r.cells}
    seen: dict[str, str] = {}
    for cid in order:
        if cid in present and cid not in seen:
            fmt = (
                FORMAT_2019
                if cid in FORMAT_2019.cell_ids() and cid not in FORMAT_2021.cell_ids()
                else FORMAT_2021
            )
            seen[cid] = fmt.cell_label(cid)
    return list(seen.items())


def wide_rows(reports: Sequence[Report]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    cols = wide_columns(reports)
    rows = [{**_meta(r), **{cid: r.value(cid) for cid, _ in cols}} for r in reports]
    return [*META, *cols], rows


def tidy_rows(reports: Iterable[Report]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    rows = []
    for r in reports:
        m = _meta(r)
        fmt = _fmt(r)
        for cid, c in r.cells.items():
            rows.append(
                {
                    "source": r.source,
                    "agency": m["agency"],
                    "region_code": m["region_code"],
                    "year": r.year,
                    "cell_id": cid,
                    "label": fmt.cell_label(cid),
                    "value": c.value,
                    "raw": c.raw,
                    "location": c.prov.describe() if c.prov else None,
                    "recovered": c.recovered,
                    "confidence": c.confidence,
                }
            )
    return TIDY, rows


def finding_rows(reports: Iterable[Report]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    rows = [
        {
            "source": r.source,
            "agency": r.agency.name,
            "year": r.year,
            "rule": f.rule,
            "severity": f.severity,
            "status": f.status,
            "cells": " ".join(f.cells),
            "message": f.message,
        }
        for r in reports
        for f in r.findings
    ]
    return FINDINGS, rows


SHAPES = {"wide": wide_rows, "tidy": tidy_rows, "findings": finding_rows}


def to_bytes(columns: list[tuple[str, str]], rows: list[dict[str, Any]], fmt: str, lang: str = "zh") -> bytes:
    """Serialise rows. Headers are the labels of the format data in ``lang`` (a cell's printed label in
    Chinese, its English label in English), other columns their Chinese label or English key."""
    keys = [k for k, _ in columns]
    headers = [label if lang == "zh" else _english(k) for k, label in columns]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(csv_row(headers))
        for row in rows:  # formula-like text (a file named "=…") prefixed with ' (spreadsheet.py)
            w.writerow(csv_row("" if row.get(k) is None else row.get(k) for k in keys))
        return "\ufeff".encode() + buf.getvalue().encode("utf-8")  # BOM: Excel opens it as UTF-8
    if fmt == "json":
        return json.dumps(
            [{k: row.get(k) for k in keys} for row in rows],
            ensure_ascii=False,
            indent=1,
            default=json_default,
        ).encode()
    if fmt == "xlsx":
        return _xlsx(keys, headers, rows)
    if fmt == "parquet":
        return _parquet(keys, rows)
    raise ValueError(f"unknown export format: {fmt}")


def _english(key: str) -> str:
    if key[:3] in ("t2.", "t3.", "t4.") and key.count(".") >= 2:
        return cell_label(key, "en")
    return key.replace("_", " ")


def _xlsx(keys: list[str], headers: list[str], rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "gongkai"
    xlsx_append(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:  # formula-like text stays a string cell (spreadsheet.py)
        xlsx_append(ws, [row.get(k) for k in keys])
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parquet(keys: list[str], rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {k: [row.get(k) for row in rows] for k in keys}
    arrays = {}
    for k, vals in columns.items():
        if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in vals) and any(
            isinstance(v, float) for v in vals
        ):
            arrays[k] = pa.array([None if v is None else float(v) for v in vals], pa.float64())
        else:
            arrays[k] = pa.array(vals)
    buf = io.BytesIO()
    pq.write_table(pa.table(arrays), buf, compression="zstd")
    return buf.getvalue()


def export(reports: Sequence[Report], fmt: str, shape: str = "wide", lang: str = "zh") -> bytes:
    columns, rows = SHAPES[shape](reports)
    return to_bytes(columns, rows, fmt, lang)
