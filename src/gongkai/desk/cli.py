"""``gongkai desk …``: the agency desk on the command line (ledger, deadlines, letters, annual report).

Whoever runs these commands has the database itself in hand, so no role applies here; ``--by`` names who
did what (default: $GONGKAI_USER or the login name) and is recorded with every event.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from ..store import Store
    from ..store.ledger import Due, Ledger

desk_app = typer.Typer(
    no_args_is_help=True,
    help="依申请公开台账：登记、办理过程、期限、文书、年度报告。The agency desk: ledger, deadlines, letters, report.",
)
calendar_app = typer.Typer(no_args_is_help=True, help="节假日补充日历。Working-day calendar overrides.")
desk_app.add_typer(calendar_app, name="calendar")

DbOpt = Annotated[
    str, typer.Option("--db", help="数据库 URL（默认 SQLite gongkai.db）  Database URL", envvar="GONGKAI_DB")
]
ByOpt = Annotated[str, typer.Option("--by", help="经办人（默认 $GONGKAI_USER 或登录名）  Who records it")]
AgencyOpt = Annotated[str, typer.Option("--agency", "-a", help="机关名称或 #编号  Agency name or #id")]
TodayOpt = Annotated[str, typer.Option("--today", help="以此日为今天（YYYY-MM-DD）  Count from this day")]
SOON_DAYS = 5
DEFAULT_DB = "sqlite:///gongkai.db"


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    _out().print(f"[bold red]✗[/] {escape(message)}")
    return typer.Exit(2)


def _actor(by: str) -> str:
    return by or os.environ.get("GONGKAI_USER") or getpass.getuser()


def _open(db: str) -> tuple[Store, Ledger]:
    from ..store import Store
    from ..store.ledger import Ledger

    store = Store.open(db)
    return store, Ledger(store)


def _agency(store: Store, key: str) -> dict[str, Any]:
    from ..store.agencies import AgencyLookupError

    try:
        return store.agencies.find(key)
    except AgencyLookupError as e:
        raise _fail(str(e)) from None


def _date(text: str, what: str) -> dt.date:
    from .forms import parse_date
    from .ledger import LedgerError

    try:
        return parse_date(text, what)
    except LedgerError as e:
        raise _fail(str(e)) from None


def _app_of(ledger: Ledger, app_id: int) -> tuple[Any, list[Any]]:
    from .ledger import LedgerError

    try:
        return ledger.get(app_id)
    except LedgerError as e:
        raise _fail(str(e)) from None


# ---- agencies -----------------------------------------------------------------------------------


@desk_app.command("agency-add")
def agency_add(
    name: Annotated[str, typer.Argument(help="机关全称  Agency name")],
    region: Annotated[str, typer.Option("--region", help="区划代码（默认按名称识别）  GB/T 2260 code")] = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """添加（或查找）机关。Add (or find) an agency; its region comes from the code or from the name."""
    from ..store import Store
    from ..store.agencies import AgencyLookupError

    try:
        row = Store.open(db).agencies.add(name, region)
    except AgencyLookupError as e:
        raise _fail(str(e)) from None
    _out().print(f"#{row['id']} {escape(row['name'])}（区划代码 {row['region_code'] or '未知'}）")


@desk_app.command("agencies")
def agencies(db: DbOpt = DEFAULT_DB) -> None:
    """列出有台账或台账账户的机关。List the agencies that keep a ledger."""
    from ..store import Store

    table = Table(header_style="bold")
    for col in ("#", "机关", "区划代码", "申请数"):
        table.add_column(col, overflow="fold")
    for a in Store.open(db).agencies.with_desk():
        table.add_row(str(a["id"]), escape(a["name"]), a["region_code"] or "—", str(a["applications"]))
    _out().print(table)


# ---- applications and events --------------------------------------------------------------------


@desk_app.command()
def register(
    agency: AgencyOpt,
    received: Annotated[str, typer.Option("--received", help="收到申请日期  Receipt date (Art. 31)")],
    applicant: Annotated[str, typer.Option("--applicant", help="申请人  Applicant")],
    request: Annotated[str, typer.Option("--request", help="申请内容  What is asked for")],
    channel: Annotated[
        str, typer.Option("--channel", help="in_person | mail_signed | mail_plain | online | fax")
    ] = "online",
    applicant_type: Annotated[
        str, typer.Option("--type", help="np | biz | research | ngo | legal | other")
    ] = "np",
    applicant_id: Annotated[str, typer.Option("--applicant-id", help="证件号码  ID number")] = "",
    handler: Annotated[str, typer.Option("--handler", help="承办人  Handler")] = "",
    number: Annotated[str, typer.Option("--number", help="登记编号（默认自动编号）  Number")] = "",
    id_type: Annotated[str, typer.Option("--id-type", help="resident_id | passport | … (证件类型)")] = "",
    legal_rep: Annotated[str, typer.Option("--legal-rep", help="法定代表人  Legal representative")] = "",
    contact_person: Annotated[str, typer.Option("--contact-person", help="联系人  Contact person")] = "",
    phone: Annotated[str, typer.Option("--phone", help="联系电话  Phone")] = "",
    address: Annotated[str, typer.Option("--address", help="通信地址  Address")] = "",
    postcode: Annotated[str, typer.Option("--postcode", help="邮政编码  Postcode")] = "",
    email: Annotated[str, typer.Option("--email", help="电子邮箱  Email")] = "",
    info_title: Annotated[str, typer.Option("--info-title", help="信息名称  Title")] = "",
    info_number: Annotated[str, typer.Option("--info-number", help="文号  Document number")] = "",
    form_wanted: Annotated[str, typer.Option("--form", help="paper | email | disc | pickup")] = "",
    delivery: Annotated[str, typer.Option("--delivery", help="mail | email | in_person | online")] = "",
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """登记新申请，打印其编号、答复期限、缺少的第二十九条内容及疑似重复申请。Register an application."""
    from .forms import application_from, next_number
    from .ledger import LedgerError

    store, ledger = _open(db)
    row = _agency(store, agency)
    day = _date(received, "收到申请日期")
    if not number:
        number = next_number([a.number for a, _ in ledger.applications([row["id"]])], day.year)
    values = {"number": number, "channel": channel, "received": day, "applicant_type": applicant_type}
    values |= {"applicant": applicant, "applicant_id": applicant_id, "request": request, "handler": handler}
    values |= {"id_type": id_type, "legal_rep": legal_rep, "contact_person": contact_person, "phone": phone}
    values |= {"address": address, "postcode": postcode, "email": email, "info_title": info_title}
    values |= {"info_number": info_number, "form_wanted": form_wanted, "delivery": delivery}
    try:
        app_id = ledger.register(application_from(row["name"], values), _actor(by), agency_id=row["id"])
    except LedgerError as e:
        raise _fail(str(e)) from None
    out = _out()
    out.print(f"已登记 #{app_id} {escape(number)}（{escape(row['name'])}）")
    lacking = ledger.get(app_id)[0].missing()
    if lacking:
        from .applicant import missing_text

        out.print(f"[yellow]![/] {escape(missing_text(lacking))}应一次性告知补正（第三十条）：")
        out.print(f"  gongkai desk event {app_id} correction_sent")
    _print_deadline(out, ledger, app_id)


@desk_app.command()
def event(
    app_id: Annotated[int, typer.Argument(help="申请编号（#）  Application id")],
    kind: Annotated[str, typer.Argument(help="事件类型，如 correction_sent、extension_approved、answered")],
    date: Annotated[str, typer.Option("--date", help="发生日期（默认今天）  Date")] = "",
    outcome: Annotated[str, typer.Option("--outcome", help="答复结果，如 granted、rejected.duplicate")] = "",
    approver: Annotated[str, typer.Option("--approver", help="批准人  Approver")] = "",
    days: Annotated[str, typer.Option("--days", help="延长工作日数  Extension days")] = "",
    party: Annotated[str, typer.Option("--party", help="征求意见对象  Consulted party")] = "",
    method: Annotated[str, typer.Option("--method", help="计费方式 按件|按量")] = "",
    amount: Annotated[str, typer.Option("--amount", help="金额（元）  Fee")] = "",
    case: Annotated[str, typer.Option("--case", help="案件编号  Case number")] = "",
    case_kind: Annotated[str, typer.Option("--case-kind", help="review | direct | after")] = "",
    result: Annotated[str, typer.Option("--result", help="upheld | corrected | other")] = "",
    note: Annotated[str, typer.Option("--note", help="备注  Note")] = "",
    what: Annotated[
        str, typer.Option("--what", help="需补正的事项（默认：申请缺少的第二十九条内容）  What to correct")
    ] = "",
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """记录办理事项（只追加，不修改）。Append an event to an application's timeline."""
    from .applicant import missing_text
    from .forms import event_from
    from .ledger import LedgerError

    _, ledger = _open(db)
    app, _ = _app_of(ledger, app_id)
    if kind == "correction_sent" and not what and app.missing():
        what = missing_text(app.missing())  # the notice names what Art. 29 finds missing
    data = {
        "what": what,
        "outcome": outcome,
        "approver": approver,
        "days": days,
        "party": party,
        "method": method,
    }
    data |= {"amount": amount, "case": case, "case_kind": case_kind, "result": result, "note": note}
    try:
        ev = event_from(kind, date or dt.date.today().isoformat(), _actor(by), data)
        ev = ledger.append(app_id, ev)
    except LedgerError as e:
        raise _fail(str(e)) from None
    out = _out()
    number = f"，文书编号 {ev.document_no}" if ev.document_no else ""
    out.print(f"已记录第{ev.seq}项：{ev.name}（{ev.date.isoformat()}）{number}")
    _print_deadline(out, ledger, app_id)


def _print_deadline(out: Console, ledger: Ledger, app_id: int) -> None:
    from .ledger import deadline, fold

    app, events = ledger.get(app_id)
    d = deadline(ledger.calendar(), app, fold(app, events))
    if d is not None:
        out.print(f"答复期限：{d.due.isoformat() if d.due else '无法计算'}")
        out.print(escape(d.summary))
    same = ledger.repeats(app_id) if d is not None else []
    if same:
        listed = "、".join(f"#{o.id} {o.number}（{o.received.isoformat()}）" for o in same)
        out.print(
            f"[yellow]疑似重复申请[/]：同一申请人已申请过相同内容：{escape(listed)}；"
            "可考虑按“（五）不予处理2.重复申请”答复（--outcome rejected.duplicate）"
        )


@desk_app.command()
def show(
    app_id: Annotated[int, typer.Argument(help="申请编号（#）  Application id")], db: DbOpt = DEFAULT_DB
) -> None:
    """显示申请、办理过程和答复期限的计算说明。Show an application, its timeline and deadline."""
    from .forms import describe, status_text
    from .ledger import APPLICANT_TYPES, CHANNELS, OUTCOMES, answered_late, deadline, fold

    _, ledger = _open(db)
    app, events = _app_of(ledger, app_id)
    cal = ledger.calendar()
    s = fold(app, events)
    out = _out()
    out.print(f"[bold]#{app.id} {escape(app.number)}[/] · {escape(app.agency)}")
    out.print(
        f"收到申请：{app.received.isoformat()}（{CHANNELS[app.channel][0]}，{CHANNELS[app.channel][1]}）  "
        f"申请人：{escape(app.applicant)}（{APPLICANT_TYPES.get(app.applicant_type, app.applicant_type)}）  "
        f"承办人：{escape(app.handler or '—')}"
    )
    out.print(f"申请内容：{escape(app.request)}")
    status = status_text(s) + (f"：{OUTCOMES[s.outcome]}" if s.outcome else "")
    if answered_late(cal, app, events):
        status += "（超期答复）"
    out.print(f"状态：{status}")
    out.print("[bold]办理过程[/]")
    for e in events:
        doc = f" {e.document_no}" if e.document_no else ""
        details = f"：{describe(e)}" if e.data else ""
        out.print(f"  {e.seq}. {e.date.isoformat()} {e.name}{escape(details)}{doc}（{escape(e.actor)}）")
    d = deadline(cal, app, s)
    if d is not None:
        out.print(f"[bold]答复期限：{d.due.isoformat() if d.due else '无法计算'}[/]")
        out.print(escape(d.summary))
        if d.skipped:
            days = "、".join(f"{x.month}月{x.day}日（{why}）" for x, why in d.skipped)
            out.print(f"[dim]计入{len(d.counted)}个工作日；未计入：{escape(days)}[/]")
        same = ledger.repeats(app_id)
        if same:
            listed = "、".join(f"#{o.id} {o.number}" for o in same)
            out.print(f"[yellow]疑似重复申请[/]：{escape(listed)}；可考虑按“（五）不予处理2.重复申请”答复")


@desk_app.command()
def due(
    agency: AgencyOpt = "",
    overdue: Annotated[bool, typer.Option("--overdue", help="只看已逾期  Overdue only")] = False,
    soon: Annotated[bool, typer.Option("--soon", help=f"只看{SOON_DAYS}个工作日内到期  Due soon")] = False,
    by_handler: Annotated[bool, typer.Option("--by-handler", help="按承办人分组  Group by handler")] = False,
    today: TodayOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """办理中申请的答复期限：即将到期、已逾期、按承办人。Open applications and their reply deadlines."""
    store, ledger = _open(db)
    ids = [_agency(store, agency)["id"]] if agency else None
    day = _date(today, "--today") if today else dt.date.today()
    items = ledger.open_deadlines(ids, day)
    if soon:
        items = [x for x in items if x.days_left is not None and 0 <= x.days_left <= SOON_DAYS]
    if overdue:
        items = [x for x in items if x.days_left is not None and x.days_left < 0]
    out = _out()
    groups: dict[str, list[Due]] = {}
    for x in items:
        groups.setdefault((x.app.handler or "（未指定）") if by_handler else "", []).append(x)
    for handler, xs in sorted(groups.items()):
        if handler:
            out.print(f"[bold]{escape(handler)}[/]（{len(xs)}件）")
        for x in xs:
            when = x.due.isoformat() if x.due else "无法计算"
            if x.days_left is not None:
                when += f"（{'逾期' if x.days_left < 0 else '剩余'}{abs(x.days_left)}个工作日）"
            style = "bold red" if x.days_left is not None and x.days_left < 0 else "bold"
            out.print(
                f"#{x.app.id} {escape(x.app.agency)} {escape(x.app.number)} 收到{x.app.received.isoformat()} "
                f"承办人{escape(x.app.handler or '—')} → [{style}]答复期限 {when}[/]"
            )
            out.print(f"  [dim]{escape(x.summary)}[/]")
    out.print(f"共{len(items)}件（{day.isoformat()}）")


# ---- letters, report, Excel, calendar ----------------------------------------------------------


@desk_app.command()
def letter(
    app_id: Annotated[int, typer.Argument(help="申请编号（#）  Application id")],
    seq: Annotated[int, typer.Argument(help="事件序号  Event number in the timeline")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出 .docx  Output file")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """生成某一事件的文书（DOCX）。Write the letter sent with an event."""
    from .letters import LetterError, render_letter

    _, ledger = _open(db)
    app, events = _app_of(ledger, app_id)
    try:
        data = render_letter(app, events, seq, ledger.agency(ledger.agency_of(app_id)), cal=ledger.calendar())
    except LetterError as e:
        raise _fail(str(e)) from None
    output.write_bytes(data)
    _out().print(f"已生成 {escape(str(output))}")


@desk_app.command()
def report(
    agency: Annotated[str, typer.Argument(help="机关名称或 #编号  Agency")],
    year: Annotated[int, typer.Argument(help="年度  Year")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="输出文件 .docx/.pdf/.html/.md  Output")
    ] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """由台账生成年度报告并检查（有错误时退出码为 1）。Generate and check the annual report."""
    from ..writer import render
    from .checks import checked_report

    store, ledger = _open(db)
    row = _agency(store, agency)
    rep = checked_report(ledger, row["id"], year)
    out = _out()
    if output is not None:
        fmt = output.suffix.lstrip(".").lower()
        if fmt not in ("docx", "pdf", "html", "md"):
            raise _fail("输出文件后缀须为 .docx .pdf .html .md")
        output.write_bytes(render(rep, fmt))
        out.print(f"已生成 {escape(str(output))}")
    v = rep.values()
    out.print(
        f"{escape(rep.title or '')}：本年新收 {v['t3.new.total']} 件，上年结转 {v['t3.carried.total']} 件，"
        f"办结 {v['t3.handled.total']} 件，结转下年度 {v['t3.forward.total']} 件"
    )
    styles = {"error": "bold red", "warning": "yellow", "info": "dim"}
    names = {"error": "错误", "warning": "警告", "info": "提示"}
    for f in rep.findings:
        out.print(f"[{styles[f.severity]}]{names[f.severity]}[/] {f.rule}：{escape(f.message)}")
    errors = sum(1 for f in rep.findings if f.severity == "error")
    out.print(
        "未发现问题。" if not rep.findings else f"共{len(rep.findings)}条检查结果，其中错误{errors}条。"
    )
    raise typer.Exit(1 if errors else 0)


@desk_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="台账 .xlsx  Ledger workbook")],
    agency: AgencyOpt,
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="列对应：本系统字段=贵单位表头（可多次）  field=header")
    ] = None,
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """导入台账：有任何一行出错则一行也不导入，并列出行号和问题。Import a ledger workbook, all or nothing."""
    from .excel import ExcelImportError, import_ledger

    store, ledger = _open(db)
    row = _agency(store, agency)
    pairs = {}
    for m in mapping or []:
        ours, sep, theirs = m.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise _fail(f"--map “{m}”应写成“本系统字段=贵单位表头”")
        pairs[ours.strip()] = theirs.strip()
    try:
        n = import_ledger(ledger, file.read_bytes(), row["id"], _actor(by), pairs or None)
    except ExcelImportError as e:
        out = _out()
        for err in e.errors:
            out.print(f"[bold red]✗[/] {escape(str(err))}")
        out.print(f"共{len(e.errors)}处问题，未导入任何内容。")
        raise typer.Exit(2) from None
    except OSError as e:
        raise _fail(f"无法读取{file}：{e.strerror}") from None
    _out().print(f"已导入 {n} 件申请到 {escape(row['name'])}")


@desk_app.command()
def export(
    agency: AgencyOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="输出 .xlsx  Output file")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """导出台账为 Excel。Export an agency's ledger as XLSX."""
    from .excel import export_ledger

    store, ledger = _open(db)
    row = _agency(store, agency)
    items = ledger.applications([row["id"]])
    output.write_bytes(export_ledger(items, cal=ledger.calendar()))
    _out().print(f"已导出 {len(items)} 件申请到 {escape(str(output))}")


@calendar_app.command("set")
def calendar_set(
    year: Annotated[int, typer.Argument(help="年度  Year")],
    holiday: Annotated[
        list[str] | None, typer.Option("--holiday", help="放假日期或范围 2027-02-05~2027-02-11（可多次）")
    ] = None,
    workday: Annotated[list[str] | None, typer.Option("--workday", help="调休上班日期（可多次）")] = None,
    note: Annotated[str, typer.Option("--note", help="依据，如国办发明电  Source")] = "",
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """录入（替换）某年的节假日安排，并列出期限随之变化的申请。Enter a year's holidays and make-up days."""
    from .ledger import LedgerError

    days: dict[dt.date, bool] = {}
    for texts, work in ((holiday or [], False), (workday or [], True)):
        for text in texts:
            first, _, last = text.replace("..", "~").partition("~")
            a = _date(first, "日期")
            b = _date(last, "日期") if last else a
            while a <= b:
                days[a] = work
                a += dt.timedelta(days=1)
    _, ledger = _open(db)
    try:
        moved = ledger.set_calendar_year(year, days, _actor(by), note)
    except LedgerError as e:
        raise _fail(str(e)) from None
    out = _out()
    off, on = sum(1 for w in days.values() if not w), sum(1 for w in days.values() if w)
    out.print(f"已录入{year}年：放假{off}天，调休上班{on}天")
    for app, before, after in moved:
        was = before.isoformat() if before else "无法计算"
        now = after.isoformat() if after else "无法计算"
        out.print(f"  #{app.id} {escape(app.agency)} {escape(app.number)}：{was} → {now}")
    out.print(f"期限变化的办理中申请：{len(moved)}件")


@calendar_app.command("show")
def calendar_show(db: DbOpt = DEFAULT_DB) -> None:
    """列出补充日历中已录入的日期。List the override table."""
    _, ledger = _open(db)
    cal = ledger.calendar()
    out = _out()
    for day, work in sorted(cal.overrides.items()):
        out.print(f"{day.isoformat()} {'调休上班' if work else '放假'}")
    out.print(f"共{len(cal.overrides)}天")


# ---- retention, the portal, the demo -----------------------------------------------------------


@desk_app.command()
def purge(
    years: Annotated[int, typer.Option("--years", help="保存年限  Keep personal data this many years")],
    today: TodayOpt = "",
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """清除办结满 N 年的申请中的个人信息（年度报告不变）。Purge personal data of applications closed N years ago."""
    from .ledger import LedgerError

    _, ledger = _open(db)
    try:
        done = ledger.purge(years, _actor(by), today=_date(today, "今天") if today else None)
    except LedgerError as e:
        raise _fail(str(e)) from None
    _out().print(f"已清除 {len(done)} 件申请的个人信息（保留年度报告所需的类型、日期和办理过程）")


@desk_app.command()
def portal(
    agency: AgencyOpt,
    close: Annotated[bool, typer.Option("--close", help="停止在线申请  Stop online applications")] = False,
    by: ByOpt = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """开通（或关闭）机关的在线申请（/apply）。Open an agency to online applications."""
    store, ledger = _open(db)
    row = _agency(store, agency)
    ledger.set_portal(row["id"], not close, _actor(by))
    _out().print(f"{escape(row['name'])}：{'已关闭' if close else '已开通'}在线申请 /apply/{row['id']}")


DEMO_AGENCY = "深圳市南山区教育局"
DEMO_USER = "demo-staff"


@desk_app.command()
def demo(db: DbOpt = DEFAULT_DB) -> None:
    """演示：一个机关、一年的申请、在线申请入口和一个工作人员账户（可重复运行）。A demo agency with a year
    of applications, open online, and a staff login (idempotent; the password is new on every run)."""
    import secrets

    from argon2 import PasswordHasher
    from sqlalchemy import update

    from ..store.models import User
    from .ledger import Application, Event
    from .synthetic import generate, with_details

    store, ledger = _open(db)
    row = store.agencies.add(DEMO_AGENCY)
    today = dt.date.today()
    out = _out()
    if not ledger.applications([row["id"]]):
        cal = ledger.calendar()
        # Last year in full (its timelines end within the published holiday schedules) …
        items = generate(DEMO_AGENCY, range(today.year - 1, today.year), 150, seed=2026, cal=cal)
        # … and this year's latest arrivals, still open (their deadlines as the calendar allows).
        days, d = [], today
        while len(days) < 12 and d.year == today.year:
            if cal.is_workday(d):
                days.append(d)
            d -= dt.timedelta(days=1)
        for k, received in enumerate(sorted(days), 1):
            app = Application(
                agency=DEMO_AGENCY,
                number=f"{today.year}-{k:04d}",
                channel=("online", "in_person", "mail_signed")[k % 3],
                received=received,
                applicant_type="np" if k % 4 else "biz",
                applicant=f"申请人{200 + k:03d}",
                request=f"申请公开{today.year}年度学校建设项目资金安排（第{k}批）",
                handler=("王敏", "李强", "张静")[k % 3],
            )
            items.append((app, [Event("registered", received, app.handler)]))
        with_details(items)
        ledger.import_applications(items, "demo", row["id"])
        out.print(f"已生成 {len(items)} 件申请")
    ledger.set_portal(row["id"], True, "demo")
    password = secrets.token_urlsafe(9)
    try:
        store.users.by_name(DEMO_USER)
        with store.engine.begin() as conn:
            conn.execute(
                update(User.__table__)
                .where(User.__table__.c.username == DEMO_USER)
                .values(
                    password_hash=PasswordHasher().hash(password),
                    role="staff",
                    agency_id=row["id"],
                    disabled=False,
                )
            )
    except Exception:  # no such account yet
        store.users.add(DEMO_USER, password, "staff", row["id"])
    store.audit.record("demo", "desk.demo", f"agency {row['id']}", None, {"user": DEMO_USER})
    out.print(
        f"演示机关 demo agency: {escape(row['name'])} (#{row['id']})，台账 /desk/{row['id']}，在线申请 /apply/{row['id']}"
    )
    out.print(f"工作人员登录 staff login — user: {DEMO_USER}  password: {password}")
