"""信息处理费 under 国办函〔2020〕109号: per application (按件) or per volume (按量), one method per application."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from .calendar import WorkCalendar
from .deadlines import fee_payment_deadline


def per_application_fee(k: int) -> int:
    """Fee in 元 for the k-th application of the same applicant in one natural month."""
    if k < 1:
        raise ValueError("k counts from 1")
    if k <= 10:
        return 0
    if k <= 30:
        return 100
    return 100 + 100 * math.ceil((k - 30) / 10)


def monthly_total(n: int) -> int:
    """All per-application fees of n applications in one month (35 → 3,000元)."""
    return sum(per_application_fee(k) for k in range(1, n + 1))


def per_volume_fee(pages: int) -> int:
    """30 pages free; 31–100 at 10元, 101–200 at 20元, from 201 at 40元 a page (250 → 4,700元)."""
    if pages < 0:
        raise ValueError("pages ≥ 0")
    return 10 * max(0, min(pages, 100) - 30) + 20 * max(0, min(pages, 200) - 100) + 40 * max(0, pages - 200)


@dataclass(frozen=True)
class FeeNotice:
    method: Literal["按件", "按量"]
    amount: int
    basis: str
    due: dt.date | None


def fee_notice(
    cal: WorkCalendar, notice_received: dt.date, *, nth_in_month: int | None = None, pages: int | None = None
) -> FeeNotice:
    if (nth_in_month is None) == (pages is None):
        raise ValueError("one method per application: give nth_in_month (按件) or pages (按量), not both")
    due = fee_payment_deadline(cal, notice_received).due
    if nth_in_month is not None:
        amount = per_application_fee(nth_in_month)
        return FeeNotice("按件", amount, f"国办函〔2020〕109号 按件计收：本月第{nth_in_month}件申请", due)
    assert pages is not None
    return FeeNotice("按量", per_volume_fee(pages), f"国办函〔2020〕109号 按量计收：{pages}页", due)
