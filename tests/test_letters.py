"""Letters from the ledger: every letter of real timelines in the store, read back from the DOCX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from gongkai.desk.calendar import WorkCalendar
from gongkai.desk.fees import per_volume_fee
from gongkai.desk.ledger import LETTERS, OUTCOMES, Application, Event
from gongkai.desk.letter_texts import ANSWERS, LAW
from gongkai.desk.letters import LetterError, letter_filename, render_letter
from gongkai.report import Agency
from gongkai.store import Store
from gongkai.store.ledger import Ledger

D = dt.date
AGENCY = Agency("深圳市南山区教育局", "department")
REMEDY = (
    "如对本答复不服，可以自收到本答复之日起60日内依法申请行政复议，"
    "或者自收到本答复之日起6个月内依法向人民法院提起行政诉讼。"
)
RECEIVED = D(2026, 9, 23)  # a Wednesday before Mid-autumn and National Day 2026


def _app(number: str, **kw) -> Application:
    base = dict(
        agency=AGENCY.name,
        number=number,
        channel="online",
        received=RECEIVED,
        applicant_type="np",
        applicant="张三",
        request="申请公开前海路某小区建设工程规划许可证",
        handler="王敏",
    )
    return Application(**(base | kw))


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """Four applications received on 2026-09-23, each timeline appended through the ledger."""
    tmp = tmp_path_factory.mktemp("letters")
    store = Store.open(f"sqlite:///{tmp / 'g.db'}", files_dir=tmp / "files")
    led = Ledger(store)
    aid = led.agency_id(AGENCY)

    def add(app: Application, *events: Event) -> int:
        app_id = led.register(app, "王敏", agency_id=aid)
        for e in events:
            led.append(app_id, e)
        return app_id

    ids = {
        "corrected": add(
            _app("2026-0001"),
            Event(
                "correction_sent",
                D(2026, 9, 25),
                "王敏",
                {"what": "请写明规划许可证的项目名称或者许可证编号"},
            ),
            Event("correction_received", D(2026, 10, 12), "王敏"),
            Event("extension_approved", D(2026, 11, 2), "王敏", {"approver": "办公室主任", "days": 20}),
            Event("answered", D(2026, 11, 20), "王敏", {"outcome": "granted"}),
        ),
        "extended": add(
            _app("2026-0002", applicant="深圳某科技有限公司", applicant_type="biz", channel="in_person"),
            Event("extension_approved", D(2026, 10, 20), "王敏", {"approver": "办公室主任", "days": 20}),
            Event("answered", D(2026, 11, 10), "王敏", {"outcome": "unable.no_info"}),
        ),
        "fee": add(
            _app("2026-0003", applicant="李四", channel="mail_signed"),
            Event(
                "fee_notice_sent",
                D(2026, 10, 9),
                "王敏",
                {"method": "按量", "amount": per_volume_fee(250), "pages": 250},
            ),
            Event("answered", D(2026, 11, 20), "王敏", {"outcome": "other.no_fee"}),
        ),
        "consulted": add(
            _app("2026-0004", applicant="某大学城市规划研究所", applicant_type="research", channel="fax"),
            Event("consult_sent", D(2026, 9, 28), "王敏", {"party": "深圳某建设集团有限公司"}),
            Event("consult_answered", D(2026, 10, 16), "王敏"),
            Event("answered", D(2026, 10, 30), "王敏", {"outcome": "denied.third_party"}),
        ),
    }
    yield led, ids, led.agency(aid)
    store.close()


def _letter(desk, which: str, kind: str) -> tuple[str, Event, bytes, Application]:
    led, ids, agency = desk
    app, events = led.get(ids[which])
    (event,) = [e for e in events if e.kind == kind]
    data = render_letter(app, events, event.seq, agency, cal=led.calendar())
    return _text(data), event, data, app


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_every_letter_of_every_timeline_renders_with_its_number_and_applicant(desk):
    led, ids, agency = desk
    seen = []
    for app_id in ids.values():
        app, events = led.get(app_id)
        for e in events:
            if e.kind not in LETTERS:
                continue
            text = _text(render_letter(app, events, e.seq, agency, cal=led.calendar()))
            lines = text.split("\n")
            assert lines[0] == LETTERS[e.kind][0] and lines[1] == e.document_no
            assert lines[-2:] == ["深圳市南山区教育局", f"{e.date.year}年{e.date.month}月{e.date.day}日"]
            assert app.number in text and f"“{app.request}”" in text
            if e.kind != "consult_sent":  # the consultation letter goes to the third party
                assert lines[2] == f"{app.applicant}："
            seen.append(e.document_no)
            assert letter_filename(app, e) == f"{e.document_no} {LETTERS[e.kind][0]}.docx"
    assert sorted(seen) == sorted(
        [f"〔2026〕受字第{n}号" for n in range(1, 5)]
        + [f"〔2026〕答字第{n}号" for n in range(1, 5)]
        + [
            "〔2026〕补字第1号",
            "〔2026〕延字第1号",
            "〔2026〕延字第2号",
            "〔2026〕费字第1号",
            "〔2026〕征字第1号",
        ]
    )


def test_receipt_states_channel_and_the_reply_deadline_across_national_day(desk):
    text, event, _, _ = _letter(desk, "extended", "registered")
    assert event.document_no == "〔2026〕受字第2号"
    assert "本机关于2026年9月23日收到贵单位当面提交的政府信息公开申请" in text
    assert "按提交之日确定" in text and "登记编号为2026-0002" in text
    assert "答复期限截止于2026年10月28日" in text  # 20 working days, 10-10 worked, 10-1~7 skipped
    text, _, _, _ = _letter(desk, "fee", "registered")
    assert "以邮寄方式提交" in text and "按本机关签收之日确定" in text and "李四：" in text


def test_correction_notice_says_what_to_correct_and_the_periods(desk):
    text, event, _, _ = _letter(desk, "corrected", "correction_sent")
    assert event.document_no == "〔2026〕补字第1号"
    assert "需要补正的事项如下：请写明规划许可证的项目名称或者许可证编号。" in text
    assert f"{LAW}第三十条" in text and "自收到本告知书之日起15个工作日内" in text
    assert "7个工作日内（2026年10月10日前）发出" in text  # sent 09-25, the notice was due Sat 10-10
    assert "视为放弃申请" in text


def test_extension_notice_gives_the_new_due_date(desk):
    text, event, _, _ = _letter(desk, "extended", "extension_approved")
    assert event.document_no in ("〔2026〕延字第1号", "〔2026〕延字第2号")
    assert (
        "原定答复期限（2026年10月28日）" in text
        and "延长20个工作日，本机关最迟于2026年11月25日作出答复" in text
    )
    # After a correction the clock restarted on 10-12: due 11-09, extended to 12-07.
    text, _, _, _ = _letter(desk, "corrected", "extension_approved")
    assert "您于2026年10月12日提交了补正材料，答复期限自该日起计算。" in text
    assert "原定答复期限（2026年11月9日）" in text and "最迟于2026年12月7日作出答复" in text


def test_fee_notice_amount_basis_and_payment_deadline(desk):
    text, event, _, _ = _letter(desk, "fee", "fee_notice_sent")
    assert event.document_no == "〔2026〕费字第1号"
    assert "计收方式为按量计收，应缴金额为人民币4700元" in text and "共250页" in text
    assert "国办函〔2020〕109号" in text and f"{LAW}第四十二条" in text
    # Sent Fri 10-09: 20 working days from the next day, Sat 10-10 (a make-up working day) included.
    assert "截止日期为2026年11月5日" in text


def test_consultation_letter_goes_to_the_party_with_the_15_day_period(desk):
    text, event, _, app = _letter(desk, "consulted", "consult_sent")
    assert event.document_no == "〔2026〕征字第1号"
    assert text.split("\n")[2] == "深圳某建设集团有限公司："
    assert f"{LAW}第三十二条" in text and "自收到本函之日起15个工作日内" in text
    assert "至2026年10月23日" in text  # sent Mon 09-28; 10-1~7 skipped, Sat 10-10 counted
    assert app.applicant not in text  # the third party is not told who asked


def test_answers_carry_outcome_basis_history_and_remedy(desk):
    text, event, _, _ = _letter(desk, "corrected", "answered")
    assert event.document_no == "〔2026〕答字第1号"
    assert f"根据{LAW}第三十六条第（二）项的规定，本机关予以公开" in text
    assert "本机关于2026年11月2日告知您延长答复期限20个工作日" in text and REMEDY in text
    text, _, _, _ = _letter(desk, "extended", "answered")
    assert "经检索，本机关没有贵单位申请公开的政府信息" in text and f"{LAW}第三十六条第（四）项" in text
    assert REMEDY in text
    text, _, _, _ = _letter(desk, "fee", "answered")
    assert "本机关已于2026年10月9日向您发出信息处理费缴费通知书（〔2026〕费字第1号）" in text
    assert "逾期未按缴费通知要求缴纳费用" in text and REMEDY in text
    text, _, _, _ = _letter(desk, "consulted", "answered")
    assert f"{LAW}第十五条、第三十六条第（三）项" in text and "本机关决定不予公开" in text
    assert "书面征求了第三方的意见" in text and "深圳某建设集团有限公司" not in text


def test_docx_layout_fonts_and_link_to_the_event(desk):
    _, event, data, app = _letter(desk, "corrected", "answered")
    doc = Document(io.BytesIO(data))
    paras = doc.paragraphs
    title = paras[0]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and title.runs[0].bold
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert paras[1].alignment == WD_ALIGN_PARAGRAPH.RIGHT and paras[1].text == event.document_no
    assert paras[3].runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert [p.alignment for p in paras[-2:]] == [WD_ALIGN_PARAGRAPH.RIGHT] * 2
    props = doc.core_properties
    assert props.identifier == event.document_no and app.number in props.subject
    assert props.keywords == f"第{event.seq}项事件：作出答复"


def test_event_without_a_letter_is_refused(desk):
    led, ids, agency = desk
    app, events = led.get(ids["corrected"])
    received = next(e for e in events if e.kind == "correction_received")
    with pytest.raises(LetterError, match=r"收到补正材料.*没有对应的文书"):
        render_letter(app, events, received.seq, agency)
    with pytest.raises(LetterError, match="没有第99项事件"):
        render_letter(app, events, 99, agency)
    with pytest.raises(LetterError, match="没有对应的文书"):
        letter_filename(app, received)


def test_filename_is_filesystem_safe():
    app = _app("2026/0009")
    name = letter_filename(app, Event("registered", RECEIVED, "王敏", seq=1))
    assert name == "2026_0009 第1项 政府信息公开申请受理回执.docx"


def test_deadline_in_a_year_without_holiday_data_is_not_guessed():
    app = _app("2026-0100", received=D(2026, 12, 21))
    events = [Event("registered", app.received, "王敏", seq=1, document_no="〔2026〕受字第9号")]
    text = _text(render_letter(app, events, 1, AGENCY))
    assert "答复期限截止于2027年节假日安排公布后另行确定的日期" in text
    cal = WorkCalendar({D(2027, 1, 1): False}, {2027})  # 2027 entered: New Year's Day off only
    text = _text(render_letter(app, events, 1, AGENCY, cal=cal))
    assert "答复期限截止于2027年1月19日" in text


def _timeline(outcome: str) -> list[Event]:
    """A valid timeline ending in ``outcome`` (not stored: numbered by position)."""
    ev = [Event("registered", RECEIVED, "王敏")]
    if outcome in ("unable.unclear", "other.no_correction"):
        ev.append(Event("correction_sent", D(2026, 9, 25), "王敏", document_no="〔2026〕补字第3号"))
    if outcome == "other.no_fee":
        ev.append(
            Event("fee_notice_sent", D(2026, 9, 25), "王敏", {"method": "按件", "amount": 100, "nth": 12})
        )
    return [
        *ev,
        Event("answered", D(2026, 10, 26), "王敏", {"outcome": outcome}, document_no="〔2026〕答字第7号"),
    ]


def test_every_outcome_has_an_answer_text():
    assert set(OUTCOMES) <= set(ANSWERS)


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_answer_letter_for_each_outcome(outcome):
    app, events = _app("2026-0200"), _timeline(outcome)
    text = _text(render_letter(app, events, len(events), AGENCY))
    basis = ANSWERS[outcome].basis
    assert (f"{LAW}{basis}" if basis else f"依照{LAW}的有关规定") in text
    assert text.split("\n")[1] == "〔2026〕答字第7号" and REMEDY in text and "$" not in text
    if outcome in ("unable.unclear", "other.no_correction"):
        assert "本机关已于2026年9月25日向您发出补正申请告知书（〔2026〕补字第3号）" in text


def test_answer_variants_from_event_data():
    app = _app("2026-0201")
    events = _timeline("granted")
    events[-1].data["where"] = "本机关门户网站“政府信息公开”栏目"
    text = _text(render_letter(app, events, 2, AGENCY))
    assert f"{LAW}第三十六条第（一）项" in text and "途径：本机关门户网站“政府信息公开”栏目。" in text
    events = _timeline("unable.no_info")
    events[-1].data |= {
        "responsible": "深圳市规划和自然资源局南山管理局",
        "review_body": "深圳市南山区人民政府",
    }
    text = _text(render_letter(app, events, 2, AGENCY))
    assert f"{LAW}第三十六条第（五）项" in text and "行政机关为深圳市规划和自然资源局南山管理局。" in text
    assert "60日内向深圳市南山区人民政府申请行政复议" in text


def test_per_application_fee_notice_from_form_data():
    app, events = _app("2026-0202"), _timeline("other.no_fee")
    text = _text(render_letter(app, events, 2, AGENCY))
    assert "计收方式为按件计收，应缴金额为人民币100元" in text and "第12件申请" in text
    assert "以本通知发出之日计算，截止日期为2026年10月29日" in text  # 9-25~27 Mid-autumn, 10-1~7 off
    events[1].data |= {
        "amount": "100.5",
        "notice_received": "2026-09-28",
        "pay_how": "通过非税收入缴款码缴纳",
    }
    text = _text(render_letter(app, events, 2, AGENCY))
    assert (
        "人民币100.50元" in text
        and "（截止日期为2026年10月30日）。缴费方式：通过非税收入缴款码缴纳。" in text
    )
    events[1].data["amount"] = "一百元"
    with pytest.raises(LetterError, match="缴费金额"):
        render_letter(app, events, 2, AGENCY)
