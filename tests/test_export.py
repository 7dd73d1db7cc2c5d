"""Exports read back: CSV with BOM, XLSX with Chinese headers, Parquet, JSON — values intact."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from gongkai import api
from gongkai.export import export

from .conftest import SEEDS


@pytest.fixture(scope="module")
def reports():
    return [r.report for r in api.check_paths([SEEDS]) if r.report]


def test_xlsx_wide_round_trip(reports):
    wb = load_workbook(io.BytesIO(export(reports, "xlsx")))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("文件", "发布机关", "机关类型")
    col = header.index("表三 一、本年新收政府信息公开申请数量 / 总计")
    by_agency = {r[1]: r for r in rows[1:]}
    assert by_agency["深圳市南山区人民政府"][col] == 262
    assert by_agency["广州市南沙区人民政府"][col] == 1777
    amount = header.index("表二 政府集中采购 / 采购总金额")
    assert by_agency["深圳市南山区人民政府"][amount] == 170815.4
    assert by_agency["深圳市龙岗区政务服务数据管理局"][header.index("错误数")] == 1
    assert len(rows) == 6


def test_csv_has_bom_and_opens_as_utf8(reports):
    data = export(reports, "csv", shape="tidy")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    hit = next(r for r in rows if r["发布机关"] == "深圳市南山区人民政府" and r["单元格"] == "t3.new.total")
    assert (hit["数值"], hit["原文"], hit["出处"].startswith("第128行")) == ("262", "262", True)


def test_parquet_and_json(reports):
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(export(reports, "parquet", lang="en")))
    d = table.to_pydict()
    i = d["agency"].index("鹤岗市南山区人民政府")
    assert d["region_code"][i] == "230404" and d["t4.review.total"][i] == 0
    found = json.loads(export(reports, "json", shape="findings", lang="en"))
    assert any(f["rule"] == "t3.balance" and f["severity"] == "error" for f in found)


def test_cli_export(tmp_path):
    from typer.testing import CliRunner

    from gongkai.cli import app

    out = tmp_path / "seeds.xlsx"
    result = CliRunner().invoke(app, ["export", str(SEEDS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导出 5 份报告" in result.output
    assert load_workbook(out).active.max_row == 6


def test_english_headers_are_labels_never_cell_ids(reports):
    text = export(reports, "csv", lang="en").decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:3] == ["source", "agency", "kind"]
    col = header.index("Table 3 new applications this year / total")
    assert not [h for h in header if h.startswith(("t2.", "t3.", "t4."))]
    rows = {r[1]: r for r in csv.reader(io.StringIO(text))}
    assert rows["深圳市龙岗区政务服务数据管理局"][col] == "1"
