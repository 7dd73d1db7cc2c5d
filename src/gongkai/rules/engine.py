"""Evaluate rule checks on a report. Blank is not 0: a check that a blank cell leaves open says so."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ..formats import FORMAT_2021, FORMATS, Format, format_for_year
from ..report import Cell, Finding, Number, Report
from ..report import Status as FindingStatus
from .catalogue import RULES
from .model import Check, Rule

Status = Literal["pass", "fail", "undecidable", "empty", "n/a"]
_EPS = 1e-6


@dataclass(slots=True)
class Side:
    known: Number  # sum of the filled terms
    blanks: list[str]  # terms left blank

    @property
    def complete(self) -> bool:
        return not self.blanks


@dataclass(slots=True)
class Outcome:
    status: Status
    lhs: Side
    rhs: Side
    fails_if_zero: bool = False


def _value(report: Report, term: str) -> tuple[Number | None, bool]:
    """(value, applicable). A ``#stated`` term without a stated total makes the check not applicable."""
    if term.startswith("fact:"):
        return report.facts[int(term[5:])].value, True
    cid, _, attr = term.partition("#")
    cell = report.cells.get(cid)
    if attr == "stated":
        if cell is None or cell.stated_total is None:
            return None, False
        return cell.stated_total, True
    return (None if cell is None else cell.value), True


@lru_cache(maxsize=4096)
def _plain(terms: tuple[str, ...]) -> bool:
    """Only cell IDs (no ``#stated``, no ``fact:``): the side is a plain sum of cell values."""
    return not any("#" in t or "fact:" in t for t in terms)


def _side(report: Report, terms: tuple[str, ...]) -> Side | None:
    known: Number = 0
    blanks: list[str] = []
    cells = report.cells
    if _plain(terms):  # most sides: looked up directly, once per rule and report
        for t in terms:
            cell = cells.get(t)
            if cell is None or cell.value is None:
                blanks.append(t)
            else:
                known += cell.value
        return Side(known, blanks)
    for t in terms:
        if "#" in t or "fact:" in t:
            v, applicable = _value(report, t)
            if not applicable:
                return None
        else:  # a plain cell ID: most terms, looked up directly
            cell = cells.get(t)
            v = None if cell is None else cell.value
        if v is None:
            blanks.append(t)
        else:
            known += v
    return Side(known, blanks)


def _holds(op: str, a: Number, b: Number) -> bool:
    return abs(a - b) < _EPS if op == "eq" else a <= b + _EPS


def evaluate(check: Check, report: Report) -> Outcome:
    lhs, rhs = _side(report, check.lhs), _side(report, check.rhs)
    if lhs is None or rhs is None:
        return Outcome("n/a", Side(0, []), Side(0, []))
    alts = [s for s in (_side(report, a) for a in check.alt) if s is not None] if check.alt else []
    if len(lhs.blanks) + len(rhs.blanks) == len(check.lhs) + len(check.rhs):
        return Outcome("empty", lhs, rhs)
    if not lhs.blanks and not rhs.blanks:
        ok = _holds(check.op, lhs.known, rhs.known) or any(
            s.complete and _holds(check.op, lhs.known, s.known) for s in alts
        )
        return Outcome("pass" if ok else "fail", lhs, rhs)
    # Every value is ≥ 0, so a side's known sum is a lower bound: some failures are certain anyway.
    certain = (lhs.complete and rhs.known > lhs.known + _EPS) or (
        check.op == "eq" and rhs.complete and lhs.known > rhs.known + _EPS
    )
    if certain and not alts:
        return Outcome("fail", lhs, rhs)
    return Outcome("undecidable", lhs, rhs, not _holds(check.op, lhs.known, rhs.known))


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt_number(n: Number) -> str:
    if isinstance(n, float) and not n.is_integer():
        return f"{n:g}"
    return str(int(n))


def finding(rule: Rule, check: Check, outcome: Outcome, fmt: Format) -> Finding:
    params = _Params(check.params)
    params["lhs"], params["rhs"] = _fmt_number(outcome.lhs.known), _fmt_number(outcome.rhs.known)
    zh, en = rule.message.format_map(params), rule.message_en.format_map(params)
    severity = rule.severity
    status: FindingStatus = "fail"
    if outcome.status == "undecidable":
        status = "undecidable"
        blanks = [t for t in (*outcome.lhs.blanks, *outcome.rhs.blanks) if not t.startswith("fact:")]
        first = fmt.cell_label(blanks[0]) if blanks else ""
        names = f"{first} 等 {len(blanks)} 格" if len(blanks) > 1 else first
        if outcome.fails_if_zero:
            severity = "warning" if severity == "error" else "info"
            zh = f"无法判定：{names} 未填写（空白不等于 0）；若按 0 计，{zh}"
            en = f"Cannot decide: {len(blanks)} cell(s) left blank (blank is not 0); reading blank as 0: {en}"
        else:
            severity = "info"
            zh = f"无法判定：{names} 未填写（空白不等于 0）；若按 0 计则成立"
            en = (
                f"Cannot decide: {len(blanks)} cell(s) left blank (blank is not 0); it holds if blank means 0"
            )
    return Finding(rule.id, severity, check.cells(), zh, en, status, rule.basis)


def run_rules(report: Report) -> list[Finding]:
    """Findings of every arithmetic and narrative rule that fails or cannot be decided."""
    return _run(report, format_of(report), cross_year=False)


PREV = "prev:"  # cells of last year's report, in a cross-year check


def run_cross_year(previous: Report, current: Report) -> list[Finding]:
    """Findings of the rules that link a report to the same agency's report of the year before."""
    if previous.year is None or current.year is None or previous.year != current.year - 1:
        return []
    merged = Report(current.source, current.template, current.year, current.agency)
    merged.cells = {**current.cells, **{PREV + k: c for k, c in previous.cells.items()}}
    return _run(merged, format_of(current), cross_year=True)


def _run(report: Report, fmt: Format, *, cross_year: bool) -> list[Finding]:
    out: list[Finding] = []
    evaluated: list[tuple[Rule, Check, Outcome]] = []
    for rule in RULES:
        if rule.checks is None or (rule.kind == "cross-year") != cross_year:
            continue
        for check in rule.checks(fmt, report):
            evaluated.append((rule, check, evaluate(check, report)))
    suggestion = _suggest(report, evaluated) if not cross_year else None
    for rule, check, outcome in evaluated:
        if outcome.status in ("fail", "undecidable"):
            f = finding(rule, check, outcome, fmt)
            _check_original(f, report, fmt, suggestion)
            out.append(f)
    return out


# ---- scans: findings that rest on what OCR may have misread ---------------------------------------


def _check_original(f: Finding, report: Report, fmt: Format, suggestion: tuple[str, Number] | None) -> None:
    """A failure resting on an uncertain OCR cell, or one a single OCR cell's other value would mend,
    is not an error of the report until the cell is compared with the original: it says so instead."""
    if f.status != "fail":
        return
    cells = [report.cells[c] for c in f.cells if c in report.cells]
    suggested = suggestion if suggestion and suggestion[0] in f.cells else None
    if not (any(c.uncertain for c in cells) or suggested):
        return
    f.status = "check_original"
    if f.severity == "error":
        f.severity = "warning"
    zh, en = f"需核对原件：{f.message}", f"Check against the original: {f.message_en}"
    if suggested:
        cid, value = suggested
        f.suggested = {cid: value}
        read = report.cells[cid].raw
        label = fmt.cell_label(cid)
        zh += f"；若“{label}”为 {_fmt_number(value)}（识别为 {read}），各项勾稽关系均成立"
        en += f"; if {cid} is {_fmt_number(value)} (read as {read}), every identity holds"
    f.message, f.message_en = zh, en


def _solve(check: Check, outcome: Outcome, cid: str, value: Number) -> Number | None:
    """The value of ``cid`` that makes the (complete, equality) check hold, or None."""
    if check.op != "eq" or outcome.status != "fail":
        return None
    on_left, on_right = check.lhs.count(cid), check.rhs.count(cid)
    if on_left == on_right:
        return None
    gap = outcome.rhs.known - outcome.lhs.known  # what the left side lacks
    new = value + gap / (on_left - on_right)
    if new < 0 or (isinstance(value, int) and abs(new - round(new)) > _EPS):
        return None
    return round(new) if isinstance(value, int) else new


def _suggest(report: Report, evaluated: list[tuple[Rule, Check, Outcome]]) -> tuple[str, Number] | None:
    """The one OCR-read cell value that makes every failing arithmetic identity hold and breaks none that
    held, when exactly one exists; else None. Never applied: findings only mention it."""
    failing = [(c, o) for r, c, o in evaluated if r.kind == "arithmetic" and o.status == "fail"]
    if not failing or len(failing) > 12:
        return None
    candidates: set[tuple[str, Number]] = set()
    for check, outcome in failing:
        for cid in check.cells():
            cell = report.cells.get(cid)
            if cell is None or not cell.ocr or cell.value is None:
                continue
            new = _solve(check, outcome, cid, cell.value)
            if new is not None and new != cell.value:
                candidates.add((cid, new))
    arithmetic = [(c, o.status) for r, c, o in evaluated if r.kind == "arithmetic"]
    works = [(cid, new) for cid, new in sorted(candidates, key=str) if _mends(report, arithmetic, cid, new)]
    return works[0] if len(works) == 1 else None


def _mends(report: Report, checks: list[tuple[Check, str]], cid: str, new: Number) -> bool:
    cell = report.cells[cid]
    report.cells[cid] = Cell(new, cell.raw, cell.prov, confidence=cell.confidence)
    try:
        for check, before in checks:
            if cid not in check.cells():
                continue
            after = evaluate(check, report).status
            if after == "fail" or (before != "fail" and after != before):
                return False
        return True
    finally:
        report.cells[cid] = cell


def format_of(report: Report) -> Format:
    """The format the report's cells follow; for a mixed report, the one its year calls for."""
    if report.template in FORMATS:
        return FORMATS[report.template]  # type: ignore[index]
    return format_for_year(report.year) if report.year else FORMAT_2021
