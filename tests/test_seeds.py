"""The five real seed reports read exactly: every cell, publisher, region, year, format, findings."""

from __future__ import annotations

import datetime as dt

import pytest

from gongkai import api

from .expected_seeds import EXPECTED

SEEDS = sorted(EXPECTED)


@pytest.fixture(scope="module")
def reports(seeds):
    return {k: api.parse(p) for k, p in seeds.items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_cell_exact(reports, seed):
    got = reports[seed].values()
    want = EXPECTED[seed]["cells"]
    diff = {k: (got.get(k, "<absent>"), v) for k, v in want.items() if got.get(k, "<absent>") != v}
    extra = sorted(set(got) - set(want))
    assert not diff, f"cells differ (got, want): {diff}"
    assert not extra, f"cells the 2019 template does not have: {extra}"


@pytest.mark.parametrize("seed", SEEDS)
def test_publisher_year_format(reports, seed):
    r = reports[seed]
    name, kind, code = EXPECTED[seed]["agency"]
    assert (r.agency.name, r.agency.kind, r.agency.region.code if r.agency.region else None) == (
        name,
        kind,
        code,
    )
    assert r.year == 2020
    assert r.template == "2019"
    sig = EXPECTED[seed]["signature"]
    assert r.signature_date == (dt.date.fromisoformat(sig) if sig else None)


def test_two_nanshan_districts_are_told_apart(reports):
    a, b = reports["000"].agency.region, reports["004"].agency.region
    assert (a.code, a.province, a.city, a.county) == ("440305", "广东省", "深圳市", "南山区")
    assert (b.code, b.province, b.city, b.county) == ("230404", "黑龙江省", "鹤岗市", "南山区")


def test_only_seed_003_has_errors_and_they_name_their_cells(reports):
    for seed in ("000", "001", "002", "004"):
        assert reports[seed].errors() == [], (seed, [f.message for f in reports[seed].errors()])
    errors = reports["003"].errors()
    assert [f.rule for f in errors] == ["t3.balance"]
    balance = errors[0]
    assert balance.cells == ["t3.new.total", "t3.carried.total", "t3.handled.total", "t3.forward.total"]
    assert "(1)" in balance.message and "(2)" in balance.message
    assert balance.status == "fail"


def test_seed_003_blank_cells_are_undecidable_not_zero(reports):
    r = reports["003"]
    undecided = [f for f in r.findings if f.status == "undecidable"]
    assert {f.rule for f in undecided} >= {"t3.row_total", "t3.outcome_total", "t3.balance"}
    assert all(f.severity != "error" for f in undecided)
    handled_row = [f for f in undecided if f.rule == "t3.row_total" and "t3.handled.total" in f.cells]
    assert handled_row and handled_row[0].severity == "warning" and "无法判定" in handled_row[0].message
    unfilled = [f for f in r.findings if f.rule == "conf.unfilled"]
    assert unfilled and len(unfilled[0].cells) == 154


def test_seed_004_non_standard_sections_are_warned(reports):
    rules = [(f.rule, f.severity) for f in reports["004"].findings if f.rule.startswith("conf.section")]
    assert ("conf.section_renamed", "warning") in rules  # 一、工作情况概述; 七、存在的主要问题和改进措施
    assert rules.count(("conf.section_extra", "warning")) == 2  # 五、保密审查… 六、实施方案…
    assert ("conf.section_missing", "warning") in rules  # 六、其他需要报告的事项
    for seed in ("000", "001", "002"):
        assert not [f for f in reports[seed].findings if f.rule.startswith("conf.section")], seed


def test_raw_text_unit_and_stated_totals_are_kept(reports):
    c = reports["000"].cells
    assert (c["t2.rules.made"].value, c["t2.rules.made"].raw) == (0, "/")
    assert (c["t2.penalty.change"].value, c["t2.penalty.change"].raw) == (2668, "增2,668")
    amount = c["t2.procurement.amount"]
    assert (amount.value, amount.raw, amount.unit) == (170815.4, "170,815.4万元", "万元")
    yuan = reports["001"].cells["t2.procurement.amount"]
    assert (yuan.value, yuan.unit) == (212250.0, "元")
    c2 = reports["002"].cells
    for row, total in EXPECTED["002"]["stated"].items():
        assert c2[f"t2.{row}.change"].stated_total == total
    assert reports["003"].cells["t3.granted.np"].raw is None  # blank stays blank


def test_every_cell_traces_to_its_line(reports, seeds):
    for seed, r in reports.items():
        lines = seeds[seed].read_text(encoding="utf-8").splitlines()
        for cid, cell in r.cells.items():
            if cell.raw is None:
                continue
            assert cell.prov is not None and cell.prov.line, (seed, cid)
            assert cell.raw in lines[cell.prov.line - 1], (seed, cid, cell.prov.line)
    assert reports["000"].cells["t3.new.total"].prov.line == 128


def test_narrative_numbers_are_checked_against_tables(reports):
    facts = {(f.kind, f.value) for f in reports["000"].facts}
    assert {("received", 262), ("review", 5), ("litigation", 4)} <= facts
    assert not [f for f in reports["000"].findings if f.rule.startswith("text.")]
    assert ("handled", 35) in {(f.kind, f.value) for f in reports["002"].facts}
