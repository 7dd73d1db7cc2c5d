"""The ledger as Excel: our export reads back losslessly, a hand-kept 台账 imports with the right values,
and a file with bad rows names every one of them and imports nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from gongkai.desk import synthetic
from gongkai.desk.calendar import WorkCalendar
from gongkai.desk.excel import (
    ART29_COLUMNS,
    EVENTS_SHEET,
    LEDGER_SHEET,
    NOT_RECORDED,
    ExcelImportError,
    export_ledger,
    import_ledger,
    read_ledger,
)
from gongkai.desk.excel import _assign as _assign
from gongkai.desk.handkept import read_applicant_type, read_channel, read_date, read_outcome
from gongkai.desk.ledger import Event, LedgerError, answered_late, deadline, fold
from gongkai.desk.tally import tally
from gongkai.report import Agency
from gongkai.store import Store
from gongkai.store.ledger import Ledger

AGENCY = Agency("深圳市南山区教育局", "department")
D = dt.date


def _key(items):
    """What must survive a round trip: every application field and every event's data."""
    return [
        (
            (
                a.number,
                a.channel,
                a.received,
                a.applicant_type,
                a.applicant,
                a.applicant_id,
                a.request,
                a.handler,
            ),
            [(e.kind, e.date, e.actor, e.data, e.document_no) for e in events],
        )
        for a, events in items
    ]


def _xlsx(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def ledger100():
    """About 100 applications over 2024–2025, as of the end of 2025 (some still open)."""
    items = synthetic.generate(AGENCY.name, range(2024, 2026), 50, seed=7, as_of=D(2025, 12, 31))
    # Data the 详情 column cannot show as 项目：内容 still comes back (as JSON).
    consult = next(e for _, ev in items for e in ev if e.kind == "consult_sent")
    consult.data["letter_pages"] = 3
    return items


@pytest.fixture
def sqlite_ledger(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}", files_dir=tmp_path / "files")
    yield Ledger(store)
    store.close()


def test_round_trip_through_our_export(ledger100, sqlite_ledger):
    today = D(2025, 12, 31)
    data = export_ledger(ledger100, today=today)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [LEDGER_SHEET, EVENTS_SHEET]
    head = [c.value for c in wb[LEDGER_SHEET][1]]
    assert head[:8] == [
        "登记编号",
        "收到日期",
        "申请方式",
        "申请人",
        "申请人类型",
        "证件号码",
        "申请内容",
        "承办人",
    ]
    assert head[-17:-11] == ["答复日期", "办理结果", "办结日期", "状态", "答复期限", "是否逾期"]
    assert head[-11:] == [h for h, _ in ART29_COLUMNS]  # Art. 29 details, export only
    rows = {
        r[0]: dict(zip(head, r, strict=True)) for r in wb[LEDGER_SHEET].iter_rows(min_row=2, values_only=True)
    }
    assert len(rows) == len(ledger100)
    assert wb[EVENTS_SHEET].max_row - 1 == sum(len(ev) for _, ev in ledger100)
    # The computed columns: an open application shows its deadline, an answered one whether it was late.
    cal = WorkCalendar()
    for app, events in ledger100:
        row, s = rows[app.number], fold(app, events)
        assert row["收到日期"].date() == app.received
        if s.status == "open" and s.correction_pending is None:
            assert row["状态"] in ("办理中", "征求意见中")
            assert row["答复期限"].date() == deadline(cal, app, s).due
        elif s.status != "open":
            assert row["办理结果"].startswith("（") and row["答复日期"].date() == s.answered
            assert row["是否逾期"] == ("是" if answered_late(cal, app, events) else "否")
    assert sum(1 for r in rows.values() if r["状态"] == "已办结") > 80

    back = read_ledger(data, AGENCY.name)
    assert _key(back) == _key(ledger100)
    assert all(a.agency == AGENCY.name for a, _ in back)

    aid = sqlite_ledger.agency_id(AGENCY)
    assert import_ledger(sqlite_ledger, data, aid, "导入") == len(ledger100)
    for year in (2024, 2025):
        assert sqlite_ledger.report(aid, year).values() == tally(AGENCY, year, ledger100).values()

    # Exported from the store, the letters' document numbers and recording times come back too.
    stored = sqlite_ledger.applications([aid])
    again = read_ledger(export_ledger(stored), AGENCY.name)
    assert _key(again) == _key(stored)
    assert any(e.document_no.startswith("〔2025〕答字第") for _, ev in again for e in ev)
    assert [e.recorded_at for _, ev in again for e in ev] == [e.recorded_at for _, ev in stored for e in ev]


def test_ledger_sheet_alone_reads_like_a_hand_kept_one(ledger100):
    """Without the 事件 sheet the 台账 sheet's columns rebuild the timelines: table 三 is the same."""
    wb = load_workbook(io.BytesIO(export_ledger(ledger100)))
    del wb[EVENTS_SHEET]
    back = read_ledger(_xlsx(wb), AGENCY.name)
    assert [a for a, _ in back] == [a for a, _ in ledger100]
    for year in (2024, 2025):
        mine, theirs = tally(AGENCY, year, back).values(), tally(AGENCY, year, ledger100).values()
        assert {k: v for k, v in mine.items() if k.startswith("t3.")} == {
            k: v for k, v in theirs.items() if k.startswith("t3.")
        }
    for (_, ours), (_, orig) in zip(back, ledger100, strict=True):
        kept = [(e.kind, e.date) for e in orig if not e.kind.startswith("case")]
        assert [(e.kind, e.date) for e in ours] == kept


def _hand_kept() -> bytes:
    """A 台账 as offices keep it: a notes sheet first, a merged title, a unit line, a two-row header
    with a merged group heading, variant headers, dates typed every which way, outcomes in words."""
    wb = Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["本表每月更新一次，答复后填写答复日期和结果。"])
    ws = wb.create_sheet("2025年")
    ws.append(["南山区教育局2025年政府信息公开申请办理台账"])
    ws.merge_cells("A1:P1")
    ws.append(
        ["填报单位：办公室", None, None, None, None, None, None, None, None, None, None, None, "单位：件"]
    )
    top = ["序号", "申请编号", "受理日期", "申请人姓名/名称", "身份", "渠道", "申请内容", "承办人"]
    top += [
        "补正告知日期",
        "补正日期",
        "征求意见",
        None,
        "是否延期",
        "延期天数",
        "答复日期",
        "答复结果",
        "备注",
    ]
    ws.append(top)
    ws.append([None] * 10 + ["发函日期", "答复日期"] + [None] * 5)
    for col in "ABCDEFGHIJMNOPQ":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("K3:L3")
    rows = [
        (
            1,
            "NS-001",
            D(2025, 3, 4),
            "张三",
            "公民",
            "网上",
            "2024年部门预算",
            "王敏",
            "2025-03-20",
            "予以公开",
        ),
        (2, "NS-002", "2025/3/5", "深圳某某科技有限公司", "企业", "当面", "某路段招标文件", "李强"),
        (
            3,
            "NS-003",
            "2025.3.6",
            "李四",
            "自然人",
            "信函",
            "某规划许可证",
            "王敏",
            "2025.4.1",
            "不予公开-国家秘密",
        ),
        (4, "NS-004", "2025年3月10日", "广东某律师事务所", "法律服务机构", "邮寄", "某处罚决定书", "张静"),
        (
            5,
            "NS-005",
            45733,
            "王五",
            "自然人",
            "在线",
            "某环评批复",
            "李强",
            "2025-05-20",
            "本机关不掌握相关政府信息",
        ),
        (6, "NS-006", "2025-03-18", "赵六", "公民", "传真", "某合同", "李强", "2025-04-03", "信息不存在"),
        (
            7,
            "NS-007",
            "2025-03-19",
            "张三",
            "公民",
            "网上",
            "2024年部门预算",
            "王敏",
            "2025-03-21",
            "重复申请",
        ),
        (
            8,
            "NS-008",
            "2025-03-20",
            "钱七",
            "自然人",
            "网站",
            "举报某单位",
            "王敏",
            "2025-03-28",
            "（五）不予处理1.信访举报投诉类申请",
        ),
        (9, "NS-009", "2025-03-21", "孙八", "自然人", "现场", "某材料", "张静"),
        (10, "NS-010", "2025-12-29", "某公益基金会", "社会公益组织", "传真", "某项目资金", "刘洋"),
    ]
    answers = {r[0]: r[8:] for r in rows if len(r) > 8}
    answers[2] = ("2025年3月25日", "部分公开")
    answers[4] = ("2025/4/10", "属于国家秘密")
    answers[9] = ("2025-04-15", "逾期不补正")
    for r in rows:
        line = list(r[:8]) + [None] * 9
        if r[0] in answers:
            line[14], line[15] = answers[r[0]]
        ws.append(line)
    # 补正 on NS-004 (corrected) and NS-009 (never corrected); a consultation and an extension on NS-005.
    ws["I8"], ws["J8"] = "2025-03-12", "2025/3/20"
    ws["I13"] = "2025-03-25"
    ws["K9"], ws["L9"], ws["M9"], ws["N9"] = "2025-03-20", D(2025, 4, 2), "是", "20个工作日"
    ws.append([11])  # a pre-numbered empty row
    ws.append([])
    ws.append(["注：本表由办公室负责更新。"])
    return _xlsx(wb)


def test_hand_kept_ledger_imports_with_the_right_values():
    items = read_ledger(_hand_kept(), AGENCY.name)
    apps = {a.number: (a, ev) for a, ev in items}
    assert list(apps) == [f"NS-{i:03d}" for i in range(1, 11)]
    received = [a.received for a, _ in items]
    assert received[:6] == [D(2025, 3, d) for d in (4, 5, 6, 10, 17, 18)]  # 45733 is 2025-03-17
    assert [a.channel for a, _ in items[:6]] == [
        "online",
        "in_person",
        "mail_plain",
        "mail_signed",
        "online",
        "fax",
    ]
    types = [a.applicant_type for a, _ in items]
    assert types == ["np", "biz", "np", "legal", "np", "np", "np", "np", "np", "ngo"]
    assert apps["NS-002"][0].applicant == "深圳某某科技有限公司" and apps["NS-004"][0].handler == "张静"

    def outcome(n: str) -> str | None:
        return fold(*apps[n]).outcome

    expected = {
        "NS-001": "granted",
        "NS-002": "partial",
        "NS-003": "denied.secret",
        "NS-004": "denied.secret",
        "NS-005": "unable.no_info",
        "NS-006": "unable.no_info",
        "NS-007": "rejected.duplicate",
        "NS-008": "rejected.petition",
        "NS-009": "other.no_correction",
        "NS-010": None,
    }
    assert {n: outcome(n) for n in apps} == expected
    assert fold(*apps["NS-002"]).answered == D(2025, 3, 25) and fold(*apps["NS-003"]).answered == D(
        2025, 4, 1
    )

    ev4 = apps["NS-004"][1]
    assert [(e.kind, e.date) for e in ev4] == [
        ("registered", D(2025, 3, 10)),
        ("correction_sent", D(2025, 3, 12)),
        ("correction_received", D(2025, 3, 20)),
        ("answered", D(2025, 4, 10)),
    ]
    assert all(e.actor == "张静" for e in ev4)
    # NS-005: consultation 3-20 → 4-02 pauses 10 working days; the extension's day is not in the sheet,
    # so it is recorded on the original deadline (20 + 10 working days after 3-17, over 清明: 4-28).
    ev5 = apps["NS-005"][1]
    assert [(e.kind, e.date) for e in ev5] == [
        ("registered", D(2025, 3, 17)),
        ("consult_sent", D(2025, 3, 20)),
        ("consult_answered", D(2025, 4, 2)),
        ("extension_approved", D(2025, 4, 28)),
        ("answered", D(2025, 5, 20)),
    ]
    assert ev5[1].data == {"party": NOT_RECORDED}
    ext = ev5[3].data
    assert ext["days"] == 20 and ext["approver"] == NOT_RECORDED and "未记录批准日期" in ext["note"]
    s9 = fold(*apps["NS-009"])
    assert s9.correction_pending == D(2025, 3, 25) and s9.answered == D(2025, 4, 15)
    assert fold(*apps["NS-010"]).status == "open"
    r = tally(AGENCY, 2025, items)
    assert r.value("t3.new.total") == 10 and r.value("t3.forward.total") == 1
    assert r.value("t3.denied.secret.np") == 1 and r.value("t3.denied.secret.legal") == 1


def test_mapping_names_columns_we_do_not_know():
    wb = Workbook()
    ws = wb.active
    ws.append(["件号", "来件日子", "申请人", "申请人类型", "申请方式", "要什么"])
    ws.append(["A1", "2025-06-03", "张三", "个人", "网上", "某文件"])
    data = _xlsx(wb)
    with pytest.raises(ExcelImportError) as e:
        read_ledger(data, AGENCY.name)
    assert {(x.column, x.message) for x in e.value.errors} >= {
        ("收到日期", "找不到这一列（可在列映射中指定）")
    }
    mapping = {"number": "件号", "收到日期": "来件日子", "request": "要什么"}
    ((app, events),) = read_ledger(data, AGENCY.name, mapping=mapping)
    assert (app.number, app.received, app.request, app.applicant_type) == (
        "A1",
        D(2025, 6, 3),
        "某文件",
        "np",
    )
    assert [e.kind for e in events] == ["registered"]
    with pytest.raises(ExcelImportError, match="「来件日期」：找不到映射指定的这一列"):
        read_ledger(data, AGENCY.name, mapping={"received": "来件日期"})


def _bad_sheet() -> bytes:
    """Data from row 4; row 7 has an impossible date, row 9 an outcome nobody can count, row 11 repeats
    a number, row 12 answers before it was received and row 13 closes what was never answered."""
    wb = Workbook()
    ws = wb.active
    ws.append(["某局政府信息公开申请登记表"])
    ws.append([])
    ws.append(
        [
            "登记编号",
            "收到申请日期",
            "申请人",
            "申请人类型",
            "申请方式",
            "申请内容",
            "答复日期",
            "处理结果",
            "办结日期",
        ]
    )
    good = ["张三", "自然人", "网上", "某文件"]
    ws.append(["B-1", "2025-03-03", *good, "2025-03-10", "予以公开"])  # row 4
    ws.append(["B-2", "2025-03-04", *good, "2025-03-11", "部分公开"])
    ws.append(["B-3", "2025-03-05", *good])
    ws.append(["B-4", "2025-13-01", *good])  # row 7
    ws.append(["B-5", "2025-03-06", *good, "2025-03-12", "无法识别"])
    ws.append(["B-6", "2025-03-07", *good, "2025-03-13", "已经处理好了"])  # row 9
    ws.append(["B-7", "2025-03-10", *good])
    ws.append(["B-7", "2025-03-10", *good])  # row 11
    ws.append(["B-8", "2025-03-10", *good, "2025-03-01", "予以公开"])  # row 12
    ws.append(["B-9", "2025-03-10", *good, None, None, "2025-03-20"])  # row 13
    return _xlsx(wb)


def test_bad_rows_are_named_and_nothing_is_imported(desk):
    data = _bad_sheet()
    with pytest.raises(ExcelImportError) as e:
        read_ledger(data, AGENCY.name)
    found = {(x.row, x.column) for x in e.value.errors}
    assert found == {
        (7, "收到申请日期"),
        (8, "处理结果"),
        (9, "处理结果"),
        (11, "登记编号"),
        (12, "答复日期"),
        (13, "办结日期"),
    }
    text = str(e.value)
    assert "第7行「收到申请日期」：无法识别的日期“2025-13-01”" in text
    assert "第9行「处理结果」：无法识别的办理结果“已经处理好了”" in text
    assert "第11行「登记编号」：登记编号“B-7”与第10行重复" in text
    assert "第12行「答复日期」：作出答复的日期2025-03-01早于收到申请之日2025-03-10" in text
    assert "第13行「办结日期」：尚未答复，不能办结归档" in text
    assert text.startswith("台账有6处问题，未导入任何内容")

    aid = desk.agency_id(AGENCY)
    with pytest.raises(ExcelImportError):
        import_ledger(desk, data, aid, "导入")
    assert desk.applications([aid]) == []

    # A file without mistakes whose last row is already in the ledger: refused as a whole, by row.
    desk.import_applications(read_ledger(_hand_kept(), AGENCY.name)[-1:], "导入", aid)
    with pytest.raises(ExcelImportError) as e:
        import_ledger(desk, _hand_kept(), aid, "导入")
    assert [(x.row, x.column) for x in e.value.errors] == [(14, "申请编号")]
    assert "已在本机关台账中" in str(e.value)
    assert [a.number for a, _ in desk.applications([aid])] == ["NS-010"]
    # What import_ledger relies on: the store takes a batch whole or not at all (the clash comes last).
    with pytest.raises(LedgerError, match="NS-010已存在"):
        desk.import_applications(read_ledger(_hand_kept(), AGENCY.name), "导入", aid)
    assert [a.number for a, _ in desk.applications([aid])] == ["NS-010"]
    # Once the clash is gone the same file goes in whole.
    other = desk.agency_id(Agency("深圳市南山区卫生健康局", "department"))
    assert import_ledger(desk, _hand_kept(), other, "导入") == 10
    assert len(desk.applications([other])) == 10 and len(desk.applications([aid])) == 1


def test_events_sheet_errors_name_their_rows(ledger100):
    wb = load_workbook(io.BytesIO(export_ledger(ledger100[:3])))
    ev = wb[EVENTS_SHEET]
    ev["C3"] = "批准"  # not an event
    ev["D4"] = "2025-02-30"
    ev.append(["9999-0001", 1, "登记", D(2025, 1, 2), "王敏", "", "", ""])
    with pytest.raises(ExcelImportError) as e:
        read_ledger(_xlsx(wb), AGENCY.name)
    assert [(x.sheet, x.row, x.column) for x in e.value.errors] == [
        (EVENTS_SHEET, 3, "事件"),
        (EVENTS_SHEET, 4, "日期"),
        (EVENTS_SHEET, ev.max_row, "登记编号"),
    ]
    assert "「事件」表第3行「事件」：未知的事件“批准”" in str(e.value)


def _with_entity() -> bytes:
    """An XLSX whose XML declares entities (the billion-laughs shape)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    return buf.getvalue()


def test_files_that_are_not_a_ledger():
    for data, message in [
        (b"", "不是有效的 .xlsx 文件"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 500, "旧版 .xls"),
        (_xlsx(Workbook()), "找不到表头"),
        (_with_entity(), "实体声明"),
    ]:
        with pytest.raises(ExcelImportError, match=message):
            read_ledger(data, AGENCY.name)
    # Events not allowed by the regulation can't be smuggled in through the 事件 sheet either.
    app = synthetic.generate(AGENCY.name, range(2025, 2026), 1, seed=1)[0][0]
    twice = [Event("registered", app.received, "王敏"), Event("registered", app.received, "王敏")]
    with pytest.raises(ExcelImportError, match="只能是第一个事件"):
        read_ledger(export_ledger([(app, twice)]), AGENCY.name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (dt.datetime(2025, 3, 4, 0, 0), D(2025, 3, 4)),
        ("2025-03-04", D(2025, 3, 4)),
        ("2025/3/4", D(2025, 3, 4)),
        ("2025年3月4日", D(2025, 3, 4)),
        ("２０２５年３月４日", D(2025, 3, 4)),
        ("2025.3.4", D(2025, 3, 4)),
        ("2025-3-4 14:30", D(2025, 3, 4)),
        ("20250304", D(2025, 3, 4)),
        (20250304, D(2025, 3, 4)),
        (45720, D(2025, 3, 4)),
    ],
)
def test_dates_as_offices_type_them(text, expected):
    assert read_date(text) == expected


@pytest.mark.parametrize("text", ["2025-13-01", "2025-02-30", "3月4日", "去年", "25/3/4", 12])
def test_dates_that_are_refused(text):
    with pytest.raises(ValueError, match="无法识别的日期"):
        read_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("（一）予以公开", "granted"),
        ("予以公开", "granted"),
        ("全部公开", "granted"),
        ("部分公开", "partial"),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partial"),
        ("不予公开-国家秘密", "denied.secret"),
        ("属于国家秘密", "denied.secret"),
        ("不予公开（第三方合法权益）", "denied.third_party"),
        ("过程性信息", "denied.process"),
        ("本机关不掌握相关政府信息", "unable.no_info"),
        ("信息不存在", "unable.no_info"),
        ("需另行制作", "unable.needs_creation"),
        ("补正后申请内容仍不明确", "unable.unclear"),
        ("重复申请", "rejected.duplicate"),
        ("信访举报投诉类申请", "rejected.petition"),
        ("要求提供公开出版物", "rejected.publication"),
        ("逾期不补正", "other.no_correction"),
        ("逾期未缴费", "other.no_fee"),
        ("（六）其他处理3.其他", "other.other"),
        ("三（三）1", "denied.secret"),
        ("（四）2", "unable.needs_creation"),
        ("granted", "granted"),
    ],
)
def test_outcomes_spelled_loosely(text, expected):
    assert read_outcome(text) == expected


@pytest.mark.parametrize("text", ["不予公开", "无法提供", "不予处理", "已办", "（三）"])
def test_outcomes_that_do_not_say_which_row(text):
    with pytest.raises(ValueError, match="办理结果"):
        read_outcome(text)


def test_channels_and_applicant_types():
    channels = {"网上": "online", "在线申请": "online", "当面": "in_person", "信函": "mail_plain"}
    channels |= {"邮寄": "mail_signed", "EMS": "mail_signed", "传真": "fax", "互联网渠道": "online"}
    assert {t: read_channel(t) for t in channels} == channels
    types = {"自然人": "np", "公民": "np", "企业": "biz", "商业企业": "biz", "科研机构": "research"}
    types |= {"社会公益组织": "ngo", "法律服务机构": "legal", "律师事务所": "legal", "其他": "other"}
    assert {t: read_applicant_type(t) for t in types} == types
    for bad, fn in (("电话", read_channel), ("法人", read_applicant_type)):
        with pytest.raises(ValueError, match="无法识别"):
            fn(bad)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["补正告知日期", "补正日期"],
            {"correction_sent": "补正告知日期", "correction_received": "补正日期"},
        ),
        (["补正日期"], {"correction_sent": "补正日期"}),
        (["答复日期", "办结日期"], {"answered": "答复日期", "closed": "办结日期"}),
        (["办结日期"], {"answered": "办结日期"}),
        (
            ["收到申请日期（年月日）", "申请人姓名（名称）"],
            {"received": "收到申请日期（年月日）", "applicant": "申请人姓名（名称）"},
        ),
    ],
)
def test_headers_that_could_mean_two_things(headers, expected):
    cols = _assign(dict(enumerate(headers)), {})
    assert {f: h for f, (_, h) in cols.items()} == expected
