"""Letters sent with ledger events (受理回执, 补正告知书, 征求意见函, 延期答复告知书, 缴费通知书, 答复书) as DOCX.

The text of every letter is data (``letter_texts``); this module fills it from the application and the
timeline up to the event — dates and due dates come from the deadline engine, the same counting the
ledger's views use — and lays it out as an official letter: title centred, document number, salutation,
body in 仿宋, signature and date right-aligned. The DOCX's core properties carry the registration number,
the event and the document number, so a saved letter can be traced back to its event.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from string import Template
from typing import Any

from ..report import Agency
from . import letter_texts as T
from .calendar import CalendarGap, WorkCalendar
from .deadlines import (
    Deadline,
    add_workdays,
    correction_notice_deadline,
    fee_payment_deadline,
    reply_deadline,
)
from .ledger import LETTERS, Application, Event, LedgerError, State, fold

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "宋体"


class LetterError(LedgerError):
    """No letter can be made for this event (message in Chinese)."""


def render_letter(
    app: Application,
    events: Sequence[Event],
    seq: int,
    agency: Agency,
    *,
    cal: WorkCalendar | None = None,
) -> bytes:
    """The DOCX of the letter sent with event number ``seq`` of the application's timeline."""
    history = _upto(app, events, seq)
    event = history[-1]
    if event.kind not in LETTERS:
        raise LetterError(f"第{seq}项事件“{event.name}”没有对应的文书")
    try:
        state = fold(app, history)
    except LedgerError as e:
        raise LetterError(f"申请{app.number}的办理记录有误，无法生成文书：{e}") from e
    cal = cal or WorkCalendar()
    fields = _common(app, event, agency)
    key = _KINDS[event.kind](fields, app, history, state, cal)
    text = T.LETTER_TEXTS[key]
    paragraphs = [p for p in (_fill(s, fields) for s in text.body) if p is not None]
    title = LETTERS[event.kind][0]
    meta = {
        "title": title,
        "subject": f"登记编号 {app.number}",
        "keywords": f"第{event.seq or seq}项事件：{event.name}",
        "identifier": event.document_no,
        "author": fields["agency"],
        "created": dt.datetime.combine(event.date, dt.time()),
    }
    return _docx(title, event.document_no, _fill(text.addressee, fields) or "", paragraphs, fields, meta)


def letter_filename(app: Application, event: Event) -> str:
    """E.g. "〔2025〕答字第12号 政府信息公开申请答复书.docx", with characters no file system accepts replaced."""
    if event.kind not in LETTERS:
        raise LetterError(f"事件“{event.name}”没有对应的文书")
    head = event.document_no or f"{app.number} 第{event.seq}项"
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", f"{head} {LETTERS[event.kind][0]}").strip(" .")
    return f"{name[:150]}.docx"


# -- fields ----------------------------------------------------------------------------------------


def _upto(app: Application, events: Sequence[Event], seq: int) -> list[Event]:
    """The timeline up to and including event ``seq`` (events not yet stored count by position)."""
    if all(e.seq == 0 for e in events):
        idx = seq - 1 if 1 <= seq <= len(events) else -1
    else:
        idx = next((i for i, e in enumerate(events) if e.seq == seq), -1)
    if idx < 0:
        raise LetterError(f"申请{app.number}没有第{seq}项事件")
    return list(events[: idx + 1])


def _zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _due(d: Deadline) -> str:
    if d.due is not None:
        return _zh(d.due)
    year = next((f.split(":")[1] for f in d.flags if f.startswith("calendar_gap:")), "次年")
    return Template(T.CALENDAR_GAP).substitute(year=year)


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str) and v:
        try:
            return dt.date.fromisoformat(v)
        except ValueError as e:
            raise LetterError(f"日期“{v}”格式无效，应为YYYY-MM-DD") from e
    return None


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(("。", "！", "；", "”")) else text + "。"


def _common(app: Application, event: Event, agency: Agency) -> dict[str, str]:
    return {
        "law": T.LAW,
        "fee_rules": T.FEE_RULES,
        "agency": agency.name or app.agency,
        "applicant": app.applicant,
        "you": "您" if app.applicant_type == "np" else "贵单位",
        "number": app.number,
        "request": app.request.strip(),
        "received": _zh(app.received),
        "channel": T.CHANNEL_PHRASES[app.channel],
        "receipt_rule": _RECEIPT_RULES[app.channel],
        "handler": app.handler,
        "date": _zh(event.date),
        "document_no": event.document_no,
        **_art29(app),
    }


def _art29(app: Application) -> dict[str, str]:
    """The Art. 29 details as letter phrases ("" when not recorded: the paragraph is left out)."""
    from .applicant import DELIVERIES, FORMS, ID_TYPES

    ident = f"{ID_TYPES.get(app.id_type, '证件')}：{app.applicant_id}" if app.applicant_id else ""
    people = "；".join(
        x
        for x in (
            f"法定代表人：{app.legal_rep}" if app.legal_rep else "",
            f"联系人：{app.contact_person}" if app.contact_person else "",
        )
        if x
    )
    contact = "；".join(
        x
        for x in (
            f"联系电话：{app.phone}" if app.phone else "",
            f"通信地址：{app.address}" + (f"（邮政编码{app.postcode}）" if app.postcode else "")
            if app.address
            else "",
            f"电子邮箱：{app.email}" if app.email else "",
        )
        if x
    )
    info = "；".join(
        x
        for x in (
            f"信息名称：{app.info_title}" if app.info_title else "",
            f"文号：{app.info_number}" if app.info_number else "",
        )
        if x
    )
    form = FORMS.get(app.form_wanted, "")
    delivery = DELIVERIES.get(app.delivery, "")
    return {
        "identity": "；".join(x for x in (ident, people) if x),
        "contact": contact,
        "info": info,
        "form": form,
        "delivery": delivery,
    }


_RECEIPT_RULES = {
    "in_person": "提交之日",
    "mail_signed": "本机关签收之日",
    "mail_plain": "与申请人确认之日",
    "online": "双方确认之日",
    "fax": "双方确认之日",
}


def _sub(template: str, fields: Mapping[str, str], **more: Any) -> str:
    return Template(template).substitute({**fields, **more})


def _registered(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    f["due"] = _due(reply_deadline(cal, app.received))
    return "registered"


def _correction(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    e = h[-1]
    f["what"] = _sentence(str(e.data.get("what") or T.CORRECTION_WHAT))
    f["days"] = str(int(e.data.get("days") or T.CORRECTION_PERIOD_DAYS))
    notice = correction_notice_deadline(cal, app.received)
    # Say the notice came within the 7 working days of Art. 30 only when it did.
    f["notice_due"] = _zh(notice.due) if notice.due is not None and e.date <= notice.due else ""
    return "correction_sent"


def _consult(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    e = h[-1]
    f["party"] = str(e.data["party"])
    f["consult_days"] = str(T.CONSULT_DAYS)
    try:
        f["reply_by"] = _zh(add_workdays(cal, e.date, T.CONSULT_DAYS))
    except CalendarGap as gap:
        f["reply_by"] = _sub(T.CALENDAR_GAP, f, year=gap.year)
    return "consult_sent+agency" if e.data.get("party_kind") == "agency" else "consult_sent"


def _extension(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    e = h[-1]
    before = reply_deadline(cal, app.received, corrections=s.corrections, pauses=s.pauses)
    after = reply_deadline(
        cal, app.received, corrections=s.corrections, pauses=s.pauses, extension_days=s.extension_days
    )
    f["days"] = str(s.extension_days)
    f["due_before"], f["due"] = _due(before), _due(after)
    f["reason"] = _sentence(str(e.data.get("reason") or ""))
    f["history"] = _history(f, h[:-1])
    f["consulting"] = (
        "本机关正在征求意见，征求意见所需时间不计算在答复期限内，上述期限将相应顺延。"
        if s.consult_open is not None
        else ""
    )
    return "extension_approved"


def _fee(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    e = h[-1]
    method = str(e.data["method"]).removesuffix("计收")
    try:
        amount = float(e.data["amount"])  # data from a form may hold it as text
    except (TypeError, ValueError) as err:
        raise LetterError(f"缴费金额“{e.data['amount']}”无效") from err
    f["method"] = method
    f["amount"] = str(int(amount)) if amount.is_integer() else f"{amount:.2f}"
    if e.data.get("basis"):
        f["fee_basis"] = _sentence(str(e.data["basis"]))
    elif method == "按量" and e.data.get("pages"):
        f["fee_basis"] = _sub(T.FEE_BASIS["pages"], f, pages=int(e.data["pages"]))
    elif method == "按件" and e.data.get("nth"):
        f["fee_basis"] = _sub(T.FEE_BASIS["nth"], f, nth=int(e.data["nth"]))
    else:
        f["fee_basis"] = ""
    got = _date(e.data.get("notice_received"))
    due = _due(fee_payment_deadline(cal, got or e.date))
    f["pay_due"] = f"截止日期为{due}" if got else f"以本通知发出之日计算，截止日期为{due}"
    f["pay_how"] = f"缴费方式：{_sentence(str(e.data['pay_how']))}" if e.data.get("pay_how") else ""
    return "fee_notice_sent"


def _answer(f: dict[str, str], app: Application, h: list[Event], s: State, cal: WorkCalendar) -> str:
    e = h[-1]
    outcome = str(e.data["outcome"])
    key = next((k for fld, k in T.ANSWER_VARIANTS.get(outcome, ()) if e.data.get(fld)), outcome)
    answer = T.ANSWERS[key]
    basis = answer.basis
    f["by"] = f"根据{T.LAW}{basis}的规定" if basis else f"依照{T.LAW}的有关规定"
    for name, default in answer.defaults:
        f[name] = str(e.data.get(name) or default)
    for name in ("where", "responsible"):
        if e.data.get(name):
            f[name] = str(e.data[name])
    f["correction_history"] = _earlier(f, h, "correction_sent", T.CORRECTION_HISTORY)
    f["fee_history"] = _earlier(f, h, "fee_notice_sent", T.FEE_HISTORY)
    f["answer"] = _sub(answer.text, f)
    f["history"] = _history(f, h[:-1])
    f["detail"] = _sentence(str(e.data.get("detail") or ""))
    f["review_to"] = f"向{e.data['review_body']}" if e.data.get("review_body") else "依法"
    f["court_to"] = f"向{e.data['court']}" if e.data.get("court") else "依法向人民法院"
    return "answered"


def _earlier(f: Mapping[str, str], h: list[Event], kind: str, texts: tuple[str, str]) -> str:
    e = next((x for x in h if x.kind == kind), None)
    if e is None:
        return _sub(texts[1], f)
    return _sub(texts[0], f, date=_zh(e.date), doc=f"（{e.document_no}）" if e.document_no else "")


def _history(f: Mapping[str, str], h: list[Event]) -> str:
    parts = []
    for e in h:
        if e.kind not in T.HISTORY:
            continue
        consulted = "有关机关" if e.data.get("party_kind") == "agency" else "第三方"
        days = str(e.data.get("days", ""))
        parts.append(_sub(T.HISTORY[e.kind], f, date=_zh(e.date), consulted=consulted, days=days))
    return "；".join(parts) + "。" if parts else ""


_KINDS = {
    "registered": _registered,
    "correction_sent": _correction,
    "consult_sent": _consult,
    "extension_approved": _extension,
    "fee_notice_sent": _fee,
    "answered": _answer,
}


def _fill(paragraph: str, fields: Mapping[str, str]) -> str | None:
    """Fill one template paragraph; an optional one ("?…") is dropped when a field it names is empty."""
    optional = paragraph.startswith("?")
    t = Template(paragraph[1:] if optional else paragraph)
    if optional and any(not fields.get(name) for name in t.get_identifiers()):
        return None
    return t.substitute(fields)


# -- DOCX ------------------------------------------------------------------------------------------


def _run(para: Any, text: str, font: str, size: float, bold: bool = False) -> None:
    """Word takes East Asian text's font from rFonts/@w:eastAsia; ``font.name`` alone sets only ASCII."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = para.add_run(text)
    run.font.name, run.font.size, run.font.bold = font, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)


def _docx(
    title: str,
    number: str,
    addressee: str,
    body: list[str],
    fields: Mapping[str, str],
    meta: Mapping[str, Any],
) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    for section in doc.sections:  # A4 with the margins of GB/T 9704
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing = Pt(28)
    normal.paragraph_format.space_after = Pt(0)
    props = doc.core_properties
    for k, v in meta.items():
        setattr(props, k, v)

    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.space_after = Pt(16)
    _run(head, title, TITLE_FONT, 22, bold=True)
    if number:
        line = doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(line, number, BODY_FONT, 16)
    _run(doc.add_paragraph(), addressee, BODY_FONT, 16)
    for text in body:
        para = doc.add_paragraph()
        para.paragraph_format.first_line_indent = Pt(32)  # two characters
        _run(para, text, BODY_FONT, 16)
    doc.add_paragraph()
    for text in (fields["agency"], fields["date"]):
        para = doc.add_paragraph()
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _run(para, text, BODY_FONT, 16)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
