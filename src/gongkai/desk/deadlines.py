"""Statutory deadlines of the regulation (Arts. 30–35), counted in working days, with their explanation.

Day 1 is the first working day after the start date (the start day itself is not counted).
Consultation pauses (Arts. 32, 34): every working day from the day the letter is sent to the day the
answer arrives, both included, is not counted — the deadline moves by that many working days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from .calendar import CalendarGap, WorkCalendar

REPLY_DAYS = 20
CORRECTION_NOTICE_DAYS = 7
FEE_PAYMENT_DAYS = 20
MAX_EXTENSION = 20


@dataclass
class Deadline:
    due: dt.date | None
    summary: str
    counted: list[dt.date] = field(default_factory=list)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def add_workdays(cal: WorkCalendar, start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (never chinese_calendar.find_workday: it is off by one from a holiday)."""
    d, k = start, 0
    while k < n:
        d += dt.timedelta(days=1)
        if cal.is_workday(d):
            k += 1
    return d


def _count(cal: WorkCalendar, start: dt.date, n: int, what: str) -> Deadline:
    counted: list[dt.date] = []
    skipped: list[tuple[dt.date, str]] = []
    d = start
    try:
        while len(counted) < n:
            d += dt.timedelta(days=1)
            if cal.is_workday(d):
                counted.append(d)
            else:
                skipped.append((d, cal.explain(d)))
    except CalendarGap as gap:
        return Deadline(
            None,
            f"{what}：自{start.isoformat()}次日起算{n}个工作日，但{gap.year}年的节假日安排尚未录入，"
            f"无法计算（请在补充日历中录入{gap.year}年安排）",
            counted,
            skipped,
            [f"calendar_gap:{gap.year}"],
        )
    shown = "、".join(f"{x.month}月{x.day}日（{why}）" for x, why in skipped if not why.startswith("周末"))
    summary = f"{what}：自{start.isoformat()}次日起算{n}个工作日，截止{d.isoformat()}"
    if shown:
        summary += f"；跳过的节假日：{shown}"
    made_up = [x for x in counted if x.weekday() >= 5]
    if made_up:
        summary += "；计入调休上班日：" + "、".join(f"{x.month}月{x.day}日" for x in made_up)
    return Deadline(d, summary, counted, skipped)


def reply_deadline(
    cal: WorkCalendar,
    received: dt.date,
    *,
    corrections: Sequence[tuple[dt.date, dt.date]] = (),
    pauses: Sequence[tuple[dt.date, dt.date]] = (),
    extension_days: int = 0,
) -> Deadline:
    """Art. 33: 20 working days from receipt; a 补正 restarts the clock from the day the corrected
    application arrives (Art. 30); consultation pauses are not counted (Arts. 32, 34); one extension of
    at most 20 working days with approval.

    ``corrections`` are (notice sent, corrected application received) pairs; the count restarts from the
    latest received date. ``pauses`` are (letter sent, reply received) pairs; both ends are INCLUSIVE:
    every working day from the sending day to the reply day is added to the deadline.
    """
    if not 0 <= extension_days <= MAX_EXTENSION:
        raise ValueError(f"an extension is at most {MAX_EXTENSION} working days (Art. 33)")
    start = max([received, *(c for _, c in corrections)])
    try:
        paused = sum(
            1 for a, b in pauses for i in range((b - a).days + 1) if cal.is_workday(a + dt.timedelta(i))
        )
    except CalendarGap as gap:
        return Deadline(
            None, f"征求意见期间跨入{gap.year}年，节假日安排尚未录入", flags=[f"calendar_gap:{gap.year}"]
        )
    n = REPLY_DAYS + extension_days + paused
    what = "答复期限" + (f"（含延期{extension_days}个工作日）" if extension_days else "")
    result = _count(cal, start, n, what)
    if corrections:
        result.summary += f"；因补正，自{start.isoformat()}收到补正材料后重新起算"
    if paused:
        result.summary += f"；征求意见期间（发函日与收到答复日均含在内）{paused}个工作日不计入"
    return result


def correction_notice_deadline(cal: WorkCalendar, received: dt.date) -> Deadline:
    """Art. 30: the one-time 补正 notice within 7 working days of receipt."""
    return _count(cal, received, CORRECTION_NOTICE_DAYS, "补正告知期限")


def fee_payment_deadline(cal: WorkCalendar, notice_received: dt.date) -> Deadline:
    """Fee notice: the applicant pays within 20 working days counted from the day after receiving it."""
    return _count(cal, notice_received, FEE_PAYMENT_DAYS, "缴费期限")
