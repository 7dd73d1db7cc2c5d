"""The desk's ledger: timelines, deadlines from the store, the year tally and the generated report."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from gongkai import api
from gongkai.desk import synthetic
from gongkai.desk.ledger import Application, Event, LedgerError, fold, repeats
from gongkai.desk.tally import YearInputs, tally
from gongkai.formats import format_for_year
from gongkai.report import Agency
from gongkai.rules import run_cross_year
from gongkai.writer import render

AGENCY = Agency("深圳市南山区教育局", "department")
D = dt.date


def _app(received: dt.date, **kw) -> Application:
    base = dict(
        agency=AGENCY.name,
        number="2026-0001",
        channel="online",
        received=received,
        applicant_type="np",
        applicant="张三",
        request="申请公开某小区规划许可证",
        handler="王敏",
    )
    return Application(**(base | kw))


@pytest.fixture(scope="module")
def ledger300():
    """About 300 applications over 2024–2025, timelines as of the end of 2025."""
    return synthetic.generate(AGENCY.name, range(2024, 2026), 150, seed=11, as_of=D(2025, 12, 31))


def _inputs(year: int, seed: int, previous: YearInputs | None = None) -> YearInputs:
    """Table 二 as an agency would enter it; 现行有效件数 rolls forward from ``previous``."""
    rng, fmt = random.Random(seed), format_for_year(year)
    t2 = {c: (12.5 if fmt.kind_of(c) == "money" else rng.randint(0, 60)) for c in fmt.t2.cell_ids()}
    for c in [c for c in t2 if c.endswith(".published")]:  # 本年新公开 ≤ 对外公开总数量
        t2[c.replace("published", "total")] = max(t2[c], t2.get(c.replace("published", "total"), 0))
    if previous is not None:
        for row in ("rules", "normative"):
            before = previous.t2[f"t2.{row}.in_force"]
            t2[f"t2.{row}.in_force"] = before + t2[f"t2.{row}.issued"] - t2[f"t2.{row}.repealed"]
    return YearInputs(t2=t2, signature_date=D(year + 1, 1, 20))


def test_300_applications_tally_to_tables_that_pass_every_rule(ledger300):
    assert 290 <= len(ledger300) <= 300
    i24 = _inputs(2024, 1)
    r24, r25 = tally(AGENCY, 2024, ledger300, i24), tally(AGENCY, 2025, ledger300, _inputs(2025, 2, i24))
    for r in (r24, r25):
        assert r.template == "2021" and r.findings == [], [f.message for f in r.findings]
        assert r.value("t3.new.total") == sum(1 for a, _ in ledger300 if a.received.year == r.year)
    # 上年结转 of 2025 is 2024's 结转下年度, column by column, and the cross-year rules agree.
    for c in ("np", "biz", "research", "ngo", "legal", "other", "total"):
        assert r25.value(f"t3.carried.{c}") == r24.value(f"t3.forward.{c}")
    assert r24.value("t3.forward.total") > 0 and run_cross_year(r24, r25) == []
    # Open at the end of 2025 = 2025's carried forward.
    still_open = [a for a, ev in ledger300 if fold(a, ev).answered is None]
    assert r25.value("t3.forward.total") == len(still_open) > 0
    # A number traces back to the applications it counts.
    assert len(r25.cells["t3.forward.total"].raw.split("、")) == len(still_open)


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_generated_report_reads_back_to_identical_cells(ledger300, kind):
    report = tally(AGENCY, 2025, ledger300, _inputs(2025, 1))
    back = api.parse_bytes(render(report, kind), f"report.{kind}")
    assert back.agency.name == AGENCY.name and back.year == 2025 and back.template == "2021"
    assert back.values() == report.values()
    assert back.errors() == []


def test_2019_format_back_year_folds_other_outcomes():
    led = synthetic.generate(AGENCY.name, range(2020, 2021), 60, seed=3)
    r = tally(AGENCY, 2020, led, _inputs(2020, 2))
    assert r.template == "2019" and "t3.other.total" in r.cells and "t3.other.no_fee.total" not in r.cells
    assert r.findings == []
    back = api.parse_bytes(render(r, "docx"), "r.docx")
    assert back.values() == r.values()


def test_timeline_refuses_what_the_regulation_does_not_allow():
    app = _app(D(2026, 9, 23))
    ok = [Event("registered", D(2026, 9, 23), "王敏"), Event("correction_sent", D(2026, 9, 25), "王敏")]
    fold(app, ok)
    with pytest.raises(LedgerError, match="一次性"):
        fold(app, [*ok, Event("correction_sent", D(2026, 9, 28), "王敏")])
    with pytest.raises(LedgerError, match="只能一次"):
        ext = Event("extension_approved", D(2026, 10, 9), "王敏", {"approver": "主任", "days": 20})
        fold(app, [ok[0], ext, ext])
    with pytest.raises(LedgerError, match="最长20"):
        fold(
            app,
            [ok[0], Event("extension_approved", D(2026, 10, 9), "王敏", {"approver": "主任", "days": 25})],
        )
    with pytest.raises(LedgerError, match="不是表三"):
        fold(app, [ok[0], Event("answered", D(2026, 10, 9), "王敏", {"outcome": "approved"})])
    with pytest.raises(LedgerError, match="早于"):
        fold(app, [Event("answered", D(2026, 9, 1), "王敏", {"outcome": "granted"})])
    with pytest.raises(LedgerError, match="缺少"):
        fold(app, [Event("extension_approved", D(2026, 10, 9), "王敏", {"days": 20})])


def test_repeat_requests_are_suggested():
    first = _app(D(2026, 3, 2), number="2026-0001", applicant_id="ID1", id=1)
    again = _app(
        D(2026, 4, 2), number="2026-0002", applicant_id="ID1", request="申请公开 某小区规划许可证。", id=2
    )
    other = _app(D(2026, 4, 3), number="2026-0003", applicant_id="ID2", id=3)
    different = _app(
        D(2026, 4, 4), number="2026-0004", applicant_id="ID1", request="申请公开2025年部门预算", id=4
    )
    assert repeats(again, [first, again, other, different]) == [first]
    assert repeats(different, [first, again, other, different]) == []


def test_ledger_in_the_store(desk, ledger300):
    aid = desk.agency_id(AGENCY)
    ids = desk.import_applications(ledger300, "导入", aid)
    assert desk.report(aid, 2025).values() == tally(AGENCY, 2025, ledger300).values()
    _, events = desk.get(ids[0])
    assert events[0].kind == "registered" and events[0].document_no == "〔2024〕受字第1号"
    answered = next(e for e in events if e.kind == "answered")
    assert answered.document_no.startswith("〔2024〕答字第")
    with pytest.raises(LedgerError, match="已答复"):
        desk.append(ids[0], Event("answered", D(2025, 1, 6), "王敏", {"outcome": "granted"}))
    assert [e.seq for e in desk.get(ids[0])[1]] == list(range(1, len(events) + 1))  # nothing half-added
    due = desk.open_deadlines([aid], today=D(2025, 12, 31))
    assert len(due) == desk.report(aid, 2025).value("t3.forward.total")
    assert all(d.due is not None and d.due > D(2025, 12, 31) for d in due)


def test_new_application_deadline_and_calendar_change(desk):
    aid = desk.agency_id(AGENCY)
    app_id = desk.register(_app(D(2026, 9, 23)), "王敏", agency_id=aid)
    (due,) = desk.open_deadlines([aid], today=D(2026, 9, 23))
    assert due.due == D(2026, 10, 28) and "10月1日" in due.summary and due.days_left == 20
    desk.append(
        app_id, Event("extension_approved", D(2026, 10, 20), "王敏", {"approver": "主任", "days": 20})
    )
    assert desk.open_deadlines([aid])[0].due == D(2026, 11, 25)
    # Received late in 2026 with an extension: the deadline runs into 2027, flagged until it is entered.
    late = desk.register(_app(D(2026, 12, 10), number="2026-0002"), "王敏", agency_id=aid)
    desk.append(late, Event("extension_approved", D(2026, 12, 30), "王敏", {"approver": "主任", "days": 20}))
    gap = next(d for d in desk.open_deadlines([aid]) if d.app.id == late)
    assert gap.due is None and gap.flags == ["calendar_gap:2027"] and "2027" in gap.summary
    holidays = {D(2027, 1, 1): False}
    holidays |= {D(2027, 2, d): False for d in range(5, 12)} | {D(2027, 2, 13): True}
    moved = desk.set_calendar_year(2027, holidays, "管理员")
    assert [(a.id, before) for a, before, _ in moved] == [(late, None)]
    assert moved[0][2] == next(d.due for d in desk.open_deadlines([aid]) if d.app.id == late)
    assert moved[0][2] is not None and moved[0][2].year == 2027
