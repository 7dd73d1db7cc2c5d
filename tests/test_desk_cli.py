"""``gongkai desk``: a round trip on the command line, from registering to the generated report."""

from __future__ import annotations

import datetime as dt
import re

from typer.testing import CliRunner

from gongkai import api
from gongkai.cli import app
from gongkai.desk import synthetic
from gongkai.store import Store
from gongkai.store.ledger import Ledger

runner = CliRunner()
AGENCY = "深圳市南山区教育局"


def _run(db: str, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["desk", *args, "--db", db], env={"GONGKAI_USER": "王敏", "COLUMNS": "200"})
    assert result.exit_code == code, result.output
    return result.output


def test_desk_round_trip(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    assert "区划代码 440305" in _run(db, "agency-add", AGENCY)
    # Received Wed 2026-09-23 (中秋, 国庆 and the make-up Saturday 10-10 in between) → due Wed 10-28.
    out = _run(
        db,
        "register",
        "--agency",
        AGENCY,
        "--received",
        "2026-09-23",
        "--applicant",
        "张三",
        "--applicant-id",
        "ID-1",
        "--request",
        "申请公开某小区规划许可证",
        "--handler",
        "陈静",
    )
    assert (
        "已登记 #1 2026-0001" in out and "答复期限：2026-10-28" in out and "计入调休上班日：10月10日" in out
    )
    out = _run(
        db, "event", "1", "extension_approved", "--date", "2026-10-20", "--approver", "主任", "--days", "20"
    )
    assert "已记录第2项：批准延期答复" in out and "〔2026〕延字第1号" in out and "答复期限：2026-11-25" in out
    refused = _run(
        db,
        "event",
        "1",
        "extension_approved",
        "--date",
        "2026-10-21",
        "--approver",
        "主任",
        "--days",
        "5",
        code=2,
    )
    assert "延期答复只能一次（第三十三条）" in refused
    # The same applicant asks again for the same thing: 不予处理 2 is suggested.
    again = _run(
        db,
        "register",
        "-a",
        AGENCY,
        "--received",
        "2026-11-02",
        "--applicant",
        "张三",
        "--applicant-id",
        "ID-1",
        "--request",
        "申请公开 某小区规划许可证。",
        "--handler",
        "李娜",
    )
    assert "#2 2026-0002" in again and "疑似重复申请" in again and "#1 2026-0001" in again
    show = _run(db, "show", "1")
    assert "1. 2026-09-23 登记 〔2026〕受字第1号（王敏）" in show
    assert (
        "批准人：主任；延长工作日数：20" in show
        and "答复期限：2026-11-25" in show
        and "10月1日（法定节假日（国庆节））" in show
    )
    # Due views on 2026-11-20: #1 has 3 working days left (soon), #2 is due 2026-11-30.
    soon = _run(db, "due", "--soon", "--today", "2026-11-20")
    assert "2026-0001" in soon and "答复期限 2026-11-25（剩余3个工作日）" in soon and "2026-0002" not in soon
    late = _run(db, "due", "--overdue", "--today", "2026-11-27", "-a", AGENCY)
    assert "2026-0001" in late and "逾期2个工作日" in late and "共1件" in late
    by = _run(db, "due", "--by-handler", "--today", "2026-11-20")
    assert by.index("李娜（1件）") < by.index("陈静（1件）")
    _run(db, "event", "2", "answered", "--date", "2026-11-10", "--outcome", "rejected.duplicate")
    _run(db, "event", "1", "answered", "--date", "2026-11-12", "--outcome", "granted")
    assert "共0件" in _run(db, "due")
    # Letters per event.
    letter = tmp_path / "ext.docx"
    assert "已生成" in _run(db, "letter", "1", "2", "-o", str(letter))
    assert letter.read_bytes()[:2] == b"PK"
    assert "申请2026-0001没有第99项事件" in _run(db, "letter", "1", "99", "-o", str(letter), code=2)
    # The year's report from the ledger, written and read back to the same cells.
    doc = tmp_path / "report.docx"
    out = _run(db, "report", AGENCY, "2026", "-o", str(doc))
    assert "本年新收 2 件" in out and "办结 2 件" in out and "未发现问题" in out
    back = api.parse_bytes(doc.read_bytes(), "report.docx")
    assert back.value("t3.new.total") == 2 and back.value("t3.granted.total") == 1
    assert back.value("t3.rejected.duplicate.total") == 1 and back.year == 2026
    # Excel out and into another agency, all or nothing.
    xlsx = tmp_path / "ledger.xlsx"
    assert "已导出 2 件申请" in _run(db, "export", "-a", AGENCY, "-o", str(xlsx))
    _run(db, "agency-add", "深圳市福田区教育局")
    assert "已导入 2 件申请" in _run(db, "import", str(xlsx), "-a", "深圳市福田区教育局")
    clash = _run(db, "import", str(xlsx), "-a", "深圳市福田区教育局", code=2)
    assert "已在本机关台账中" in clash and "未导入任何内容" in clash
    store = Store.open(db)
    fid = store.agencies.find("深圳市福田区教育局")["id"]
    copied = Ledger(store).applications([fid])
    assert [(a.number, [e.kind for e in ev]) for a, ev in copied] == [
        ("2026-0001", ["registered", "extension_approved", "answered"]),
        ("2026-0002", ["registered", "answered"]),
    ]


def test_agency_errors_are_clear(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    _run(db, "agency-add", "南山区人民政府", "--region", "440305")
    _run(db, "agency-add", "南山区人民政府", "--region", "230404")
    out = _run(db, "due", "-a", "南山区人民政府", code=2)
    assert "名为“南山区人民政府”的机关有2个" in out and "请用编号指定" in out
    assert "没有名为“某某局”的机关" in _run(db, "due", "-a", "某某局", code=2)
    assert "共0件" in _run(db, "due", "-a", "#2")
    result = runner.invoke(
        app,
        ["user-add", "li", "--role", "staff", "--agency", "南山区人民政府", "--db", db],
        env={"GONGKAI_PASSWORD": "pw-12345678"},
    )
    assert result.exit_code != 0 and "请用编号指定" in result.output
    result = runner.invoke(
        app,
        ["user-add", "li", "--role", "staff", "--agency", "#2", "--db", db],
        env={"GONGKAI_PASSWORD": "pw-12345678"},
    )
    assert result.exit_code == 0 and "staff" in result.output
    result = runner.invoke(
        app, ["user-add", "wu", "--role", "supervisor", "--db", db], env={"GONGKAI_PASSWORD": "x"}
    )
    assert result.exit_code != 0 and "须用 --agency 指定所属机关" in result.output


def test_calendar_set_moves_open_deadlines(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    _run(db, "agency-add", AGENCY)
    _run(
        db,
        "register",
        "-a",
        AGENCY,
        "--received",
        "2026-12-10",
        "--applicant",
        "卫九",
        "--request",
        "申请公开年度预算",
    )
    out = _run(
        db, "event", "1", "extension_approved", "--date", "2026-12-30", "--approver", "主任", "--days", "20"
    )
    assert "答复期限：无法计算" in out and "2027年的节假日安排尚未录入" in out
    out = _run(
        db,
        "calendar",
        "set",
        "2027",
        "--holiday",
        "2027-01-01",
        "--holiday",
        "2027-02-05~2027-02-11",
        "--workday",
        "2027-02-13",
        "--note",
        "国办发明电",
    )
    assert "放假8天，调休上班1天" in out and "期限变化的办理中申请：1件" in out
    moved = re.search(r"#1 \S+ 2026-0001：无法计算 → (\d{4}-\d\d-\d\d)", out)
    assert moved is not None and moved.group(1).startswith("2027-")
    assert f"答复期限：{moved.group(1)}" in _run(db, "show", "1")
    assert "2027-02-13 调休上班" in _run(db, "calendar", "show")
    assert "不属于2027年" in _run(db, "calendar", "set", "2027", "--holiday", "2028-01-01", code=2)


def test_report_exit_status_and_findings(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    _run(db, "agency-add", AGENCY)
    items = synthetic.generate(AGENCY, range(2025, 2026), 40, seed=2, as_of=dt.date(2025, 12, 31))
    store = Store.open(db)
    ledger = Ledger(store)
    ledger.import_applications(items, "导入", 1)
    from gongkai.desk.tally import YearInputs

    ledger.set_year_inputs(1, 2025, YearInputs(sections={"s1": "本年度共收到政府信息公开申请3件。"}), "王敏")
    out = _run(db, "report", AGENCY, "2025", "-o", str(tmp_path / "r.md"))
    assert "警告 text.received：正文称收到申请 3 件，表三“一、本年新收”总计为 40" in out
    assert (tmp_path / "r.md").read_text(encoding="utf-8").count("|") > 50
    assert "后缀须为" in _run(db, "report", AGENCY, "2025", "-o", str(tmp_path / "r.txt"), code=2)
