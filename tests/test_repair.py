"""Glued and split digits recovered by the template's arithmetic; ambiguity reported, never guessed."""

from __future__ import annotations

import pytest

from gongkai import api
from gongkai.extract.repair import group_totals, repair, row_total
from gongkai.formats import FORMAT_2019, FORMAT_2021

from .conftest import SHARED

PINGTAN = SHARED / "fixtures" / "pingtan"


def test_examples_from_the_issue_are_unique():
    assert repair(["21710000218"], 7, row_total(7)).unique == (217, 1, 0, 0, 0, 0, 218)
    t4 = repair(["21317000001324019"], 15, group_totals(3, 5))
    assert t4.unique == (2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19)


def test_split_number_is_joined():
    assert repair(["1", "2", "0", "0", "0", "0", "0", "12"], 7, row_total(7)).unique == (
        12,
        0,
        0,
        0,
        0,
        0,
        12,
    )
    assert repair(["1696", "74", "0", "0", "0", "7", "17", "77"], 7, row_total(7)).unique == (
        1696,
        74,
        0,
        0,
        0,
        7,
        1777,
    )


def test_ambiguous_lists_every_reading():
    r = repair(["7700"], 3)
    assert r.unique is None and sorted(r.candidates) == [(7, 70, 0), (77, 0, 0)]
    r = repair(["11011"], 3, [(2, (0, 1))])  # 1+10=11 or 11+0=11? "11|0|11" needs 5 digits: 1|10|11, 11|0|11
    assert sorted(r.candidates) == [(1, 10, 11), (11, 0, 11)]


def test_impossible_and_as_printed():
    assert repair(["1234567"], 7, row_total(7)).candidates == []
    assert repair(["1", "0", "0", "0", "0", "0", "1"], 7, row_total(7)).unique == (1, 0, 0, 0, 0, 0, 1)
    assert repair(["1", "0", "0", "0", "0", "0", "2"], 7, row_total(7)).candidates == []


def test_no_leading_zeros():
    assert repair(["0000000"], 7, row_total(7)).unique == (0,) * 7
    assert all(len(str(v)) for c in repair(["1005"], 2).candidates for v in c)
    assert (1, 5) not in repair(["105"], 2).candidates  # "05" is not a number


def _report(name: str):
    return api.parse(PINGTAN / name)


def test_crawler_dump_2020_reads_exactly():
    r = _report("2020_lyy.txt")
    assert (r.agency.name, r.agency.kind, r.year, r.template) == (
        "平潭综合实验区旅游与文化体育局",
        "department",
        2020,
        "2019",
    )
    assert r.agency.region.code == "350128"
    want = {cid: 0 for cid in FORMAT_2019.cell_ids()}
    want.update(
        {
            "t2.normative.made": 5,
            "t2.normative.published": 5,
            "t2.normative.total": 5,
            "t2.licensing.prev": 15,
            "t2.licensing.change": 11,
            "t2.penalty.prev": 30,
            "t2.procurement.items": 3,
            "t2.procurement.amount": 344.3,
        }
    )
    assert r.values() == want
    assert r.cells["t2.procurement.amount"].raw == "3443000元"
    assert r.cells["t2.procurement.amount"].prov.offset is not None  # traceable to the character


def test_crawler_dump_2022_glued_cells():
    r = _report("2022_nyn.txt")
    assert (r.year, r.template) == (2022, "2021")
    got = r.values()
    assert set(got) == set(FORMAT_2021.cell_ids())  # the split （六） rows are printed
    t3 = {k: v for k, v in got.items() if k.startswith(("t3.", "t4."))}
    assert set(t3.values()) == {0}
    assert all(r.cells[k].recovered for k in t3)  # every one of them was glued: "0000000"
    assert (got["t2.licensing.decisions"], got["t2.penalty.decisions"], got["t2.coercion.decisions"]) == (
        160,
        236,
        0,
    )
    # 行政规范性文件 "5125": 5|1|25, 5|12|5 or 51|2|5 — no sum decides, so nothing is taken
    assert [got[f"t2.normative.{f}"] for f in ("issued", "repealed", "in_force")] == [None, None, None]
    assert r.cells["t2.normative.issued"].raw == "5125"
    [amb] = [f for f in r.findings if f.rule == "repair.ambiguous"]
    assert "5|1|25" in amb.message and "5|12|5" in amb.message and "51|2|5" in amb.message
    assert amb.cells == ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"]
    assert not [f for f in r.findings if f.rule in ("conf.unfilled", "conf.row_missing")]


def test_crawler_dump_2019_ambiguous_rows_listed():
    r = _report("2019_nyn.txt")
    got = r.values()
    assert (got["t2.fees.prev"], got["t2.fees.change"]) == (16, -12)
    assert got["t2.licensing.prev"] is None and r.cells["t2.licensing.prev"].raw == "7700"
    messages = " ".join(f.message for f in r.findings if f.rule == "repair.ambiguous")
    assert "7|70|0" in messages and "77|0|0" in messages
    assert "48|38518699.09元" in messages  # 政府集中采购: items and amount glued
    assert {got[k] for k in got if k.startswith(("t3.", "t4."))} == {0}


@pytest.mark.parametrize("name", ["2019_nyn.txt", "2020_lyy.txt", "2022_nyn.txt"])
def test_crawler_dumps_find_their_sections(name):
    r = _report(name)
    assert {"s1", "s2", "s3", "s4", "s5", "s6"} <= {s.id for s in r.sections}
    assert not r.errors(), [f.message for f in r.errors()]


def test_ambiguous_t3_row_decided_by_column_sums():
    # A crawled table 三 whose 自然人 row is glued "11011" (1|10|11?) — no: use a real shape:
    lines = []
    for label, vals in [
        ("一、本年新收政府信息公开申请数量", "110000011"),
        ("二、上年结转政府信息公开申请数量", "0000000"),
        ("（一）予以公开", "110000011"),
        ("（七）总计", "110000011"),
        ("四、结转下年度继续办理", "0000000"),
    ]:
        lines.append(f"{label}{vals}")
    text = (
        "2021年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计"
        "商业企业科研机构社会公益组织法律服务机构其他" + "".join(lines) + "\n"
    )
    r = api.parse_text(text)
    # "110000011" reads 1|10|0|0|0|0|11 or 11|0|0|0|0|0|11: row sums cannot tell, column sums cannot either
    amb = [f for f in r.findings if f.rule == "repair.ambiguous"]
    assert amb and "1|10|0|0|0|0|11" in amb[0].message and "11|0|0|0|0|0|11" in amb[0].message


def test_impossible_glued_row_is_reported():
    text = (
        "2021年政府信息公开工作年度报告\n"
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况自然人法人或其他组织总计"
        "商业企业科研机构社会公益组织法律服务机构其他一、本年新收政府信息公开申请数量12345678\n"
    )
    r = api.parse_text(text)
    [f] = [f for f in r.findings if f.rule == "repair.impossible"]
    assert "12345678" in f.message and f.cells[0] == "t3.new.np"
    assert r.cells["t3.new.np"].value is None and r.cells["t3.new.np"].raw == "12345678"
