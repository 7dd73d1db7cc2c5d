"""Statutory deadlines in Chinese working days, and the 信息处理费 calculators."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.desk.calendar import CalendarGap, WorkCalendar
from gongkai.desk.deadlines import (
    add_workdays,
    correction_notice_deadline,
    fee_payment_deadline,
    reply_deadline,
)
from gongkai.desk.fees import fee_notice, monthly_total, per_application_fee, per_volume_fee

D = dt.date
CAL = WorkCalendar()


def test_worked_example_from_the_spec():
    d = reply_deadline(CAL, D(2026, 9, 23))  # a Wednesday
    assert d.due == D(2026, 10, 28)
    assert D(2026, 10, 10) in d.counted  # a make-up Saturday counts
    assert {D(2026, 10, k) for k in range(1, 8)} & set(d.counted) == set()
    assert "10月10日" in d.summary and "国庆节" in d.summary and "中秋节" in d.summary
    assert reply_deadline(CAL, D(2026, 9, 23), extension_days=20).due == D(2026, 11, 25)
    assert correction_notice_deadline(CAL, D(2026, 9, 23)).due == D(2026, 10, 10)


@pytest.mark.parametrize(
    "day",
    [
        "2025-01-26",
        "2025-02-08",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ],
)
def test_make_up_weekend_days_are_workdays(day):
    d = D.fromisoformat(day)
    assert d.weekday() >= 5 and CAL.is_workday(d) and CAL.explain(d) == "调休上班"


def test_spring_festival_2025_and_2026():
    assert not CAL.is_workday(D(2025, 1, 29)) and "春节" in CAL.explain(D(2025, 1, 29))
    assert add_workdays(CAL, D(2025, 1, 27), 1) == D(2025, 2, 5)  # 1-28 … 2-4 off
    assert add_workdays(CAL, D(2026, 2, 13), 2) == D(2026, 2, 24)  # 2-14 (Sat) works; 2-15 … 2-23 off


def test_national_day_2025_and_2026():
    off_2025 = [D(2025, 10, k) for k in range(1, 9)]  # 10-1 … 10-8, incl. Mid-autumn 10-6
    assert not any(CAL.is_workday(x) for x in off_2025)
    assert CAL.explain(D(2025, 10, 6)) == "法定节假日（中秋节）"
    assert CAL.explain(D(2025, 10, 4)) == "法定节假日（国庆节）"  # a Saturday inside the holiday
    assert CAL.explain(D(2025, 9, 28)) == CAL.explain(D(2025, 10, 11)) == "调休上班"
    assert add_workdays(CAL, D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_workdays(CAL, D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert CAL.explain(D(2026, 10, 8)) == "工作日" and CAL.explain(D(2026, 10, 17)) == "周末"


def test_every_day_agrees_with_the_holidays_package():
    for year in (2025, 2026):
        other = holidays.China(years=year)
        d = D(year, 1, 1)
        while d.year == year:
            expected = (d.weekday() < 5 and d not in other) or d in other.weekend_workdays
            assert CAL.is_workday(d) == expected, d
            d += dt.timedelta(days=1)


def test_correction_restarts_and_pauses_add_days():
    base = reply_deadline(CAL, D(2026, 3, 2))
    restarted = reply_deadline(CAL, D(2026, 3, 2), corrections=[(D(2026, 3, 4), D(2026, 3, 10))])
    assert restarted.due == add_workdays(CAL, D(2026, 3, 10), 20) > base.due
    assert "补正" in restarted.summary
    paused = reply_deadline(CAL, D(2026, 3, 2), pauses=[(D(2026, 3, 9), D(2026, 3, 13))])  # Mon–Fri: 5 days
    assert paused.due == add_workdays(CAL, D(2026, 3, 2), 25)
    assert "5个工作日不计入" in paused.summary and "均含在内" in paused.summary
    # Ends are inclusive; the pause over Labour Day 2026 (5-1 … 5-5 off, 5-9 Sat works) holds
    # 4-30, 5-6, 5-7, 5-8 and 5-9: 5 WD.
    over_holiday = reply_deadline(CAL, D(2026, 4, 20), pauses=[(D(2026, 4, 30), D(2026, 5, 9))])
    assert over_holiday.due == add_workdays(CAL, D(2026, 4, 20), 25) == D(2026, 5, 27)
    with pytest.raises(ValueError):
        reply_deadline(CAL, D(2026, 3, 2), extension_days=21)


def test_a_deadline_into_2027_is_flagged_until_the_year_is_entered():
    d = reply_deadline(CAL, D(2026, 12, 20))
    assert d.due is None and d.flags == ["calendar_gap:2027"] and "2027" in d.summary
    with pytest.raises(CalendarGap):
        CAL.is_workday(D(2027, 1, 4))
    # A plausible 2027 schedule (New Year's Day Fri 1-1; Spring Festival 2-6 … 2-12, make-up Sun 2-14;
    # Qingming Mon 4-5; Labour Day 5-1 … 5-5, make-up Sat 5-8 — illustrative, not the official notice).
    plan = {D(2027, 1, 1): False, D(2027, 2, 14): True, D(2027, 4, 5): False, D(2027, 5, 8): True}
    plan |= {D(2027, 2, k): False for k in range(8, 13)}
    plan |= {D(2027, 5, k): False for k in range(3, 6)}
    cal = WorkCalendar(plan, {2027})
    done = reply_deadline(cal, D(2026, 12, 20))  # Sun; 9 WD in Dec, 1-1 off, 5 + 5 + Mon 1-18
    assert done.due == D(2027, 1, 18) and not done.flags
    assert "1月1日（休息日（补充日历））" in done.summary
    assert (
        cal.explain(D(2027, 2, 14)) == "调休上班（补充日历）"
        and cal.explain(D(2027, 2, 13)) == "周末（补充日历）"
    )
    assert add_workdays(cal, D(2027, 2, 5), 1) == D(2027, 2, 14)
    assert WorkCalendar.from_json(cal.to_json()) == cal and cal.fingerprint() != CAL.fingerprint()
    assert cal.fingerprint() == WorkCalendar.from_json(cal.to_json()).fingerprint()


def test_fee_payment_deadline():
    assert fee_payment_deadline(CAL, D(2026, 9, 23)).due == D(2026, 10, 28)


@pytest.mark.parametrize(
    ("k", "fee"), [(1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200), (41, 300)]
)
def test_per_application_tiers(k, fee):
    assert per_application_fee(k) == fee


@pytest.mark.parametrize(
    ("pages", "fee"), [(30, 0), (31, 10), (100, 700), (101, 720), (200, 2700), (201, 2740), (250, 4700)]
)
def test_per_volume_tiers(pages, fee):
    assert per_volume_fee(pages) == fee


def test_monthly_total_and_one_method_only():
    assert monthly_total(35) == 3000
    notice = fee_notice(CAL, D(2026, 9, 23), pages=250)
    assert (notice.method, notice.amount, notice.due) == ("按量", 4700, D(2026, 10, 28))
    with pytest.raises(ValueError):
        fee_notice(CAL, D(2026, 9, 23), pages=250, nth_in_month=12)


@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2026, 6, 30)), st.integers(min_value=1, max_value=40))
def test_add_workdays_properties(start, n):
    due = add_workdays(CAL, start, n)
    assert CAL.is_workday(due)
    assert add_workdays(CAL, start, n + 1) > due
    days = [start + dt.timedelta(i) for i in range(1, (due - start).days + 1)]
    assert sum(CAL.is_workday(x) for x in days) == n
