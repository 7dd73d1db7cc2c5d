"""Evaluate rule checks on a report. Blank is not 0: a check that a blank cell leaves open says so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..formats import FORMAT_2021, FORMATS, Format, format_for_year
from ..report import Finding, Number, Report
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


def _side(report: Report, terms: tuple[str, ...]) -> Side | None:
    known: Number = 0
    blanks: list[str] = []
    for t in terms:
        v, applicable = _value(report, t)
        if not applicable:
            return None
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
    alts = [s for s in (_side(report, a) for a in check.alt) if s is not None]
    n_terms = len(check.lhs) + len(check.rhs)
    if len(lhs.blanks) + len(rhs.blanks) == n_terms:
        return Outcome("empty", lhs, rhs)
    if lhs.complete and rhs.complete:
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
    status: Literal["fail", "undecidable"] = "fail"
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
    for rule in RULES:
        if rule.checks is None or (rule.kind == "cross-year") != cross_year:
            continue
        for check in rule.checks(fmt, report):
            outcome = evaluate(check, report)
            if outcome.status in ("fail", "undecidable"):
                out.append(finding(rule, check, outcome, fmt))
    return out


def format_of(report: Report) -> Format:
    """The format the report's cells follow; for a mixed report, the one its year calls for."""
    if report.template in FORMATS:
        return FORMATS[report.template]  # type: ignore[index]
    return format_for_year(report.year) if report.year else FORMAT_2021
