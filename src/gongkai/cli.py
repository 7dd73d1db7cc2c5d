"""Command line: ``gongkai parse`` and ``gongkai check`` (Chinese by default, ``--lang en`` for English)."""

from __future__ import annotations

import csv
import json
import logging
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
from .readers.limits import DEFAULT_MEMORY_MB, DEFAULT_OCR_PAGES, DEFAULT_SECONDS, ReadLimits
from .report import Report, json_default
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
# Per-file budget (readers.limits.ReadLimits); 0 switches a limit off.
MaxSecondsOpt = Annotated[
    float,
    typer.Option("--max-seconds", help="每个文件的处理时限（秒，0 不限）  Seconds per file (0: no limit)"),
]
MaxOcrOpt = Annotated[
    int,
    typer.Option("--max-ocr-pages", help="每个文件最多 OCR 页数（0 不限）  OCR pages per file (0: no limit)"),
]
MaxMemoryOpt = Annotated[
    int,
    typer.Option(
        "--max-memory",
        help="每个解析进程的内存上限（MB，0 不限）  Memory per worker process, MB (0: no limit)",
    ),
]


def _limits(seconds: float, ocr_pages: int, memory_mb: int) -> ReadLimits:
    return ReadLimits(seconds or None, ocr_pages or None, memory_mb or None)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _failed(out: Console, e: api.GongkaiError, lang: Lang) -> None:
    """The one clear line of a GongkaiError, marked as a failure."""
    out.print(f"[bold red]✗[/] {escape(e.line(lang.value))}")


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
    max_seconds: MaxSecondsOpt = DEFAULT_SECONDS,
    max_ocr_pages: MaxOcrOpt = DEFAULT_OCR_PAGES,
) -> None:
    """检查报告：发布机关、年度、格式及每一处问题。Check reports: publisher, year, format, every finding.

    退出状态 Exit status: 0 无错误 no errors; 1 有错误级问题 error-level findings; 2 有文件无法读取 unreadable files.
    """
    results = list(api.check_paths(paths, _limits(max_seconds, max_ocr_pages, 0)))
    if fmt is OutFormat.json:
        payload = [
            r.report.as_dict() if r.report else {"source": str(r.path), "error": r.error.line(lang.value)}
            for r in results
            if r.report or r.error
        ]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=json_default) + "\n")
    elif fmt is OutFormat.csv:
        _write_csv(results, lang.value)
    else:
        _print_check(results, lang.value, quiet)
    failed = any(r.error for r in results)
    bad = any(r.report and r.report.errors() for r in results)
    raise typer.Exit(2 if failed else 1 if bad else 0)


def _write_csv(results: list[api.Result], lang: str) -> None:
    from .spreadsheet import csv_row

    w = _SafeCSV(csv.writer(sys.stdout), csv_row)
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


class _SafeCSV:
    """A csv writer whose rows pass through ``spreadsheet.csv_row`` (no formula injection)."""

    def __init__(self, w, clean) -> None:
        self.w, self.clean = w, clean

    def writerow(self, row) -> None:
        self.w.writerow(self.clean(row))


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
                _failed(out, e, lang)
            continue
        if as_json:
            payload.append(rep.as_dict())
        else:
            _print_tables(out, rep, lang.value)
    if as_json:
        doc = payload[0] if len(payload) == 1 else payload
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=json_default) + "\n")
    raise typer.Exit(2 if failed else 0)


def _print_tables(out: Console, rep: Report, lang: str) -> None:
    t = _T[lang]
    fmt = FORMATS.get(rep.template or "") or format_for_year(rep.year or 2021)
    out.print(f"[bold]{_headline(rep, lang)}[/]  [dim]{escape(rep.source)}[/]")
    table = Table(show_lines=False, header_style="bold")
    for col in ("cell", t["value"], t["raw"], t["source"]):
        table.add_column(col)
    for cid, cell in rep.cells.items():
        label = fmt.cell_label(cid, lang)
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
    max_seconds: MaxSecondsOpt = DEFAULT_SECONDS,
    max_ocr_pages: MaxOcrOpt = DEFAULT_OCR_PAGES,
    max_memory: MaxMemoryOpt = DEFAULT_MEMORY_MB,
) -> None:
    """导入报告到数据库：并行、幂等、可中断后重跑。Ingest reports into the database (idempotent, resumable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .ingest import ingest as run

    out = _console()
    # a dropped connection is retried and, if it stays lost, told in one line: not the driver's warnings
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    store = _open_store(db, out, lang)
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
                limits=_limits(max_seconds, max_ocr_pages, max_memory),
            )
        except api.GongkaiError as e:  # Ray missing, cluster unreachable; database lost, disk full
            _failed(out, e, lang)
            saved = getattr(e, "stats", None)
            if saved is not None:  # what was saved before it stopped
                _ingest_summary(out, saved, lang)
            raise typer.Exit(1) from None
    _ingest_summary(out, stats, lang)
    raise typer.Exit(2 if stats.failed else 0)


def _open_store(db: str, out: Console, lang: Lang):
    """The store, or one clear line (database unreachable, disk full) and exit status 1."""
    from .store import Store
    from .store.faults import unavailable

    try:
        return Store.open(db)
    except Exception as e:
        err = unavailable(e)
        if err is None:
            raise
        out.print(f"[bold red]✗[/] {escape(err.line(lang.value))}")
        raise typer.Exit(1) from None


def _ingest_summary(out: Console, stats, lang: Lang) -> None:
    for _path, line in stats.failures:
        out.print(f"[bold red]✗[/] {escape(line)}")
    if stats.restored:
        out.print(
            f"补回了 {stats.restored} 份已导入报告缺失的原件。"
            if lang is Lang.zh
            else f"Kept again {stats.restored} originals of saved reports that had gone missing."
        )
    if stats.retries:
        out.print(
            f"与数据库的连接中断 {stats.retries} 次，每次都重新连接并重做了未提交的部分。"
            if lang is Lang.zh
            else f"The database connection dropped {stats.retries} times; each time reconnected and redid "
            "what was not committed."
        )
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


@app.command()
def failures(db: DbOpt = "sqlite:///gongkai.db", lang: LangOpt = Lang.zh) -> None:
    """列出导入失败的文件及原因。List the files that failed to ingest, with the reason."""
    from .store import Store

    rows = Store.open(db).failures.list()
    out = _console()
    for f in rows:
        reason = f["error_en"] if lang is Lang.en else f["error"]
        out.print(f"[bold red]✗[/] {escape(f['path'])}: {escape(reason)}  [dim]({f['attempts']}×)[/]")
    out.print(f"共 {len(rows)} 个失败文件。" if lang is Lang.zh else f"{len(rows)} failed files.")


@app.command()
def fsck(
    db: DbOpt = "sqlite:///gongkai.db",
    repair: Annotated[
        bool,
        typer.Option("--repair", help="把问题记为失败以便重新导入  Record problems as failures to re-ingest"),
    ] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """检查每条记录的原件都在且内容与哈希一致。Check every row's original is there, with the right bytes.

    退出状态 Exit status: 0 无问题 sound; 1 有问题 problems found (after --repair: recorded as failures).
    """
    from .maintenance import fsck as run

    out = _console()
    store = _open_store(db, out, lang)
    result = run(store, repair=repair)
    for p in result.problems:
        out.print(f"[bold red]✗[/] {escape(p.line(lang.value))}")
    zh = lang is Lang.zh
    if not result.problems:
        out.print(
            f"已检查 {result.checked} 份原件，没有问题。"
            if zh
            else f"{result.checked} originals checked: sound."
        )
        raise typer.Exit(0)
    out.print(
        f"已检查 {result.checked} 份原件，{len(result.problems)} 份有问题。"
        if zh
        else f"{result.checked} originals checked, {len(result.problems)} with problems."
    )
    if repair:
        out.print(
            f"已记为失败 {result.repaired} 份：用 gongkai ingest 原文件夹 --retry-failed 重新导入原件。"
            if zh
            else f"{result.repaired} recorded as failures: gongkai ingest FOLDER --retry-failed keeps them again."
        )
    else:
        out.print(
            "用 --repair 记为失败以便重新导入。" if zh else "Use --repair to record them for re-ingest."
        )
    raise typer.Exit(1)


def _files_root(db: str) -> Path:
    from .store import _default_files_dir

    return Path(os.environ.get("GONGKAI_FILES") or _default_files_dir(db))


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="备份文件夹（新建或空）  Backup folder (new or empty)")],
    db: DbOpt = "sqlite:///gongkai.db",
    lang: LangOpt = Lang.zh,
) -> None:
    """备份数据库与原件。Back up the database (SQLite online backup / pg_dump) and the originals."""
    from .errors import GongkaiError
    from .maintenance import backup as run

    out = _console()
    _open_store(db, out, lang).close()  # reachable, schema current
    try:
        m = run(db, _files_root(db), dest)
    except GongkaiError as e:
        _failed(out, e, lang)
        raise typer.Exit(1) from None
    n = m["counts"].get("report_version", 0)
    out.print(
        f"已备份到 {dest}：{n} 个报告版本，{m['files']} 份原件。"
        if lang is Lang.zh
        else f"Backed up to {dest}: {n} report versions, {m['files']} originals."
    )


@app.command()
def restore(
    src: Annotated[Path, typer.Argument(help="gongkai backup 生成的文件夹  A folder from gongkai backup")],
    db: DbOpt = "sqlite:///gongkai.db",
    lang: LangOpt = Lang.zh,
) -> None:
    """把备份恢复到新的空数据库。Restore a backup into a new, empty database (and its originals folder)."""
    from .errors import GongkaiError
    from .maintenance import restore as run

    out = _console()
    try:
        m = run(src, db, _files_root(db))
    except GongkaiError as e:
        _failed(out, e, lang)
        raise typer.Exit(1) from None
    n = m["counts"].get("report_version", 0)
    out.print(
        f"已从 {src} 恢复：{n} 个报告版本，{m['restored_files']} 份原件（备份于 {m['created']}）。"
        if lang is Lang.zh
        else f"Restored from {src}: {n} report versions, {m['restored_files']} originals (backed up {m['created']})."
    )


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
        str, typer.Option("--role", help="admin | editor | viewer | reviewer | staff | supervisor")
    ] = "editor",
    region: Annotated[
        str,
        typer.Option(
            "--region", help="审核范围的区划代码（reviewer 必填，如 440300）  Reviewer's region code"
        ),
    ] = "",
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
    from . import regions
    from .desk.access import AGENCY_ROLES, ROLES
    from .errors import GongkaiError
    from .store import Store
    from .store.users import check_password

    store = Store.open(db)
    if role not in ROLES:
        raise typer.BadParameter(f"角色须为 {' | '.join(ROLES)}")
    if role in AGENCY_ROLES and not agency:
        raise typer.BadParameter(f"角色 {role} 须用 --agency 指定所属机关")
    if role == "reviewer" and (regions.get(region) is None):
        raise typer.BadParameter("角色 reviewer 须用 --region 指定审核范围的区划代码（如 440300）")
    try:
        row = store.agencies.find(agency) if agency else None
        check_password(password, username)
        store.users.add(username, password, role, row["id"] if row else None, region)
    except GongkaiError as e:
        raise typer.BadParameter(e.problem) from e
    store.audit.record("cli", "user.add", username, None, {"role": role, "agency": agency, "region": region})
    where = f"，{escape(row['name'])}" if row else ""
    where += f"，审核范围 {region}" if region else ""
    _console().print(f"已添加用户 {escape(username)}（{role}{where}）")
    store.close()


def _account_change(db: str, actor_line: str, change) -> None:
    """Open the store, apply ``change(store)``, print ``actor_line``; errors end with exit status 1."""
    from .errors import GongkaiError
    from .store import Store

    store = Store.open(db)
    try:
        change(store)
    except GongkaiError as e:
        _console().print(f"[bold red]✗[/] {escape(e.line('zh'))} / {escape(e.problem_en)}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    _console().print(actor_line)


UserArg = Annotated[str, typer.Argument(help="用户名  User name")]


@app.command("user-passwd")
def user_passwd(
    username: UserArg,
    db: DbOpt = "sqlite:///gongkai.db",
    password: Annotated[
        str,
        typer.Option(
            prompt="新密码 New password", hide_input=True, confirmation_prompt=True, envvar="GONGKAI_PASSWORD"
        ),
    ] = "",
) -> None:
    """修改账户密码（该账户的登录全部失效）。Set an account's password (its sessions end)."""
    from .store.users import check_password

    def change(store) -> None:
        store.users.by_name(username)
        check_password(password, username)
        store.users.set_password(username, password)
        store.audit.record("cli", "user.password", username, None, None)

    _account_change(db, f"已修改用户 {escape(username)} 的密码 / password changed", change)


def _set_disabled(username: str, db: str, disabled: bool) -> None:
    def change(store) -> None:
        before = store.users.update(username, disabled=disabled)
        action = "user.disable" if disabled else "user.enable"
        store.audit.record("cli", action, username, {"disabled": before["disabled"]}, {"disabled": disabled})

    done = "已停用 / disabled" if disabled else "已启用 / enabled"
    _account_change(db, f"{escape(username)}：{done}", change)


@app.command("user-disable")
def user_disable(username: UserArg, db: DbOpt = "sqlite:///gongkai.db") -> None:
    """停用账户（立即退出登录，令牌失效）。Disable an account (its sessions and tokens stop at once)."""
    _set_disabled(username, db, True)


@app.command("user-enable")
def user_enable(username: UserArg, db: DbOpt = "sqlite:///gongkai.db") -> None:
    """重新启用账户。Enable a disabled account again."""
    _set_disabled(username, db, False)


@app.command("user-role")
def user_role(
    username: UserArg,
    role: Annotated[str, typer.Argument(help="admin | editor | viewer | reviewer | staff | supervisor")],
    db: DbOpt = "sqlite:///gongkai.db",
) -> None:
    """修改账户角色（该账户的登录全部失效）。Change an account's role (its sessions end)."""
    from .desk.access import ROLES

    if role not in ROLES:
        raise typer.BadParameter(f"角色须为 {' | '.join(ROLES)}  (role must be one of these)")

    def change(store) -> None:
        before = store.users.update(username, role=role)
        store.audit.record("cli", "user.role", username, {"role": before["role"]}, {"role": role})

    _account_change(db, f"{escape(username)}：{role}", change)


@app.command("user-list")
def user_list(db: DbOpt = "sqlite:///gongkai.db") -> None:
    """列出账户。List the accounts."""
    from .store import Store

    store = Store.open(db)
    table = Table(header_style="bold")
    for col in ("user", "role", "agency", "region", "state"):
        table.add_column(col)
    for u in store.users.list():
        state = "停用 disabled" if u["disabled"] else "正常 active"
        agency = "" if u["agency_id"] is None else f"#{u['agency_id']}"
        table.add_row(escape(u["username"]), u["role"], agency, u["region_code"], state)
    store.close()
    _console().print(table)


@app.command("token-add")
def token_add(
    username: UserArg,
    scope: Annotated[str, typer.Option("--scope", help="read | write")] = "read",
    note: Annotated[str, typer.Option("--note", help="用途说明  What the token is for")] = "",
    db: DbOpt = "sqlite:///gongkai.db",
) -> None:
    """为脚本生成 API 令牌（只显示这一次）。Make an API token for scripts (shown this once).

    用法 Use: ``Authorization: Bearer <token>``。"""
    from .errors import GongkaiError
    from .store import Store

    store = Store.open(db)
    try:
        tid, raw = store.users.add_token(username, scope, note)
    except GongkaiError as e:
        _console().print(f"[bold red]✗[/] {escape(e.line('zh'))} / {escape(e.problem_en)}")
        raise typer.Exit(1) from None
    store.audit.record("cli", "token.add", username, None, {"token_id": tid, "scope": scope, "note": note})
    store.close()
    err = Console(stderr=True, highlight=False)
    err.print(f"令牌 #{tid}（{scope}，用户 {escape(username)}）只显示这一次 / token #{tid}, shown once:")
    sys.stdout.write(raw + "\n")


@app.command("token-revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="令牌编号（token-list 查看）  Token id")],
    db: DbOpt = "sqlite:///gongkai.db",
) -> None:
    """撤销 API 令牌。Revoke an API token."""

    def change(store) -> None:
        t = store.users.revoke_token(token_id)
        store.audit.record("cli", "token.revoke", t["username"], None, {"token_id": token_id})

    _account_change(db, f"已撤销令牌 #{token_id} / token revoked", change)


@app.command("token-list")
def token_list(
    username: Annotated[str, typer.Argument(help="用户名（可省）  User name (optional)")] = "",
    db: DbOpt = "sqlite:///gongkai.db",
) -> None:
    """列出 API 令牌（不含令牌本身）。List API tokens (never the tokens themselves)."""
    from .store import Store

    store = Store.open(db)
    table = Table(header_style="bold")
    for col in ("id", "user", "scope", "note", "created", "last used", "revoked"):
        table.add_column(col)
    for t in store.users.tokens(username or None):
        when = [str(t[k])[:19] if t[k] else "" for k in ("created_at", "last_used_at", "revoked_at")]
        table.add_row(str(t["id"]), escape(t["username"]), t["scope"], escape(t["note"]), *when)
    store.close()
    _console().print(table)


@app.command()
def serve(
    db: DbOpt = "sqlite:///gongkai.db",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", "-w", help="网页进程数  Web worker processes")] = 1,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="会话 Cookie 只经 HTTPS 发送（对外服务时必开）  Session cookie only over HTTPS",
            envvar="GONGKAI_SECURE_COOKIES",
        ),
    ] = False,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers",
            help="信任反向代理的 X-Forwarded-Proto/For  Trust X-Forwarded-Proto/For from the proxy",
        ),
    ] = False,
    trusted_proxies: Annotated[
        str,
        typer.Option(
            "--trusted-proxies",
            help="可信代理地址（逗号分隔）  Addresses whose X-Forwarded-* are believed",
            envvar="FORWARDED_ALLOW_IPS",
        ),
    ] = "127.0.0.1",
) -> None:
    """启动网页与 API。Serve the web app and the REST API (see docs/deployment.md)."""
    import uvicorn

    from .store import Store
    from .web import create_app

    if secure_cookies:
        os.environ["GONGKAI_SECURE_COOKIES"] = "1"  # read by create_app (in every worker)
    net = {"proxy_headers": proxy_headers, "forwarded_allow_ips": trusted_proxies if proxy_headers else None}
    _console().print(f"gongkai: http://{host}:{port}/  (API: http://{host}:{port}/api/docs)")
    if workers > 1:  # each worker builds its own app from GONGKAI_DB; migrate once, before they start
        Store.open(db).close()
        os.environ["GONGKAI_DB"] = db
        os.environ.setdefault("GONGKAI_SECRET", secrets.token_hex(32))  # one session key for all workers
        uvicorn.run(
            "gongkai.executors.web:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            **net,
        )
    else:
        uvicorn.run(create_app(db, warm=True), host=host, port=port, log_level="warning", **net)


@app.command()
def rules(lang: LangOpt = Lang.zh) -> None:
    """列出全部规则。List the rule catalogue."""
    table = Table(header_style="bold")
    for col in ("rule", "severity", "title", "basis"):
        table.add_column(col)
    for r in RULES:
        table.add_row(r.id, r.severity, r.title if lang is Lang.zh else r.title_en, escape(r.basis))
    _console().print(table)


# -- the collector (gongkai collect / watch) -------------------------------------------------------


@app.command()
def collect(
    sites: Annotated[Path, typer.Argument(help="网站清单 CSV：机关,网址  Sites list CSV: agency,url")],
    db: DbOpt = "sqlite:///gongkai.db",
    year: Annotated[int, typer.Option("--year", help="只采集该年度的报告  Only reports of this year")] = 0,
    job: Annotated[
        Path, typer.Option("--job", help="任务目录（断点续爬）  Job directory (resumable)")
    ] = Path("gongkai-collect-job"),
    shard: Annotated[
        str, typer.Option("--shard", help="K/N：只采集按主机哈希分到第 K 片的网站  This shard of the hosts")
    ] = "",
    delay: Annotated[
        float, typer.Option("--delay", help="同一主机两次请求的最小间隔（秒）  Least delay per host (s)")
    ] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", help="请求超时（秒）  Request timeout (s)")] = 30.0,
    max_mb: Annotated[
        int, typer.Option("--max-mb", help="单个文件大小上限（MB）  Size cap per file (MB)")
    ] = 100,
    lang: LangOpt = Lang.zh,
) -> None:
    """从各机关网站采集年报并导入（遵守 robots.txt，可中断续爬）。Collect reports from the agencies' sites."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .collect import Options
    from .collect import collect as run
    from .collect.sites import parse_shard
    from .store import Store

    out = _console()
    en = lang is Lang.en
    try:
        part = parse_shard(shard)
        store = Store.open(db)
        opts = Options(year=year or None, delay=delay, timeout=timeout, max_bytes=max_mb * 1024 * 1024)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=out
        ) as bar:
            task = bar.add_task("采集" if not en else "collecting")

            def progress(c: dict[str, int]) -> None:
                label = (
                    "fetched {fetched}, not modified {not_modified}, errors {errors}"
                    if en
                    else ("已抓取 {fetched}，未变化 {not_modified}，出错 {errors}")
                )
                bar.update(task, description=label.format(**c), advance=1)

            summary = run(sites, store, job, opts, part, progress)
    except api.GongkaiError as e:
        _failed(out, e, lang)
        raise typer.Exit(2) from None
    except OSError as e:
        out.print(f"[bold red]✗[/] {escape(str(sites))}: {escape(e.strerror or str(e))}")
        raise typer.Exit(2) from None
    for line in summary.lines(lang.value):
        out.print(escape(line))
    raise typer.Exit(1 if summary.bad_rows or summary.unreachable else 0)


@app.command()
def watch(
    year: Annotated[int, typer.Option("--year", help="报告年度  Report year")],
    db: DbOpt = "sqlite:///gongkai.db",
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel  Also write a workbook")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="输出 JSON  JSON output")] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """网站清单中每个机关的年报发布情况：按时、逾期、未发布、发布后被修改、无法访问。Who published on time."""
    from .collect.watch import STATES, tally, to_xlsx
    from .collect.watch import watch as run
    from .store import Store

    en = lang is Lang.en
    entries = run(Store.open(db), year)
    if xlsx is not None:
        xlsx.write_bytes(to_xlsx(entries, year, lang.value))
    if json_out:
        typer.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{year} watch" if en else f"{year}年度年报发布监测")
    for col in (
        ("agency", "state", "deadline", "published", "note")
        if en
        else ("机关", "状态", "截止日期", "发布日期", "说明")
    ):
        table.add_column(col)
    for e in entries:
        note = e.reason_en if en else e.reason
        if e.state == "edited":
            note = (f"change found {e.edited_found}" if en else f"{e.edited_found} 发现修改") + (
                (" (late)" if en else "（逾期）") if e.late else ""
            )
        table.add_row(
            escape(e.agency),
            STATES[e.state][1 if en else 0],
            e.deadline.isoformat(),
            e.published.isoformat() if e.published else "",
            escape(note),
        )
    out = _console()
    out.print(table)
    t = tally(entries)
    out.print(("; " if en else "；").join(f"{STATES[k][1 if en else 0]} {t[k]}" for k in STATES))


from .desk.cli import desk_app  # noqa: E402  (gongkai desk …: the agency desk; imports lazily inside)
from .review.cli import register as _review_commands  # noqa: E402  (circular, notice, expected-import …)

app.add_typer(desk_app, name="desk")
_review_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
