"""The report: the hub every reader fills and every rule, store, export and writer consumes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from .document import Provenance

Severity = Literal["error", "warning", "info"]
Number = int | float
Status = Literal["fail", "undecidable", "check_original"]

# What a finding's status means, in Chinese and English (shown beside every finding that is not a plain
# failure). "check_original": the finding rests on a number OCR read with low confidence or recovered,
# so it is not an error of the report until a person has compared the cell with the original.
STATUSES: dict[str, tuple[str, str]] = {
    "fail": ("不成立", "fails"),
    "undecidable": ("无法判定", "cannot decide"),
    "check_original": ("需核对原件", "check against the original"),
}
YEAR_MIN, YEAR_MAX = 1990, 2100  # a report year, a year to look at or to enter a calendar for: else a mistake
LOW_CONFIDENCE = 0.9  # OCR score under which a cell is flagged for a person to check


def json_default(o: object) -> object:
    """``json.dumps(default=...)`` guard: numpy scalars (OCR confidences, pixel boxes) become plain
    Python numbers, dates ISO strings. Readers already hand out plain floats; this keeps one slip
    from aborting a whole JSON document or ingest batch."""
    item = getattr(o, "item", None)
    if callable(item) and getattr(o, "ndim", None) == 0:
        return item()
    if isinstance(o, dt.date):
        return o.isoformat()
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


@dataclass(slots=True)
class Cell:
    """One number of the statistical tables, with the text it was read from and where."""

    value: Number | None
    raw: str | None = None
    prov: Provenance | None = None
    unit: str | None = None  # money: the unit seen ("万元", "元") or None when none was printed
    stated_total: int | None = None  # 2019 本年增/减 written as "512（+284）": the 512
    confidence: float | None = None  # OCR confidence, 0..1
    recovered: bool = False  # reconstructed (e.g. glued digits split by the template's arithmetic)

    @property
    def ocr(self) -> bool:
        """Read by OCR (only OCR gives a confidence)."""
        return self.confidence is not None

    @property
    def uncertain(self) -> bool:
        """Read by OCR with low confidence, or recovered from an OCR reading: not to be trusted unseen."""
        return self.confidence is not None and (self.confidence < LOW_CONFIDENCE or self.recovered)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "raw": self.raw}
        if self.prov is not None:
            d["source"] = self.prov.as_dict()
        for k in ("unit", "stated_total", "confidence"):
            if (v := getattr(self, k)) is not None:
                d[k] = v
        if self.recovered:
            d["recovered"] = True
        return d


@dataclass(slots=True)
class Region:
    code: str | None
    province: str | None = None
    city: str | None = None
    county: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "province": self.province, "city": self.city, "county": self.county}


@dataclass(slots=True)
class Agency:
    name: str | None
    kind: Literal["government", "department"] | None = None
    region: Region | None = None
    prov: Provenance | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "region": self.region.as_dict() if self.region else None,
        }


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    cells: list[str]
    message: str  # Chinese
    message_en: str = ""
    status: Status = "fail"
    basis: str = ""
    where: Provenance | None = None  # for findings about text rather than cells
    suggested: dict[str, Number] | None = None  # {cell ID: value} the identities single out (never applied)

    def status_text(self, lang: str = "zh") -> str:
        zh, en = STATUSES[self.status]
        return en if lang == "en" else zh

    def text(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" and self.message_en else self.message

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "cells": self.cells,
            "message": self.message,
        }
        if self.message_en:
            d["message_en"] = self.message_en
        if self.status != "fail":
            d["status"] = self.status
            d["status_text"], d["status_text_en"] = STATUSES[self.status]
        if self.suggested:
            d["suggested"] = dict(self.suggested)
        if self.where is not None:
            d["source"] = self.where.as_dict()
        return d


@dataclass(slots=True)
class SectionText:
    """A section of the report as printed: which official section it is (or None) and its text."""

    id: str | None  # s1..s6, None for a section the format does not have
    title: str
    text: str
    prov: Provenance | None = None
    ordinal: str = ""


@dataclass(slots=True)
class Fact:
    """A number stated in the narrative, e.g. 共收到政府信息公开申请262宗 → ("received", 262)."""

    kind: str
    value: int
    text: str
    prov: Provenance | None = None


@dataclass(slots=True)
class Report:
    source: str
    template: Literal["2019", "2021", "mixed"] | None = None
    year: int | None = None
    agency: Agency = field(default_factory=lambda: Agency(None))
    cells: dict[str, Cell] = field(default_factory=dict)
    title: str | None = None
    signature_date: dt.date | None = None
    sections: list[SectionText] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    issues: list[Finding] = field(default_factory=list)  # raised while reading and extracting
    findings: list[Finding] = field(default_factory=list)  # issues plus every rule's findings
    media_type: str | None = None
    encoding: str | None = None  # text and web pages: the encoding the bytes were read with
    replaced_chars: int = 0  # characters that could not be decoded in any encoding (U+FFFD)
    text_layer: str | None = None  # "ok" | "garbled" | "ocr": where the text came from (document.TextLayer)
    page_layers: list[str] | None = None  # PDFs: the same per page ("empty": nothing on it)

    def value(self, cell_id: str) -> Number | None:
        c = self.cells.get(cell_id)
        return None if c is None else c.value

    def values(self) -> dict[str, Number | None]:
        return {k: c.value for k, c in self.cells.items()}

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def as_dict(self, *, detail: bool = True) -> dict[str, Any]:
        """The parse-output JSON of cells.md, plus provenance and narrative when ``detail``."""
        d: dict[str, Any] = {
            "source": self.source,
            "template": self.template,
            "year": self.year,
            "agency": self.agency.as_dict(),
            "cells": self.values(),
            "findings": [f.as_dict() for f in self.findings],
        }
        if self.text_layer is not None:
            d["text_layer"] = self.text_layer
        if detail:
            d["title"] = self.title
            d["encoding"] = self.encoding
            d["replaced_chars"] = self.replaced_chars
            if self.page_layers is not None:
                d["text_layer_pages"] = self.page_layers
            d["signature_date"] = self.signature_date.isoformat() if self.signature_date else None
            d["cell_sources"] = {k: c.as_dict() for k, c in self.cells.items() if c.raw is not None}
            d["sections"] = [
                {
                    "id": s.id,
                    "title": s.title,
                    "chars": len(s.text),
                    "source": s.prov.as_dict() if s.prov else None,
                }
                for s in self.sections
            ]
            d["facts"] = [
                {
                    "kind": f.kind,
                    "value": f.value,
                    "text": f.text,
                    "source": f.prov.as_dict() if f.prov else None,
                }
                for f in self.facts
            ]
        return d
