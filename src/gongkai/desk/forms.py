"""Turning what a person types (web form, JSON, command line) into applications and events.

Shared by the web desk and ``gongkai desk``: the same field names, the same Chinese errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .applicant import DETAIL_FIELDS, normalise
from .ledger import (
    APPLICANT_TYPES,
    CASE_KINDS,
    CASE_RESULTS,
    CHANNELS,
    EVENTS,
    OUTCOMES,
    Application,
    Event,
    LedgerError,
    State,
)

# The data an event may carry: field → (label, choices or None). ``note`` is optional for every kind.
FIELDS: dict[str, tuple[str, dict[str, str] | None]] = {
    "party": ("征求意见对象", None),
    "approver": ("批准人", None),
    "days": ("延长工作日数", None),
    "method": ("计费方式", {"按件": "按件", "按量": "按量"}),
    "amount": ("金额（元）", None),
    "outcome": ("答复结果", OUTCOMES),
    "case": ("案件编号", None),
    "case_kind": ("案件类型", CASE_KINDS),
    "result": ("结案结果", CASE_RESULTS),
    "what": ("需补正的事项", None),
    "note": ("备注", None),
}
# Data an event may carry besides what it needs (and the note): the 补正 notice names what is missing.
OPTIONAL: dict[str, tuple[str, ...]] = {"correction_sent": ("what",)}
INTEGER_FIELDS = ("days",)
NUMBER_FIELDS = ("amount",)
DUPLICATE = "rejected.duplicate"  # （五）不予处理2.重复申请


def parse_date(text: str | dt.date | None, what: str = "日期") -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError as e:
        raise LedgerError(f"{what}“{text or ''}”无效，应为 YYYY-MM-DD") from e


def allowed_events(s: State) -> list[str]:
    """The event kinds the timeline can take next (the regulation's order; see ledger.apply)."""
    if s.status == "open":
        kinds = []
        if s.correction_pending is None and not s.corrections:
            kinds.append("correction_sent")
        if s.correction_pending is not None:
            kinds.append("correction_received")
        kinds.append("consult_answered" if s.consult_open is not None else "consult_sent")
        if not s.extension_days:
            kinds.append("extension_approved")
        if s.fee_notice is None:
            kinds.append("fee_notice_sent")
        elif not s.fee_paid:
            kinds.append("fee_paid")
        return [*kinds, "answered"]
    kinds = ["closed"] if s.status == "answered" else []
    kinds.append("case_filed")
    if any("result" not in c for c in s.cases.values()):
        kinds.append("case_decided")
    return kinds


def event_from(kind: str, date: str | dt.date | None, actor: str, data: Mapping[str, Any]) -> Event:
    """An event of ``kind`` with the data fields it needs (and an optional note); blanks dropped."""
    if kind not in EVENTS:
        raise LedgerError(f"未知的事件类型“{kind}”，应为：{'、'.join(EVENTS)}")
    wanted = (*EVENTS[kind][1], *OPTIONAL.get(kind, ()), "note")
    out: dict[str, Any] = {}
    for k in wanted:
        v = data.get(k)
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        v = v.strip() if isinstance(v, str) else v
        label = FIELDS[k][0]
        try:
            if k in INTEGER_FIELDS:
                v = int(v)
            elif k in NUMBER_FIELDS:
                f = float(v)
                v = int(f) if f.is_integer() else f
        except (TypeError, ValueError) as e:
            raise LedgerError(f"{label}“{v}”不是数字") from e
        choices = FIELDS[k][1]
        if choices is not None and v not in choices:
            raise LedgerError(f"{label}“{v}”无效，应为：{'、'.join(choices)}")
        out[k] = v
    if not actor.strip():
        raise LedgerError("缺少经办人")
    return Event(kind, parse_date(date, "事件日期"), actor.strip(), out)


APPLICATION_FIELDS = (
    "number",
    "channel",
    "received",
    "applicant_type",
    "applicant",
    "applicant_id",
    "request",
    "handler",
    *DETAIL_FIELDS,
)


def application_from(agency: str, data: Mapping[str, Any]) -> Application:
    """A new application of ``agency`` from the register form's fields, checked."""

    def text(k: str) -> str:
        v = data.get(k)
        return "" if v is None else str(v).strip()

    if not text("applicant"):
        raise LedgerError("缺少申请人")
    if text("applicant_type") not in APPLICANT_TYPES:
        raise LedgerError(f"申请人类型“{text('applicant_type')}”无效，应为：{'、'.join(APPLICANT_TYPES)}")
    details = normalise(text("applicant_type"), data)
    app = Application(
        agency=agency,
        number=text("number"),
        channel=text("channel"),
        received=parse_date(data.get("received"), "收到申请日期"),
        applicant_type=text("applicant_type"),
        applicant=text("applicant"),
        request=text("request"),
        handler=text("handler"),
        applicant_id=details.pop("applicant_id"),
        **details,
    )
    app.check()
    return app


def next_number(numbers: Sequence[str], year: int) -> str:
    """The next free registration number of the year, e.g. 2026-0008."""
    used = [int(n[5:]) for n in numbers if n.startswith(f"{year}-") and n[5:].isdigit()]
    return f"{year}-{max(used, default=0) + 1:04d}"


def describe(e: Event) -> str:
    """One line for an event's data, in Chinese."""
    parts = []
    for k, v in e.data.items():
        label, choices = FIELDS.get(k, (k, None))
        parts.append(f"{label}：{choices.get(v, v) if choices else v}")
    return "；".join(parts)


def status_text(s: State) -> str:
    if s.status == "closed":
        return "已办结"
    if s.status == "answered":
        return "已答复"
    if s.correction_pending is not None:
        return "待补正"
    if s.consult_open is not None:
        return "征求意见中"
    return "办理中"


__all__ = [
    "APPLICANT_TYPES",
    "CHANNELS",
    "DUPLICATE",
    "FIELDS",
    "allowed_events",
    "application_from",
    "describe",
    "event_from",
    "next_number",
    "parse_date",
    "status_text",
]
