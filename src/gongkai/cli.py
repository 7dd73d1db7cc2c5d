"""Command line: ``gongkai parse`` and ``gongkai check`` (Chinese by default, ``--lang en`` for English)."""

from __future__ import annotations

import csv
import json
import os
import secrets
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import api
from .formats import FORMATS, format_for_year
from .report import Report
from .rules import RULES

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="gongkai 公开：读取并检查政府信息公开工作年度报告。Read and check open-government annual reports.",
)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class OutFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


_T = {
    "zh": {
        "file": "文件",
        "year": "年度",
        "format": "格式",
        "region": "区划",
        "ok": "未发现错误",
        "errors": "错误",
        "warnings": "警告",
        "infos": "提示",
        "unread": "无法读取",
        "summary": "共 {n} 个文件：{ok} 份报告无错误，{bad} 份有错误，{failed} 个文件无法读取。",
        "unknown": "未识别",
        "mixed": "新旧格式混用",
        "error": "错误",
        "warning": "警告",
        "info": "提示",
        "row": "行",
        "value": "数值",
        "raw": "原文",
        "source": "来源",
    },
    "en": {
        "file": "file",
        "year": "year",
        "format": "format",
        "region": "region",
        "ok": "no errors",
        "errors": "errors",
        "warnings": "warnings",
        "infos": "notes",
        "unread": "unreadable",
        "summary": "{n} files: {ok} reports without errors, {bad} with errors, {failed} unreadable.",
        "unknown": "unknown",
        "mixed": "mixed formats",
        "error": "error",
        "warning": "warning",
        "info": "note",
        "row": "row",
        "value": "value",
        "raw": "raw",
        "source": "source",
    },
}
_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}

LangOpt = Annotated[Lang, typer.Option("--lang", help="输出语言 zh/en  Output language")]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _format_name(report: Report, lang: str) -> str:
    t = _T[lang]
    if report.template == "mixed":
        return t["mixed"]
    fmt = FORMATS.get(report.template or "")
    if fmt is None:
        return t["unknown"]
    return fmt.name if lang == "zh" else f"{fmt.id} format"


def _headline(report: Report, lang: str) -> str:
    t = _T[lang]
    a = report.agency
    region = a.region
    place = ""
    if region and region.code:
        names = "".join(dict.fromkeys(x for x in (region.province, region.city, region.county) if x))
        place = f" · {region.code} {names}"
    year = f"{report.year}年" if lang == "zh" and report.year else str(report.year or t["unknown"])
    return f"{escape(a.name or t['unknown'])} · {year} · {_format_name(report, lang)}{place}"


@app.command()
def check(
    paths: Annotated[
        list[Path], typer.Argument(help="报告文件或文件夹（递归）  Files or folders (recursive)")
    ],
    lang: LangOpt = Lang.zh,
    fmt: Annotated[OutFormat, typer.Option("--format", help="text | json | csv")] = OutFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只显示错误  Errors only")] = False,
) -> None:
    """检查报告：发布机关、年度、格式及每一处问题。Check reports: publisher, year, format, every finding.

    退出状态 Exit status: 0 无错误 no errors; 1 有错误级问题 error-level findings; 2 有文件无法读取 unreadable files.
    """
    results = list(api.check_paths(paths))
    if fmt is OutFormat.json:
        payload = [
            r.report.as_dict() if r.report else {"source": str(r.path), "error": r.error.line(lang.value)}
            for r in results
            if r.report or r.error
        ]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif fmt is OutFormat.csv:
        _write_csv(results, lang.value)
    else:
        _print_check(results, lang.value, quiet)
    failed = any(r.error for r in results)
    bad = any(r.report and r.report.errors() for r in results)
    raise typer.Exit(2 if failed else 1 if bad else 0)


def _write_csv(results: list[api.Result], lang: str) -> None:
    w = csv.writer(sys.stdout)
    w.writerow(
        ["file", "agency", "region", "year", "template", "rule", "severity", "status", "cells", "message"]
    )
    for r in results:
        if r.error:
            w.writerow([str(r.path), "", "", "", "", "read", "error", "fail", "", r.error.line(lang)])
            continue
        rep = r.report
        assert rep is not None
        code = rep.agency.region.code if rep.agency.region else ""
        for f in rep.findings:
            w.writerow(
                [
                    rep.source,
                    rep.agency.name or "",
                    code,
                    rep.year or "",
                    rep.template or "",
                    f.rule,
                    f.severity,
                    f.status,
                    " ".join(f.cells),
                    f.text(lang),
                ]
            )


def _print_check(results: list[api.Result], lang: str, quiet: bool) -> None:
    t = _T[lang]
    out = _console()
    ok = bad = failed = 0
    for r in results:
        if r.error:
            failed += 1
            out.print(f"[bold red]✗[/] {escape(r.error.line(lang))}")
            continue
        rep = r.report
        assert rep is not None
        counts = {s: sum(1 for f in rep.findings if f.severity == s) for s in ("error", "warning", "info")}
        bad += counts["error"] > 0
        ok += counts["error"] == 0
        mark = "[bold red]✗[/]" if counts["error"] else "[green]✓[/]"
        out.print(f"{mark} [bold]{_headline(rep, lang)}[/]")
        out.print(f"   [dim]{t['file']}: {escape(rep.source)}[/]")
        sep = "，" if lang == "zh" else ", "
        tally = sep.join(f"{t[k + 's']} {v}" for k, v in counts.items() if v) or t["ok"]
        out.print(f"   {tally}")
        for f in rep.findings:
            if quiet and f.severity != "error":
                continue
            where = _where(rep, f.cells, lang) if f.cells else (f.where.describe(lang) if f.where else "")
            out.print(
                f"   [{_STYLE[f.severity]}]{t[f.severity]}[/] [cyan]{f.rule}[/] {escape(f.text(lang))}"
                + (f" [dim]({escape(where)})[/]" if where else "")
            )
        out.print()
    out.print(t["summary"].format(n=len(results), ok=ok, bad=bad, failed=failed))


def _where(report: Report, cells: list[str], lang: str) -> str:
    for cid in cells:
        c = report.cells.get(cid)
        if c is not None and c.prov is not None:
            return c.prov.describe(lang)
    return ""


@app.command()
def parse(
    files: Annotated[list[Path], typer.Argument(help="报告文件  Report files")],
    as_json: Annotated[
        bool, typer.Option("--json", help="输出 JSON（cells.md 格式）  Print the parse-output JSON")
    ] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """解析报告并输出三张统计表。Parse reports and print their tables (or the JSON with --json)."""
    out = _console()
    payload = []
    failed = False
    for f in api.iter_files(files):
        try:
            rep = api.parse(f)
        except api.GongkaiError as e:
            failed = True
            if as_json:
                payload.append({"source": str(f), "error": e.line(lang.value)})
            else:
                out.print(f"[bold red]✗[/] {escape(e.line(lang.value))}")
            continue
        if as_json:
            payload.append(rep.as_dict())
        else:
            _print_tables(out, rep, lang.value)
    if as_json:
        doc = payload[0] if len(payload) == 1 else payload
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    raise typer.Exit(2 if failed else 0)


def _print_tables(out: Console, rep: Report, lang: str) -> None:
    t = _T[lang]
    fmt = FORMATS.get(rep.template or "") or format_for_year(rep.year or 2021)
    out.print(f"[bold]{_headline(rep, lang)}[/]  [dim]{escape(rep.source)}[/]")
    table = Table(show_lines=False, header_style="bold")
    for col in ("cell", t["value"], t["raw"], t["source"]):
        table.add_column(col)
    for cid, cell in rep.cells.items():
        label = fmt.cell_label(cid) if lang == "zh" else cid
        value = "" if cell.value is None else str(cell.value)
        table.add_row(
            escape(label), value, escape(cell.raw or ""), cell.prov.describe(lang) if cell.prov else ""
        )
    out.print(table)


DbOpt = Annotated[
    str, typer.Option("--db", help="数据库 URL（默认 SQLite gongkai.db）  Database URL", envvar="GONGKAI_DB")
]


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="报告文件或文件夹（递归）  Files or folders (recursive)")
    ],
    db: DbOpt = "sqlite:///gongkai.db",
    workers: Annotated[int, typer.Option("--workers", "-j", help="并行进程数  Parallel workers")] = 0,
    cluster: Annotated[
        str,
        typer.Option("--cluster", help="ray://HOST:PORT 或 auto：在 Ray 集群上解析  Parse on a Ray cluster"),
    ] = "",
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="重试以前失败的文件  Retry failures")
    ] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """导入报告到数据库：并行、幂等、可中断后重跑。Ingest reports into the database (idempotent, resumable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .ingest import ingest as run
    from .store import Store

    out = _console()
    store = Store.open(db)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f}/s"),
        TimeRemainingColumn(),
        console=out,
        transient=False,
    ) as bar:
        task = bar.add_task("导入" if lang is Lang.zh else "ingest", total=None, rate=0.0)

        def progress(event: str, stats) -> None:
            if event == "start":
                bar.update(task, total=stats.files)
            else:
                done = stats.done
                bar.update(task, completed=done, rate=done / max(1e-9, bar.tasks[0].elapsed or 1e-9))

        try:
            stats = run(
                [str(p) for p in paths],
                store,
                workers=workers or None,
                cluster=cluster or None,
                retry_failed=retry_failed,
                progress=progress,
            )
        except api.GongkaiError as e:  # e.g. Ray not installed, cluster unreachable
            out.print(f"[bold red]✗[/] {escape(e.line(lang.value))}")
            raise typer.Exit(1) from None
    for _path, line in stats.failures:
        out.print(f"[bold red]✗[/] {escape(line)}")
    if lang is Lang.zh:
        out.print(
            f"共 {stats.files} 个文件：新导入 {stats.ingested} 份，跳过已导入 {stats.skipped} 个，"
            f"失败 {stats.failed} 个（gongkai failures 查看，--retry-failed 重试）；用时 {stats.seconds:.1f} 秒。"
        )
    else:
        out.print(
            f"{stats.files} files: {stats.ingested} ingested, {stats.skipped} already in, {stats.failed} failed "
            f"(see gongkai failures; --retry-failed); {stats.seconds:.1f} s."
        )
    raise typer.Exit(2 if stats.failed else 0)


@app.command()
def failures(db: DbOpt = "sqlite:///gongkai.db", lang: LangOpt = Lang.zh) -> None:
    """列出导入失败的文件及原因。List the files that failed to ingest, with the reason."""
    from .store import Store

    rows = Store.open(db).failures()
    out = _console()
    for f in rows:
        reason = f["error_en"] if lang is Lang.en else f["error"]
        out.print(f"[bold red]✗[/] {escape(f['path'])}: {escape(reason)}  [dim]({f['attempts']}×)[/]")
    out.print(f"共 {len(rows)} 个失败文件。" if lang is Lang.zh else f"{len(rows)} failed files.")


@app.command()
def export(
    paths: Annotated[list[Path], typer.Argument(help="报告文件或文件夹  Files or folders")],
    output: Annotated[Path, typer.Option("--output", "-o", help="输出文件（后缀决定格式）  Output file")],
    shape: Annotated[str, typer.Option("--shape", help="wide | tidy | findings")] = "wide",
    lang: LangOpt = Lang.zh,
) -> None:
    """导出为 Excel/CSV/Parquet/JSON。Export reports to xlsx, csv, parquet or json (by the output suffix)."""
    from .export import export as run

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv", "parquet", "json"):
        raise typer.BadParameter(
            "输出文件后缀须为 .xlsx .csv .parquet .json  (suffix must be xlsx/csv/parquet/json)"
        )
    results = list(api.check_paths(paths))
    out = _console()
    for r in results:
        if r.error:
            out.print(f"[bold red]✗[/] {escape(r.error.line(lang.value))}")
    reports = [r.report for r in results if r.report]
    output.write_bytes(run(reports, fmt, shape, lang.value))
    out.print(
        f"已导出 {len(reports)} 份报告到 {output}"
        if lang is Lang.zh
        else f"{len(reports)} reports → {output}"
    )


@app.command("demo-corpus")
def demo_corpus(
    out: Annotated[Path, typer.Argument(help="输出文件夹  Output folder")],
    agencies: Annotated[int, typer.Option("--agencies", help="机关数  Number of agencies")] = 24,
    first: Annotated[int, typer.Option("--from", help="起始年度  First year")] = 2019,
    last: Annotated[int, typer.Option("--to", help="结束年度  Last year")] = 2025,
    seed: Annotated[int, typer.Option("--seed")] = 2026,
    reports: Annotated[
        int, typer.Option("--reports", help="报告份数（全国机关层级）  Number of reports, national hierarchy")
    ] = 0,
    formats: Annotated[
        str, typer.Option("--formats", help="mix 或 md,txt,html,docx,pdf,scan  Formats (with --reports)")
    ] = "mix",
    workers: Annotated[int, typer.Option("--workers", "-j", help="并行进程数  Parallel workers")] = 0,
) -> None:
    """生成演示用的合成报告（各种格式，部分含错误）。Write a synthetic corpus (every format, some with errors)."""
    if not reports:
        from .demo import generate

        files = generate(out, agencies=agencies, years=range(first, last + 1), seed=seed)
        _console().print(f"已生成 {len(files)} 份报告到 {out}")
        return
    import os

    from .corpus import generate_corpus, parse_formats

    try:
        mix = parse_formats(formats)
    except ValueError as e:
        _console().print(f"[bold red]✗[/] {escape(str(e))}")
        raise typer.Exit(2) from None
    with _console().status("生成中…") as status:
        s = generate_corpus(
            out,
            reports,
            formats=mix,
            seed=seed,
            years=range(first, last + 1),
            workers=workers or os.cpu_count() or 1,
            progress=lambda t: status.update(f"已生成 {t.files}/{reports} 份"),
        )
    fmts = "，".join(f"{k} {v}" for k, v in sorted(s.by_format.items()))
    _console().print(
        f"已生成 {s.files} 份报告（{s.agencies} 个机关，{s.errors} 份含错误；{fmts}）到 {out}，"
        f"共 {s.bytes / 1e6:.1f} MB，用时 {s.seconds:.1f} 秒"
    )


@app.command("user-add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名  User name")],
    role: Annotated[
        str, typer.Option("--role", help="admin | editor | viewer | staff | supervisor")
    ] = "editor",
    agency: Annotated[
        str, typer.Option("--agency", help="所属机关（名称或 #编号；staff/supervisor 必填）  Agency")
    ] = "",
    db: DbOpt = "sqlite:///gongkai.db",
    password: Annotated[
        str,
        typer.Option(
            prompt="密码 Password", hide_input=True, confirmation_prompt=True, envvar="GONGKAI_PASSWORD"
        ),
    ] = "",
) -> None:
    """添加本地账户（上传、编辑需要登录）。Add a local account (uploading and editing need a login)."""
    from .desk.access import AGENCY_ROLES, ROLES
    from .store import Store
    from .store.directory import AgencyLookupError, find_agency

    store = Store.open(db)
    if role not in ROLES:
        raise typer.BadParameter(f"角色须为 {' | '.join(ROLES)}")
    if role in AGENCY_ROLES and not agency:
        raise typer.BadParameter(f"角色 {role} 须用 --agency 指定所属机关")
    try:
        row = find_agency(store, agency) if agency else None
    except AgencyLookupError as e:
        raise typer.BadParameter(str(e)) from e
    store.add_user(username, password, role, row["id"] if row else None)
    where = f"，{escape(row['name'])}" if row else ""
    _console().print(f"已添加用户 {escape(username)}（{role}{where}）")


@app.command()
def serve(
    db: DbOpt = "sqlite:///gongkai.db",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", "-w", help="网页进程数  Web worker processes")] = 1,
) -> None:
    """启动网页与 API。Serve the web app and the REST API."""
    import uvicorn

    from .store import Store
    from .web import create_app

    _console().print(f"gongkai: http://{host}:{port}/  (API: http://{host}:{port}/api/docs)")
    if workers > 1:  # each worker builds its own app from GONGKAI_DB; migrate once, before they start
        Store.open(db).close()
        os.environ["GONGKAI_DB"] = db
        os.environ.setdefault("GONGKAI_SECRET", secrets.token_hex(32))  # one session key for all workers
        uvicorn.run(
            "gongkai.web:create_app", factory=True, host=host, port=port, workers=workers, log_level="warning"
        )
    else:
        uvicorn.run(create_app(db), host=host, port=port, log_level="warning")


@app.command()
def rules(lang: LangOpt = Lang.zh) -> None:
    """列出全部规则。List the rule catalogue."""
    table = Table(header_style="bold")
    for col in ("rule", "severity", "title", "basis"):
        table.add_column(col)
    for r in RULES:
        table.add_row(r.id, r.severity, r.title if lang is Lang.zh else r.title_en, escape(r.basis))
    _console().print(table)


from .desk.cli import desk_app  # noqa: E402  (gongkai desk …: the agency desk; imports lazily inside)

app.add_typer(desk_app, name="desk")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
