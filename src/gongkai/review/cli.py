"""The review's commands: the annual 通报 of a region, the 整改通知 of one report, the list of expected
publishers, and the demo accounts `make run` prints. Registered on the main ``gongkai`` app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

DbOpt = Annotated[str, typer.Option("--db", envvar="GONGKAI_DB", help="数据库 URL  Database URL")]
DEFAULT_DB = "sqlite:///gongkai.db"
DEMO_REVIEWER = ("demo-reviewer", "demo-审核-2026")


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]✗[/] {escape(message)}")
    return typer.Exit(2)


def circular(
    year: Annotated[int, typer.Option("--year", help="报告年度  Report year")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件 .docx 或 .pdf  Output file")],
    region: Annotated[str, typer.Option("--region", help="行政区划代码（空为全部）  Region code")] = "",
    issuer: Annotated[str, typer.Option("--issuer", help="发文机关  Issuing office")] = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """生成某地区某年度的年报检查情况通报。Write the annual review circular of a region (DOCX or PDF).

    Example: gongkai circular --region 210000 --year 2024 -o 通报.docx
    """
    from ..errors import GongkaiError
    from ..store import Store
    from .circular import build_circular
    from .documents import write

    if output.suffix.lower() not in (".docx", ".pdf"):
        raise _fail(f"{output}: 输出文件须为 .docx 或 .pdf")
    with Store.open(db) as store:
        try:
            c = build_circular(store, region, year, issuer)
        except GongkaiError as e:
            raise _fail(e.line()) from None
    write(c, output)
    Console().print(
        f"已写出 {output}：应发布 {c.expected}，已发布 {c.published}，逾期 {len(c.late)}，未发布 {len(c.missing)}，"
        f"确认问题 {c.confirmed} 处（{c.reports_with_errors} 份报告有确认的错误）"
    )


def notice(
    report: Annotated[
        int, typer.Option("--report", help="报告版本编号（网页地址中的数字）  Report version id")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件 .docx 或 .pdf  Output file")],
    issuer: Annotated[str, typer.Option("--issuer", help="发文机关  Issuing office")] = "",
    db: DbOpt = DEFAULT_DB,
) -> None:
    """生成一份报告的整改通知（列出已确认的问题）。Write the rectification notice of one report.

    Example: gongkai notice --report 42 -o 整改通知.docx
    """
    from ..errors import GongkaiError
    from ..store import Store
    from .circular import build_notice
    from .documents import write

    if output.suffix.lower() not in (".docx", ".pdf"):
        raise _fail(f"{output}: 输出文件须为 .docx 或 .pdf")
    with Store.open(db) as store:
        try:
            n = build_notice(store, report, issuer)
        except GongkaiError as e:
            raise _fail(e.line()) from None
    write(n, output)
    Console().print(f"已写出 {output}：{escape(n.agency.name)} {n.year}年度，{len(n.items)} 个已确认的问题")


def expected_import(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX：机关[,区划代码][,类型]  CSV or XLSX list")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """导入应发布年报的机关名单（有一行出错则整个文件不导入）。Import the expected publishers.

    Example: gongkai expected-import 应发布机关.xlsx
    """
    from ..errors import GongkaiError
    from ..store import Store
    from .coverage import read_expected

    try:
        rows = read_expected(file.read_bytes(), str(file))
    except OSError as e:
        raise _fail(f"{file}: {e.strerror}") from None
    except GongkaiError as e:
        raise _fail(e.line()) from None
    with Store.open(db) as store:
        n = store.reviews.add_expected(rows, "cli")
    Console().print(f"已导入 {n} 个机关（名单共 {len(rows)} 行）")


def demo_accounts(db: DbOpt = DEFAULT_DB, seed: Annotated[int, typer.Option("--seed")] = 2026) -> None:
    """创建演示审核员账户（审核范围为演示语料所在省），并打印登录信息。Create the demo reviewer and print its login."""
    from .. import regions
    from ..demo import demo_province
    from ..store import Store

    code = demo_province(seed)
    user, password = DEMO_REVIEWER
    with Store.open(db) as store:
        if not any(u["username"] == user for u in store.users.list()):
            store.users.add(user, password, "reviewer", region_code=code)
            store.audit.record("cli", "user.add", user, None, {"role": "reviewer", "region": code})
    place = regions.get(code)
    Console().print(
        f"演示审核员（审核范围 {code} {place.name if place else ''}）：用户名 {user}  密码 {password}"
        f"  → http://127.0.0.1:8000/login"
    )


def register(app: typer.Typer) -> None:
    app.command("circular")(circular)
    app.command("notice")(notice)
    app.command("expected-import")(expected_import)
    app.command("demo-accounts")(demo_accounts)
