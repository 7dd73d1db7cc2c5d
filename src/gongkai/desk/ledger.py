"""The disclosure-application ledger: applications and their append-only event timelines.

An application's state is never stored; it is folded from its events (who did what, when). The
categories an answer or a reconsideration/lawsuit can take are the rows and fields of tables 三 and 四
in the format data, so what the ledger records is exactly what the annual report counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..formats import FORMAT_2021
from .calendar import WorkCalendar
from .deadlines import MAX_EXTENSION, Deadline, correction_notice_deadline, reply_deadline

# Art. 31: how the receipt date is fixed depends on the channel.
CHANNELS: dict[str, tuple[str, str]] = {
    "in_person": ("当面提交", "提交之日"),
    "mail_signed": ("邮寄（需签收）", "行政机关签收之日"),
    "mail_plain": ("平常信函", "与申请人确认之日"),
    "online": ("互联网渠道", "双方确认之日"),
    "fax": ("传真", "双方确认之日"),
}
# Applicant types are table 三's data columns.
APPLICANT_TYPES: dict[str, str] = {f.id: f.label.text for f in FORMAT_2021.t3.columns if f.id != "total"}
APPLICANT_TYPES["other"] = "其他组织"  # the 法人或其他组织 column 其他


def _outcomes() -> dict[str, str]:
    rows = list(FORMAT_2021.t3.rows)
    ids = [r.id for r in rows]
    out: dict[str, str] = {}
    for r in rows[ids.index("granted") : ids.index("handled")]:
        out[r.id] = (r.group.text if r.group else "") + r.label.text
    return out


# Answer outcomes: table 三's rows 三（一）–（六） of the 2021 format (the 2019 format folds （六） into one row).
OUTCOMES: dict[str, str] = _outcomes()
CASE_KINDS = {
    "review": "行政复议",
    "direct": "行政诉讼（未经复议直接起诉）",
    "after": "行政诉讼（复议后起诉）",
}
CASE_RESULTS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果"}

# Event kinds, their Chinese names and the data each one needs.
EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "registered": ("登记", ()),
    "correction_sent": ("发出补正告知", ()),
    "correction_received": ("收到补正材料", ()),
    "consult_sent": ("发出征求意见函", ("party",)),
    "consult_answered": ("收到征求意见答复", ()),
    "extension_approved": ("批准延期答复", ("approver", "days")),
    "fee_notice_sent": ("发出缴费通知", ("method", "amount")),
    "fee_paid": ("申请人缴费", ()),
    "answered": ("作出答复", ("outcome",)),
    "closed": ("办结归档", ()),
    "case_filed": ("申请人提起复议或诉讼", ("case", "case_kind")),
    "case_decided": ("复议或诉讼结案", ("case", "result")),
}

# Letters sent with an event: (name, short code used in the document number).
LETTERS: dict[str, tuple[str, str]] = {
    "registered": ("政府信息公开申请受理回执", "受"),
    "correction_sent": ("补正申请告知书", "补"),
    "consult_sent": ("征求意见函", "征"),
    "extension_approved": ("延期答复告知书", "延"),
    "fee_notice_sent": ("信息处理费缴费通知书", "费"),
    "answered": ("政府信息公开申请答复书", "答"),
}


def document_number(kind: str, year: int, n: int) -> str:
    """The n-th letter of its kind in a year, e.g. 〔2025〕答字第12号."""
    return f"〔{year}〕{LETTERS[kind][1]}字第{n}号"


class LedgerError(ValueError):
    """An event that the application's history does not allow (message in Chinese)."""


@dataclass(slots=True)
class Application:
    agency: str  # the agency's name, as on its reports
    number: str  # the agency's registration number, e.g. 2025-0007
    channel: str
    received: dt.date  # Art. 31 receipt date
    applicant_type: str
    applicant: str
    request: str
    handler: str = ""
    applicant_id: str = ""  # 证件号码 / 统一社会信用代码: what repeat detection keys on
    id: int | None = None
    # Art. 29 (desk/applicant.py): identity, contact, the information asked for, the form wanted.
    id_type: str = ""
    legal_rep: str = ""  # organisations: 法定代表人
    contact_person: str = ""  # organisations: 联系人
    phone: str = ""
    address: str = ""
    postcode: str = ""
    email: str = ""
    info_title: str = ""
    info_number: str = ""
    form_wanted: str = ""
    delivery: str = ""
    purged: bool = False  # personal fields removed by the retention purge

    def details(self) -> dict[str, str]:
        """The Art. 29 fields beyond the ledger's own (see applicant.DETAIL_FIELDS)."""
        from .applicant import DETAIL_FIELDS

        return {k: getattr(self, k) for k in DETAIL_FIELDS}

    def missing(self) -> list[str]:
        """The Art. 29 elements this application lacks (applicant.ELEMENTS keys); none once purged."""
        from .applicant import missing

        if self.purged:
            return []
        return missing(
            self.applicant_type,
            self.applicant,
            self.request,
            self.details() | {"applicant_id": self.applicant_id},
        )

    def check(self) -> None:
        if self.channel not in CHANNELS:
            raise LedgerError(f"申请方式“{self.channel}”无效，应为：{'、'.join(CHANNELS)}")
        if self.applicant_type not in APPLICANT_TYPES:
            raise LedgerError(f"申请人类型“{self.applicant_type}”无效，应为：{'、'.join(APPLICANT_TYPES)}")
        if not self.request.strip():
            raise LedgerError("申请内容为空")
        if not self.agency.strip() or not self.number.strip():
            raise LedgerError("缺少机关名称或登记编号")


@dataclass(slots=True)
class Event:
    kind: str
    date: dt.date  # the day it happened (what deadlines count from)
    actor: str  # who recorded it
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # position in the timeline, from 1
    recorded_at: dt.datetime | None = None
    document_no: str = ""  # the letter sent with this event, if any

    @property
    def name(self) -> str:
        return EVENTS[self.kind][0]


@dataclass(slots=True)
class State:
    """What the timeline says now."""

    status: str = "open"  # open | answered | closed
    corrections: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    correction_pending: dt.date | None = None
    pauses: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    consult_open: dt.date | None = None
    extension_days: int = 0
    fee_notice: dt.date | None = None
    fee_paid: bool = False
    outcome: str | None = None
    answered: dt.date | None = None
    closed: dt.date | None = None
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # case no → kind, filed, result, decided


def fold(app: Application, events: Sequence[Event]) -> State:
    """Replay the timeline, refusing what the regulation does not allow."""
    s = State()
    for e in events:
        apply(app, s, e)
    return s


def apply(app: Application, s: State, e: Event) -> None:
    """Check that ``e`` may follow the state ``s`` and advance ``s``; raises LedgerError otherwise."""
    if e.kind not in EVENTS:
        raise LedgerError(f"未知的事件类型“{e.kind}”")
    missing = [k for k in EVENTS[e.kind][1] if e.data.get(k) in (None, "")]
    if missing:
        raise LedgerError(f"{e.name}缺少：{'、'.join(missing)}")
    if e.date < app.received:
        raise LedgerError(f"{e.name}的日期{e.date}早于收到申请之日{app.received}")
    open_kinds = {"correction_sent", "correction_received", "consult_sent", "consult_answered"}
    open_kinds |= {"extension_approved", "fee_notice_sent", "fee_paid", "answered"}
    if e.kind in open_kinds and s.status != "open":
        raise LedgerError(f"申请已答复，不能再{e.name}")
    match e.kind:
        case "registered":
            pass
        case "correction_sent":
            if s.corrections or s.correction_pending:
                raise LedgerError("补正告知只能一次性发出（第三十条）")
            s.correction_pending = e.date
        case "correction_received":
            if s.correction_pending is None:
                raise LedgerError("没有发出补正告知，不能登记收到补正材料")
            s.corrections.append((s.correction_pending, e.date))
            s.correction_pending = None
        case "consult_sent":
            if s.consult_open is not None:
                raise LedgerError("上一份征求意见函尚未收到答复")
            s.consult_open = e.date
        case "consult_answered":
            if s.consult_open is None:
                raise LedgerError("没有发出征求意见函，不能登记答复")
            s.pauses.append((s.consult_open, e.date))
            s.consult_open = None
        case "extension_approved":
            days = int(e.data["days"])
            if s.extension_days:
                raise LedgerError("延期答复只能一次（第三十三条）")
            if not 0 < days <= MAX_EXTENSION:
                raise LedgerError(f"延长期限最长{MAX_EXTENSION}个工作日（第三十三条）")
            s.extension_days = days
        case "fee_notice_sent":
            if s.fee_notice is not None:
                raise LedgerError("已发出缴费通知")
            s.fee_notice = e.date
        case "fee_paid":
            if s.fee_notice is None:
                raise LedgerError("没有发出缴费通知，不能登记缴费")
            s.fee_paid = True
        case "answered":
            outcome = e.data["outcome"]
            if outcome not in OUTCOMES:
                raise LedgerError(f"答复结果“{outcome}”不是表三的办理结果之一")
            if s.correction_pending is not None and outcome not in ("other.no_correction", "unable.unclear"):
                raise LedgerError("补正期间只能以“逾期不补正”或“补正后仍不明确”办结")
            if outcome == "other.no_fee" and (s.fee_notice is None or s.fee_paid):
                raise LedgerError("“逾期未缴费”需要已发出缴费通知且未缴费")
            s.status, s.outcome, s.answered = "answered", outcome, e.date
            s.consult_open = None
        case "closed":
            if s.status != "answered":
                raise LedgerError("尚未答复，不能办结归档")
            s.status, s.closed = "closed", e.date
        case "case_filed":
            if s.answered is None:
                raise LedgerError("尚未答复，不能登记复议或诉讼")
            if e.data["case_kind"] not in CASE_KINDS:
                raise LedgerError(f"案件类型“{e.data['case_kind']}”无效，应为：{'、'.join(CASE_KINDS)}")
            if e.data["case"] in s.cases:
                raise LedgerError(f"案件{e.data['case']}已登记")
            s.cases[e.data["case"]] = {"kind": e.data["case_kind"], "filed": e.date}
        case "case_decided":
            case = s.cases.get(e.data["case"])
            if case is None:
                raise LedgerError(f"没有登记案件{e.data['case']}")
            if e.data["result"] not in CASE_RESULTS:
                raise LedgerError(f"结案结果“{e.data['result']}”无效，应为：{'、'.join(CASE_RESULTS)}")
            if "result" in case:
                raise LedgerError(f"案件{e.data['case']}已结案")
            case["result"], case["decided"] = e.data["result"], e.date


def deadline(cal: WorkCalendar, app: Application, s: State) -> Deadline | None:
    """The reply deadline of an open application, with its explanation (None once answered).

    A consultation still open pauses the clock until its answer: the deadline is computed as if the
    answer came today, and flagged."""
    if s.status != "open":
        return None
    if s.correction_pending is not None:
        d = correction_notice_deadline(cal, app.received)
        d.summary = (
            f"已发出补正告知（{s.correction_pending}），等待申请人补正；答复期限自收到补正材料起重新计算"
        )
        d.due, d.flags = None, [*d.flags, "awaiting_correction"]
        return d
    pauses = list(s.pauses)
    flags = []
    if s.consult_open is not None:
        pauses.append((s.consult_open, max(s.consult_open, dt.date.today())))
        flags.append("consulting")
    d = reply_deadline(
        cal,
        app.received,
        corrections=s.corrections,
        pauses=pauses,
        extension_days=s.extension_days,
    )
    d.flags += flags
    if flags:
        d.summary += "；征求意见尚未答复，期限随之顺延"
    return d


def answered_late(cal: WorkCalendar, app: Application, events: Sequence[Event]) -> bool | None:
    """Whether the answer came after the deadline that applied at the time (None if not answered)."""
    s = fold(app, events)
    if s.answered is None:
        return None
    d = reply_deadline(
        cal, app.received, corrections=s.corrections, pauses=s.pauses, extension_days=s.extension_days
    )
    return None if d.due is None else s.answered > d.due


def repeats(app: Application, others: Iterable[Application], threshold: float = 0.8) -> list[Application]:
    """Earlier applications by the same applicant asking for (nearly) the same thing: candidates for
    不予处理 2.重复申请. Similarity is the Dice coefficient of character bigrams of the requests."""
    key = app.applicant_id or app.applicant
    mine = _bigrams(app.request)
    found = []
    for o in others:
        if o is app or (o.id is not None and o.id == app.id):
            continue
        if (o.applicant_id or o.applicant) != key or o.received > app.received:
            continue
        theirs = _bigrams(o.request)
        if mine and theirs and 2 * len(mine & theirs) / (len(mine) + len(theirs)) >= threshold:
            found.append(o)
    return found


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if ch.isalnum())
    return {t[i : i + 2] for i in range(len(t) - 1)}
