"""Every rule of the catalogue passes on a report that keeps it and fails on one that breaks it.

Reports are real: seed 000 (which keeps every rule) read through the whole pipeline, then one
printed number changed in its text, as a careless form-filler would.
"""

from __future__ import annotations

import pytest

from gongkai import api
from gongkai.report import Cell, Fact, Report
from gongkai.rules import RULES, Check, evaluate

from .conftest import seed_path


@pytest.fixture(scope="module")
def seed000() -> str:
    return seed_path("000").read_text(encoding="utf-8")


def _parse(text: str) -> Report:
    return api.parse_text(text, "edited.txt")


def _replace_line(text: str, line_no: int, old: str, new: str) -> str:
    lines = text.splitlines()
    assert old in lines[line_no - 1], lines[line_no - 1]
    lines[line_no - 1] = lines[line_no - 1].replace(old, new)
    return "\n".join(lines)


def _rules(report: Report, status: str = "fail") -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        if f.status == status:
            out.setdefault(f.rule, []).append(f)
    return out


def test_seed_000_keeps_every_arithmetic_and_narrative_rule(seed000):
    fails = _rules(_parse(seed000))
    assert not [r for r in fails if r.startswith(("t2.", "t3.", "t4.", "text."))]


# (rule, line, old, new, a cell the finding must name): one printed number changed in seed 000.
BREAKS = [
    ("t3.row_total", 128, "262", "263", "t3.new.total"),  # 一 总计
    ("t3.outcome_total", 141, "93", "94", "t3.handled.np"),  # （一）予以公开 自然人
    ("t3.balance", 358, "30", "31", "t3.forward.np"),  # 四 结转 自然人
    ("t4.total", 399, "5", "6", "t4.review.total"),  # 行政复议 总计
    ("text.received", 14, "共收到262宗", "共收到226宗", "t3.new.total"),
    ("text.review", 21 + 2, "行政复议案件共5宗", "行政复议案件共7宗", "t4.review.total"),
    ("text.litigation", 23, "行政诉讼案件共4宗", "行政诉讼案件共3宗", "t4.direct.total"),
]


@pytest.mark.parametrize(("rule", "line", "old", "new", "cell"), BREAKS, ids=[b[0] for b in BREAKS])
def test_rule_fails_when_a_number_is_changed(seed000, rule, line, old, new, cell):
    lines = seed000.splitlines()
    if old not in lines[line - 1]:  # narrative lines: find the sentence wherever it is
        line = next(i + 1 for i, x in enumerate(lines) if old in x)
    report = _parse(_replace_line(seed000, line, old, new))
    fails = _rules(report)
    assert rule in fails, [f.rule for f in report.findings]
    assert any(cell in f.cells for f in fails[rule])


def test_t2_change_rule_uses_the_stated_total():
    seed = seed_path("002").read_text(encoding="utf-8")
    assert "t2.change" not in _rules(_parse(seed))
    broken = _parse(seed.replace("512（+284）", "512（+248）"))
    [f] = _rules(broken)["t2.change"]
    assert f.cells == ["t2.licensing.prev", "t2.licensing.change"]
    assert "476" in f.message and "512" in f.message


def test_t2_published_le_total():
    seed = seed_path("002").read_text(encoding="utf-8")
    assert "t2.published_le_total" not in _rules(_parse(seed))
    lines = seed.splitlines()
    lines[31] = lines[31].replace("22", "30")  # 规范性文件 本年新公开数量 (line 32)
    report = _parse("\n".join(lines))
    [f] = _rules(report)["t2.published_le_total"]
    assert f.severity == "warning" and f.cells == ["t2.normative.published", "t2.normative.total"]


def test_text_handled_forward_and_carried():
    seed = seed_path("002").read_text(encoding="utf-8")
    assert not [r for r in _rules(_parse(seed)) if r.startswith("text.")]
    changed = seed.replace(
        "处理政府信息公开申请35宗", "处理政府信息公开申请36宗，结转下年度办理2件，上年结转3件"
    )
    fails = _rules(_parse(changed))
    assert {"text.handled", "text.forward", "text.carried"} <= set(fails)


def test_meta_deadline():
    seed = seed_path("003").read_text(encoding="utf-8")  # a department: due 31 January
    assert "meta.deadline" not in _rules(_parse(seed))
    late = _parse(seed.replace("2021年1月14日", "2021年2月14日"))
    [f] = _rules(late)["meta.deadline"]
    assert "2021-02-14" in f.message and "2021-01-31" in f.message


def _report(values: dict[str, int | None]) -> Report:
    return Report("x", cells={k: Cell(v) for k, v in values.items()})


def test_blank_is_not_zero():
    check = Check(("a",), ("b", "c"))
    assert evaluate(check, _report({"a": 3, "b": 1, "c": 2})).status == "pass"
    assert evaluate(check, _report({"a": 3, "b": 1, "c": 1})).status == "fail"
    open_ = evaluate(check, _report({"a": 3, "b": 1, "c": None}))
    assert (open_.status, open_.fails_if_zero) == ("undecidable", True)
    # a blank on the side that is already too big cannot rescue it: every value is ≥ 0
    assert evaluate(check, _report({"a": 3, "b": 4, "c": None})).status == "fail"
    assert evaluate(check, _report({"a": None, "b": None, "c": None})).status == "empty"
    holds = evaluate(check, _report({"a": 3, "b": 3, "c": None}))
    assert (holds.status, holds.fails_if_zero) == ("undecidable", False)


def test_le_and_alternatives_and_facts():
    le = Check(("a",), ("b",), op="le")
    assert evaluate(le, _report({"a": 2, "b": 3})).status == "pass"
    assert evaluate(le, _report({"a": 4, "b": 3})).status == "fail"
    alt = Check(("fact:0",), ("a",), alt=(("a", "b"),))
    r = _report({"a": 2, "b": 3})
    r.facts = [Fact("received", 5, "")]
    assert evaluate(alt, r).status == "pass"
    r.facts = [Fact("received", 6, "")]
    assert evaluate(alt, r).status == "fail"


def test_every_rule_is_declared_once_with_messages_and_basis():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.severity in ("error", "warning", "info")
        assert r.message and r.message_en and r.title and r.title_en, r.id
        assert r.basis or r.kind == "metadata", r.id


def test_cross_year_carried_over_and_in_force():
    from gongkai.formats import FORMAT_2021
    from gongkai.rules import run_cross_year

    def report(year: int, values: dict[str, int]) -> Report:
        r = Report("x", "2021", year, cells={cid: Cell(0) for cid in FORMAT_2021.cell_ids()})
        for k, v in values.items():
            r.cells[k] = Cell(v)
        return r

    last = report(2023, {"t3.forward.np": 3, "t3.forward.total": 3, "t2.normative.in_force": 10})
    ok = report(
        2024,
        {
            "t3.carried.np": 3,
            "t3.carried.total": 3,
            "t2.normative.issued": 2,
            "t2.normative.repealed": 1,
            "t2.normative.in_force": 11,
        },
    )
    assert run_cross_year(last, ok) == []
    bad = report(
        2024,
        {"t3.carried.np": 2, "t3.carried.total": 2, "t2.normative.issued": 2, "t2.normative.in_force": 13},
    )
    found = {(f.rule, tuple(f.cells)) for f in run_cross_year(last, bad)}
    assert ("xyear.carried", ("t3.carried.np", "prev:t3.forward.np")) in found
    assert ("xyear.carried", ("t3.carried.total", "prev:t3.forward.total")) in found
    assert any(rule == "xyear.in_force" for rule, _ in found)
    assert run_cross_year(report(2021, {}), bad) == []  # not consecutive years: nothing to compare


def test_seed_years_do_not_link_2020_to_2021_table_2():
    from gongkai.rules import run_cross_year

    seed = api.parse(seed_path("000"))
    nxt = api.parse_text(seed_path("000").read_text(encoding="utf-8").replace("2020年", "2021年"))
    assert {f.rule for f in run_cross_year(seed, nxt)} <= {"xyear.carried"}
