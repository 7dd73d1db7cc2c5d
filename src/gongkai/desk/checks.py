"""The desk's annual report with every check a reader will run on it once it is published.

The tally already runs the table rules. What an office types adds two more sources of error that a
reader of the published report would catch: the narrative stating other numbers than the tables
(收到申请N件 …, found as our readers find them), and table 二's 现行有效件数 not rolling forward from
last year's entry. Both are checked here before anything is downloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..extract.narrative import find_facts
from ..report import Report
from ..rules import run_cross_year, run_rules

if TYPE_CHECKING:
    from ..store.ledger import Ledger


def checked_report(ledger: Ledger, agency_id: int, year: int) -> Report:
    """``ledger.report`` plus the narrative-against-tables rules and, when last year's table 二 was
    entered, the rules linking the two years."""
    report = ledger.report(agency_id, year)
    report.facts = find_facts(report.sections, [])
    report.findings = run_rules(report)
    if ledger.year_inputs(agency_id, year - 1).t2:
        report.findings += run_cross_year(ledger.report(agency_id, year - 1), report)
    return report
