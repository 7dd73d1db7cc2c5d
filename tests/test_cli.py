"""The CLI: parse and check, Chinese by default and English on request; bad input never stops a batch."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest
from typer.testing import CliRunner

from gongkai.cli import app

from .conftest import SEEDS, seed_path

runner = CliRunner()


def test_parse_json_is_the_cells_md_contract():
    result = runner.invoke(app, ["parse", "--json", str(seed_path("000"))])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["template"] == "2019" and doc["year"] == 2020
    assert doc["agency"] == {
        "name": "深圳市南山区人民政府",
        "kind": "government",
        "region": {"code": "440305", "province": "广东省", "city": "深圳市", "county": "南山区"},
    }
    assert doc["cells"]["t3.new.total"] == 262 and doc["cells"]["t2.procurement.amount"] == 170815.4
    assert doc["cell_sources"]["t3.new.total"] == {
        "value": 262,
        "raw": "262",
        "source": {"file": str(seed_path("000")), "line": 128, "table": 1, "row": 3, "col": 7},
    }


def test_parse_prints_tables():
    result = runner.invoke(app, ["parse", str(seed_path("002"))])
    assert result.exit_code == 0
    assert "深圳市盐田区人民政府" in result.output and "512（+284）" in result.output


def test_check_folder_in_chinese_and_exit_status():
    result = runner.invoke(app, ["check", str(SEEDS)])
    assert result.exit_code == 1, result.output  # seed 003 breaks the identity
    out = result.output
    for name in (
        "深圳市南山区人民政府",
        "广州市南沙区人民政府",
        "深圳市盐田区人民政府",
        "深圳市龙岗区政务服务数据管理局",
        "鹤岗市南山区人民政府",
    ):
        assert name in out
    assert "一+二 (1) ≠ 三（七）+四 (2)" in out
    assert "共 5 个文件：4 份报告无错误，1 份有错误，0 个文件无法读取。" in out


def test_check_in_english():
    result = runner.invoke(app, ["check", "--lang", "en", str(seed_path("003"))])
    assert result.exit_code == 1
    assert "new + carried over (1) ≠ handled + carried forward (2)" in result.output
    assert "1 files: 0 reports without errors, 1 with errors, 0 unreadable." in result.output


def test_check_csv_and_json():
    result = runner.invoke(app, ["check", "--format", "csv", str(seed_path("003"))])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert any(r["rule"] == "t3.balance" and r["severity"] == "error" for r in rows)
    result = runner.invoke(app, ["check", "--format", "json", str(seed_path("000"))])
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["cells"]["t4.direct.total"] == 2


@pytest.fixture
def batch(tmp_path):
    shutil.copy(seed_path("000"), tmp_path / "good.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "noise.txt").write_bytes(bytes(range(256)) * 30)
    (tmp_path / "letter.txt").write_text(
        "关于召开会议的通知\n请各单位于下周一上午九点参加会议。\n", encoding="utf-8"
    )
    lines = seed_path("000").read_text(encoding="utf-8").splitlines()
    (tmp_path / "truncated.txt").write_text("\n".join(lines[:140]), encoding="utf-8")
    return tmp_path


def test_bad_input_gets_one_clear_line_and_the_batch_goes_on(batch):
    result = runner.invoke(app, ["check", str(batch)])
    assert result.exit_code == 2, result.output
    out = result.output
    lines = out.splitlines()

    def line_for(name: str) -> str:
        found = [x for x in lines if name in x and "✗" in x]
        assert len(found) == 1, (name, out)
        return found[0]

    assert "文件为空" in line_for("empty.txt")
    assert "图片已损坏" in line_for("binary.bin")  # sniffed as PNG by its magic bytes, then refused
    assert "二进制" in line_for("noise.txt")
    assert "不是政府信息公开工作年度报告" in line_for("letter.txt")
    assert "深圳市南山区人民政府" in out  # good.txt was still checked
    assert "报告不完整" in out and "truncated.txt" in out
    assert "共 6 个文件：1 份报告无错误，1 份有错误，4 个文件无法读取。" in out


def test_rules_lists_the_catalogue():
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0 and "t3.balance" in result.output
