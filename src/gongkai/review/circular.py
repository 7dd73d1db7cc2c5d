"""What a review produces, gathered from the store: the annual 检查情况通报 for a region and the
整改通知 for one report. The documents themselves are drawn by ``documents``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .. import formats, regions
from ..desk.access import governed_prefix
from ..errors import Invalid
from ..rules import BY_ID as RULES
from .coverage import coverage, tally
from .documents import (
    AgencyLine,
    AnnexRow,
    Circular,
    Example,
    LateLine,
    Notice,
    NoticeItem,
    ProblemGroup,
    RankLine,
)
from .workflow import status_label

if TYPE_CHECKING:
    from ..store import Store

MAX_EXAMPLES = 3
PUBLISHED = {"on_time": "按时", "late": "逾期", "undated": "按时", "missing": "未发布"}
TEMPLATES = {"2019": "2019年版", "2021": "2021年版", "mixed": "混用两版"}


def region_name(code: str) -> str:
    r = regions.get(code) if code else None
    if r is None:
        return code or "全国"
    d = r.as_dict()
    return "".join(dict.fromkeys(p for p in (d.get("province"), d.get("city"), d.get("county")) if p))


def _line(row: dict[str, Any]) -> AgencyLine:
    code = row.get("region_code") or ""
    return AgencyLine(
        row.get("agency") or row.get("name") or "未识别",
        f"{code} {region_name(code)}".strip(),
        row.get("kind") or "",
    )


def _cells(
    template: str | None, cells: list[str], values: dict[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    labels = tuple(formats.cell_label(c, "zh", template) for c in cells)
    shown = tuple("空白" if values.get(c) is None else str(values[c]) for c in cells)
    return labels, shown


def build_circular(
    store: Store, region_code: str, year: int, issuer: str = "", date: dt.date | None = None
) -> Circular:
    """The circular for the reports of ``year`` published in ``region_code`` ("" for all): coverage,
    the confirmed problems grouped by rule, the agencies ranked by confirmed problems, the annex."""
    if region_code and regions.get(region_code) is None:
        raise Invalid(region_code, "区划代码不存在", "no such region code")
    prefix = governed_prefix(region_code) if region_code else ""
    entries = coverage(store, year, prefix)
    counts = tally(entries)
    rows = store.reports.rows(year=year, region_prefix=prefix or None)
    vids = [r["version_id"] for r in rows]
    confirmed = store.reviews.decided(vids, "confirmed")
    decided = store.reviews.decision_counts(vids)
    values = store.reports.cell_values(
        vids, sorted({c for fs in confirmed.values() for f in fs for c in f["cells"]}) or ["-"]
    )
    by_rule: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for r in rows:
        for f in confirmed[r["version_id"]]:
            by_rule[f["rule"]].append((r, f))
    problems = []
    for rule, items in by_rule.items():
        meta = RULES.get(rule)
        examples = []
        for r, f in items[:MAX_EXAMPLES]:
            labels, shown = _cells(r["template"], f["cells"][:4], values[r["version_id"]])
            examples.append(Example(_line(r), labels, shown, f["message"]))
        problems.append(
            ProblemGroup(
                rule,
                meta.title if meta else rule,
                items[0][1]["severity"],
                len({r["version_id"] for r, _ in items}),
                len(items),
                tuple(examples),
            )
        )
    sev = {"error": 0, "warning": 1, "info": 2}
    problems.sort(key=lambda p: (sev.get(p.severity, 3), -p.findings, p.rule))
    ranking = sorted(
        (
            RankLine(
                _line(r), len(confirmed[r["version_id"]]), r["open_errors"], status_label(r["review_status"])
            )
            for r in rows
            if confirmed[r["version_id"]]
        ),
        key=lambda x: (-x.confirmed, -x.errors, x.agency.name),
    )
    state = {e.version_id: e for e in entries if e.version_id is not None}
    annex = []
    for r in rows:
        e = state.get(r["version_id"])
        annex.append(
            AnnexRow(
                _line(r),
                PUBLISHED[e.state] if e else "按时",
                (e.date.isoformat() if e and e.date else (r.get("signature_date") or "")),
                TEMPLATES.get(r["template"] or "", "未识别"),
                r["open_errors"],
                r["warnings"],
                decided[r["version_id"]]["confirmed"],
                decided[r["version_id"]]["dismissed"],
                status_label(r["review_status"]),
            )
        )
    for e in entries:
        if e.state == "missing":
            annex.append(
                AnnexRow(
                    AgencyLine(e.name, f"{e.region_code} {region_name(e.region_code)}".strip(), e.kind or ""),
                    "未发布",
                    "",
                    "",
                    0,
                    0,
                    0,
                    0,
                    "",
                )
            )
    return Circular(
        region_code=region_code,
        region_name=region_name(region_code),
        year=year,
        issuer=issuer,
        date=date or dt.date.today(),
        expected=counts["expected"],
        published=counts["published"],
        on_time=counts["on_time"] + counts["undated"],
        late=tuple(
            LateLine(
                AgencyLine(e.name, f"{e.region_code} {region_name(e.region_code)}".strip(), e.kind or ""),
                e.deadline,
                e.date,
            )
            for e in entries
            if e.state == "late" and e.date is not None
        ),
        missing=tuple(
            AgencyLine(e.name, f"{e.region_code} {region_name(e.region_code)}".strip(), e.kind or "")
            for e in entries
            if e.state == "missing"
        ),
        reports_with_errors=sum(
            1 for r in rows if any(f["severity"] == "error" for f in confirmed[r["version_id"]])
        ),
        confirmed=sum(len(v) for v in confirmed.values()),
        dismissed=sum(d["dismissed"] for d in decided.values()),
        problems=tuple(problems),
        ranking=tuple(ranking),
        annex=tuple(annex),
    )


def build_notice(
    store: Store, version_id: int, issuer: str = "", date: dt.date | None = None, due_days: int = 30
) -> Notice:
    """The 整改通知 for one report version: its confirmed findings with cells, values and rules."""
    row = store.reports.version_row(version_id)
    findings = store.reviews.findings(version_id)
    notes: dict[str, list[str]] = defaultdict(list)
    for n in store.reviews.notes(version_id):
        notes[n["cell_id"]].append(n["text"])
    report = store.reports.load(version_id)
    items = []
    for f in findings:
        if f["review"] != "confirmed":
            continue
        labels, shown = _cells(row["template"], f["cells"][:6], report.values())
        meta = RULES.get(f["rule"])
        reasons = [d["reason"] for d in f["decisions"] if d["decision"] == "confirmed" and d["reason"]]
        note = "；".join([*reasons[-1:], *(t for c in f["cells"] for t in notes.get(c, []))])
        items.append(
            NoticeItem(
                labels, shown, f["rule"], meta.title if meta else f["rule"], f["severity"], f["message"], note
            )
        )
    today = date or dt.date.today()
    return Notice(
        agency=_line(row),
        year=row["year"] or 0,
        report_title=report.title or f"{row['agency']}{row['year'] or ''}年政府信息公开工作年度报告",
        issuer=issuer,
        date=today,
        due=today + dt.timedelta(days=due_days),
        items=tuple(items),
    )
