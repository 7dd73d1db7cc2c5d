"""A report as the store's rows: built once, by either saving path.

``prepare(report)`` turns a report into plain tuples and JSON text (``Prepared``): it needs no database,
so ingest runs it in the worker that parsed the file. The single writer then only inserts, and what
crosses the process boundary pickles ~5× faster than the report itself (no dataclass per cell and
provenance). JSON is serialised as SQLAlchemy's JSON type binds it (``json.dumps``, None → ``null``),
so both paths store the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..document import Provenance
from ..ratios import summary
from ..report import Region, Report, json_default
from . import search

CELL_COLUMNS = ("cell_id", "value", "raw", "unit", "stated_total", "confidence", "recovered", "provenance")
FINDING_COLUMNS = (
    "seq",
    "is_issue",
    "rule",
    "severity",
    "status",
    "cells",
    "message",
    "message_en",
    "basis",
    "provenance",
    "suggested",
)
AGENCY_COLUMNS = ("name", "region_code", "kind", "province", "city", "county")


def prov_dict(p: Provenance | None) -> dict[str, Any] | None:
    return p.as_dict() if p is not None else None


def version_values(r: Report) -> dict[str, Any]:
    """The report_version columns that come from the report itself."""
    meta = {
        "source": r.source,
        "agency_prov": prov_dict(r.agency.prov),
        "sections": [
            {"id": s.id, "title": s.title, "text": s.text, "prov": prov_dict(s.prov), "ordinal": s.ordinal}
            for s in r.sections
        ],
        "facts": [
            {"kind": f.kind, "value": f.value, "text": f.text, "prov": prov_dict(f.prov)} for f in r.facts
        ],
    }
    fails = [f for f in r.findings if f.status == "fail"]
    return {
        "template": r.template,
        "media_type": r.media_type,
        "title": r.title,
        "signature_date": r.signature_date.isoformat() if r.signature_date else None,
        "errors": sum(f.severity == "error" for f in fails),
        "warnings": sum(f.severity == "warning" for f in fails),
        "summary": summary(r),
        "meta": meta,
    }


def cell_values(r: Report) -> list[tuple]:
    """One tuple per cell in ``CELL_COLUMNS`` order (provenance as a dict)."""
    return [
        (
            cid,
            None if c.value is None else float(c.value),
            c.raw,
            c.unit,
            c.stated_total,
            c.confidence,
            c.recovered,
            prov_dict(c.prov),
        )
        for cid, c in r.cells.items()
    ]


def finding_values(r: Report) -> list[tuple]:
    """One tuple per finding in ``FINDING_COLUMNS`` order."""
    issue_ids = {id(f) for f in r.issues}
    return [
        (
            i,
            id(f) in issue_ids or f in r.issues,
            f.rule,
            f.severity,
            f.status,
            list(f.cells),
            f.message,
            f.message_en,
            f.basis,
            prov_dict(f.where),
            dict(f.suggested) if f.suggested else None,
        )
        for i, f in enumerate(r.findings)
    ]


def agency_values(r: Report) -> tuple:
    """(name, region_code, kind, province, city, county); "" for an unknown name or code keeps the
    (name, region_code) key strict."""
    ag = r.agency
    reg = ag.region or Region(None)
    return (ag.name or "", reg.code or "", ag.kind, reg.province, reg.city, reg.county)


def search_doc(r: Report) -> str:
    return search.document(
        [r.agency.name, r.title, *(s.title for s in r.sections)] + [s.text for s in r.sections]
    )


@dataclass(slots=True)
class Prepared:
    """A report as rows: agency key and values, year, version columns, cells and findings (JSON as
    text), search tokens."""

    agency: tuple
    year: int | None
    version: dict[str, Any]
    cells: list[tuple]
    findings: list[tuple]
    tokens: str


def _json(v: Any) -> str:
    return json.dumps(v, default=json_default)


def prepare(r: Report) -> Prepared:
    cells = [(*c[:-1], _json(c[-1])) for c in cell_values(r)]
    findings = [(*f[:5], _json(f[5]), *f[6:9], _json(f[9]), _json(f[10])) for f in finding_values(r)]
    return Prepared(agency_values(r), r.year, version_values(r), cells, findings, search_doc(r))
