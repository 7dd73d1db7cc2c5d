"""The year tally: tables 三 and 四 counted from the ledger, table 二 and the narrative as entered.

Counting rules (stated once, here):
- 一、本年新收: applications whose Art. 31 receipt date falls in the year.
- 二、上年结转: received before the year and not answered before it — by construction last year's 四.
- 三、办理结果: applications answered in the year, by their outcome (the 2019 format folds （六）1–3 into
  one row).
- 四、结转下年度: received by the year's end and not answered by then.
- Table 四: reconsiderations and lawsuits filed in the year, with their result as of the year's end
  (not decided by then → 尚未审结).
Every counted cell keeps the registration numbers it counts as its raw text: a number in the report
can be traced to the applications behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..document import Provenance
from ..formats import format_for_year
from ..report import Agency, Cell, Report, SectionText
from ..rules import run_rules
from .ledger import APPLICANT_TYPES, Application, Event, fold

COLUMNS = tuple(APPLICANT_TYPES)


@dataclass(slots=True)
class YearInputs:
    """What the ledger cannot count: table 二's figures and the narrative sections (s1..s6 → text)."""

    t2: dict[str, int | float] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    signature_date: dt.date | None = None


def tally(
    agency: Agency,
    year: int,
    ledger: Sequence[tuple[Application, Sequence[Event]]],
    inputs: YearInputs | None = None,
) -> Report:
    """The annual report of ``agency`` for ``year`` from its ledger, with the rule catalogue already run."""
    inputs = inputs or YearInputs()
    fmt = format_for_year(year)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = [r.id for r in fmt.t3.rows]
    counted: dict[tuple[str, str], list[str]] = {(r, c): [] for r in rows for c in COLUMNS}
    cases: dict[tuple[str, str], list[str]] = {}

    def count(row: str, app: Application) -> None:
        counted[(row, app.applicant_type)].append(app.number)

    for app, events in ledger:
        if app.received > end:
            continue
        s = fold(app, events)
        answered = s.answered if s.answered is not None and s.answered <= end else None
        if app.received >= start:
            count("new", app)
        elif s.answered is None or s.answered >= start:
            count("carried", app)
        if answered is not None and answered >= start:
            assert s.outcome is not None
            row = s.outcome if s.outcome in rows else s.outcome.split(".")[0]  # 2019: （六） is one row
            count(row, app)
            count("handled", app)
        elif answered is None:
            count("forward", app)
        for no, case in s.cases.items():
            if start <= case["filed"] <= end:
                decided = case.get("decided")
                result = case["result"] if decided is not None and decided <= end else "pending"
                cases.setdefault((case["kind"], result), []).append(f"{app.number}/{no}")

    report = Report(source=f"台账:{agency.name}:{year}", template=fmt.id, year=year, agency=agency)
    report.title = f"{agency.name}{year}年政府信息公开工作年度报告"
    report.signature_date = inputs.signature_date
    where = Provenance(file=f"台账:{agency.name}")
    for r in rows:
        for c in COLUMNS:
            report.cells[f"t3.{r}.{c}"] = _cell(counted[(r, c)], where)
        report.cells[f"t3.{r}.total"] = _cell([n for c in COLUMNS for n in counted[(r, c)]], where)
    for g in fmt.t4.groups:
        parts = [cases.get((g.id, f), []) for f in ("upheld", "corrected", "other", "pending")]
        for f, numbers in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            report.cells[f"t4.{g.id}.{f}"] = _cell(numbers, where)
        report.cells[f"t4.{g.id}.total"] = _cell([n for p in parts for n in p], where)
    known = set(fmt.t2.cell_ids())
    unknown = sorted(set(inputs.t2) - known)
    if unknown:
        raise ValueError(f"表二没有这些单元格（{fmt.id}年版格式）：{'、'.join(unknown)}")
    for cid in fmt.t2.cell_ids():
        v = inputs.t2.get(cid)
        report.cells[cid] = Cell(v, None if v is None else str(v), Provenance(file="录入"))
    report.sections = [
        SectionText(
            s.id, s.title.text, inputs.sections.get(s.id) or _default_text(s.id, report), ordinal=s.ordinal
        )
        for s in fmt.sections
    ]
    report.findings = run_rules(report)
    return report


def _cell(numbers: list[str], where: Provenance) -> Cell:
    return Cell(len(numbers), "、".join(numbers) if numbers else "", where)


def _default_text(section: str, r: Report) -> str:
    """A plain factual paragraph for a section left empty, worded so the text checks can read it."""
    v = r.values()
    if section == "s1":
        return (
            f"{r.year}年，本机关共收到政府信息公开申请{v['t3.new.total']}件，"
            f"上年结转{v['t3.carried.total']}件，办结{v['t3.handled.total']}件，"
            f"结转下年度继续办理{v['t3.forward.total']}件。"
        )
    if section == "s5":
        return "无。"
    return "见本报告统计表。" if section in ("s2", "s3", "s4") else "无。"
