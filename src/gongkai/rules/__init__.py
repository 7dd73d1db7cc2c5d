"""The rule catalogue and its evaluator."""

from __future__ import annotations

from ..report import Finding, Report
from .catalogue import BY_ID, RULES
from .conformance import conformance
from .engine import evaluate, run_cross_year, run_rules
from .model import Check, Rule

_ORDER = {"error": 0, "warning": 1, "info": 2}


def check(report: Report) -> Report:
    """Run every rule on the report; its findings are extraction's plus the rules'."""
    found = [*report.issues, *conformance(report), *run_rules(report)]
    report.findings = sorted(found, key=lambda f: _ORDER[f.severity])
    return report


__all__ = ["BY_ID", "RULES", "Check", "Finding", "Rule", "check", "evaluate", "run_cross_year", "run_rules"]
