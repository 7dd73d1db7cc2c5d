"""Conformance and metadata rules: each raised by a realistic edit of a real seed, absent without it."""

from __future__ import annotations

import re

import pytest

from gongkai import api
from gongkai.rules import RULES

from .conftest import seed_path
from .test_rules import BREAKS


def _seed(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


def _drop_lines(text: str, first: int, last: int) -> str:
    lines = text.splitlines()
    return "\n".join(lines[: first - 1] + lines[last:])


def _edit_line(text: str, no: int, old: str, new: str) -> str:
    lines = text.splitlines()
    assert old in lines[no - 1], lines[no - 1]
    lines[no - 1] = lines[no - 1].replace(old, new, 1)
    return "\n".join(lines)


# rule → (seed, edit). Seed 000 lines: 102-409 the tables; 337-345 （六）其他处理; 367-409 table 四.
EDITS = {
    "conf.table_missing": ("000", lambda t: _drop_lines(t, 368, 409)),
    "conf.row_missing": ("000", lambda t: _drop_lines(t, 337, 346)),
    "conf.row_unknown": ("000", lambda t: _edit_line(t, 338, "（六）其他处理", "（六）其他方式办结")),
    "conf.column_unknown": ("000", lambda t: _edit_line(t, 33, "对外公开总数量", "对外宣传推送数量")),
    "conf.cell_duplicate": (
        "000",
        lambda t: t.replace(
            "\t（一）予以公开\n\t93", "\t（一）予以公开\n\t93\n\n\t\t（一）予以公开\n\t94", 1
        ),
    ),
    "conf.t4_shape": ("000", lambda t: _drop_lines(t, 409, 409)),
    "conf.value_unreadable": ("000", lambda t: _edit_line(t, 122, "236", "-236")),
    "conf.format_year": ("000", lambda t: _edit_line(t, 1, "2020年", "2022年")),
    "conf.format_mixed": ("000", lambda t: t.replace("\t本年新\n制作数量", "\t本年制发件数", 1)),
    "conf.year_mismatch": ("004", lambda t: t.replace("统计期限为2020年1月1日", "统计期限为2019年1月1日", 1)),
    "conf.truncated": ("000", lambda t: "\n".join(t.splitlines()[:140])),
    "conf.section_missing": ("000", lambda t: _drop_lines(t, 416, 417)),
    "conf.section_renamed": (
        "000",
        lambda t: _edit_line(t, 412, "存在的主要问题及改进情况", "存在问题和下一步打算"),
    ),
    "conf.section_extra": (
        "000",
        lambda t: _edit_line(t, 416, "其他需要报告的事项", "其他事项\n七、附件说明"),
    ),
    "conf.section_ordinal": ("000", lambda t: _edit_line(t, 4, "一、总体情况", "总体情况")),
    "conf.unfilled": ("000", lambda t: _edit_line(t, 141, "93", "")),
    "meta.no_agency": ("002", lambda t: t.replace("盐田区", "").replace("深圳市人民政府", "")),
    "meta.no_region": (
        "003",
        lambda t: t.replace("深圳市龙岗区政务服务数据管理局", "数据管理局").replace("深圳", ""),
    ),
    "meta.no_year": ("003", lambda t: re.sub(r"^2020年政府信息公开", "政府信息公开", t, flags=re.M)),
    "meta.deadline": ("003", lambda t: t.replace("2021年1月14日", "2021年3月14日")),
}


@pytest.mark.parametrize("rule", sorted(EDITS))
def test_rule_raised_by_edit_and_absent_without(rule):
    seed, edit = EDITS[rule]
    original = _seed(seed)
    before = api.parse_text(original, f"{seed}.txt")
    assert rule not in {f.rule for f in before.findings}, rule
    edited = edit(original)
    assert edited != original
    after = api.parse_text(edited, f"{seed}-edited.txt")
    raised = [f for f in after.findings if f.rule == rule]
    assert raised, (rule, [(f.rule, f.message) for f in after.findings])
    assert all(f.message and f.message_en for f in raised)


def test_value_unreadable_is_an_error_naming_its_cell():
    report = api.parse_text(EDITS["conf.value_unreadable"][1](_seed("000")))
    [f] = [f for f in report.findings if f.rule == "conf.value_unreadable"]
    assert f.severity == "error" and f.cells == ["t3.new.np"] and "-236" in f.message
    assert report.cells["t3.new.np"].value is None and report.cells["t3.new.np"].raw == "-236"


def test_format_mixed_keeps_both_shapes_of_cells():
    report = api.parse_text(EDITS["conf.format_mixed"][1](_seed("000")))
    assert report.template == "mixed"
    assert report.value("t2.rules.issued") == 0 and report.value("t2.licensing.prev") == 220


def test_every_rule_in_the_catalogue_is_tested():
    tested = (
        set(EDITS)
        | {b[0] for b in BREAKS}
        | {"t2.change", "t2.published_le_total", "text.handled", "text.forward", "text.carried"}
        | {"repair.recovered", "repair.ambiguous", "repair.impossible"}  # tests/test_repair.py
        | {"ocr.low_confidence"}  # tests/test_image_reader.py
        | {"xyear.carried", "xyear.in_force"}  # tests/test_rules.py
    )
    assert {r.id for r in RULES} - tested == set()
