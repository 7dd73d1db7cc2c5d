"""Art. 49–50 of the Regulation: when an annual report is due.

Departments of a government publish their report for year Y by 31 January of Y+1, governments at or
above the county level by 31 March of Y+1.
"""

from __future__ import annotations

import datetime as dt


def deadline(kind: str | None, year: int) -> dt.date:
    """The Art. 49 deadline of a report for ``year`` by a publisher of ``kind``; an unknown kind gets
    the later government deadline (a publisher is never called late on a guess)."""
    if kind == "department":
        return dt.date(year + 1, 1, 31)
    return dt.date(year + 1, 3, 31)


def timeliness(kind: str | None, year: int | None, published: dt.date | None) -> str:
    """on_time | late | undated (no date or no year to judge by)."""
    if published is None or year is None:
        return "undated"
    return "late" if published > deadline(kind, year) else "on_time"
