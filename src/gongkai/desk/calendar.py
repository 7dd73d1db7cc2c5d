"""Chinese working days: chinesecalendar's published schedules plus an editable override table.

A year that neither the package nor the override table covers raises ``CalendarGap``: a deadline is
never counted as if every Monday–Friday were a working day.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field

import chinese_calendar as cc

HOLIDAY_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class CalendarGap(Exception):
    """No working-day data for this year (the State Council publishes each year's schedule in autumn)."""

    def __init__(self, year: int) -> None:
        super().__init__(f"no working-day data for {year}")
        self.year = year


@dataclass
class WorkCalendar:
    overrides: dict[dt.date, bool] = field(default_factory=dict)  # date → is a working day
    covered_years: set[int] = field(default_factory=set)  # years the override table fully describes

    def is_workday(self, d: dt.date) -> bool:
        if d in self.overrides:
            return self.overrides[d]
        if d.year in self.covered_years:
            return d.weekday() < 5
        try:
            return _package_workday(d)
        except NotImplementedError as e:
            raise CalendarGap(d.year) from e

    def explain(self, d: dt.date) -> str:
        """Why the day is or is not a working day, in Chinese."""
        workday = self.is_workday(d)
        from_table = d in self.overrides or d.year in self.covered_years
        source = "（补充日历）" if from_table else ""
        if workday:
            return ("调休上班" if d.weekday() >= 5 else "工作日") + source
        name = None if from_table else _holiday_name(d)
        if name:
            return f"法定节假日（{HOLIDAY_ZH.get(name, name)}）"
        return ("周末" if d.weekday() >= 5 else "休息日") + source

    def fingerprint(self) -> str:
        """Changes when the calendar data (package schedules or override table) changes, so open
        deadlines can be recomputed."""
        package = {
            name: sorted((d.isoformat(), str(v)) for d, v in getattr(cc, name).items())
            for name in ("holidays", "workdays", "in_lieu_days")
        }
        blob = json.dumps([package, self.to_json()], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(
            {
                "covered_years": sorted(self.covered_years),
                "overrides": {d.isoformat(): w for d, w in sorted(self.overrides.items())},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> WorkCalendar:
        data = json.loads(text)
        return cls(
            {dt.date.fromisoformat(k): bool(v) for k, v in data.get("overrides", {}).items()},
            set(data.get("covered_years", [])),
        )


@functools.lru_cache(maxsize=16384)
def _package_workday(d: dt.date) -> bool:
    """chinesecalendar's answer, remembered: it searches its tables on every call (~20 µs), and a
    ledger view counts thousands of days. Gaps raise and are not remembered."""
    return cc.is_workday(d)


def _holiday_name(d: dt.date) -> str | None:
    """chinese_calendar's holiday name for a day off (None for plain weekends or unknown years)."""
    try:
        on_holiday, name = cc.get_holiday_detail(d)
    except NotImplementedError:
        return None
    return name if on_holiday else None
