"""Who published for a year, on time or late, and who did not.

Expected publishers are every agency seen in any year plus the list a reviewer imports
(``store.reviews.expected``). A report's date is its signature date (or its publication date where
the collector knows it); the deadline is Art. 49's (``deadlines``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Invalid
from ..spreadsheet import csv_row, csv_rows, unescape
from .deadlines import deadline, timeliness

if TYPE_CHECKING:
    from ..store import Store

STATES: dict[str, tuple[str, str]] = {
    "on_time": ("按时发布", "published on time"),
    "late": ("逾期发布", "published late"),
    "undated": ("已发布（日期未识别）", "published (date not recognised)"),
    "missing": ("未发布", "not published"),
}


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    region_code: str
    kind: str | None
    state: str  # STATES
    deadline: dt.date
    date: dt.date | None
    version_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "region_code": self.region_code,
            "kind": self.kind,
            "state": self.state,
            "deadline": self.deadline.isoformat(),
            "date": self.date.isoformat() if self.date else None,
            "version_id": self.version_id,
        }


def coverage(
    store: Store, year: int, region_prefix: str = "", rows: list[dict[str, Any]] | None = None
) -> list[Entry]:
    """Every expected publisher in the region with its state for ``year`` (``rows``: the region's
    reports of that year, when the caller has them already)."""
    published: dict[tuple[str, str], dict[str, Any]] = {}
    by_name: dict[str, list[dict[str, Any]]] = {}
    if rows is None:
        rows = store.reports.rows(year=year, region_prefix=region_prefix or None)
    for r in rows:
        published[(r["agency"], r["region_code"] or "")] = r
        by_name.setdefault(r["agency"], []).append(r)
    # the publication date the collector saw on the page, where it knows one, over the signature date
    shown = store.sites.published_dates([r["version_id"] for r in published.values()])
    out = []
    for e in store.reviews.expected(region_prefix or None):
        r = published.get((e["name"], e["region_code"]))
        if r is None and not e["region_code"] and len(by_name.get(e["name"], [])) == 1:
            r = by_name[e["name"]][0]  # an imported name without a code matches the one report of that name
        kind = e["kind"] or (r["kind"] if r else None)
        if r is None:
            out.append(Entry(e["name"], e["region_code"], kind, "missing", deadline(kind, year), None, None))
            continue
        date = shown.get(r["version_id"]) or (
            dt.date.fromisoformat(r["signature_date"]) if r.get("signature_date") else None
        )
        out.append(
            Entry(
                e["name"],
                e["region_code"],
                kind,
                timeliness(kind, year, date),
                deadline(kind, year),
                date,
                r["version_id"],
            )
        )
    return out


def tally(entries: list[Entry]) -> dict[str, int]:
    out = dict.fromkeys(STATES, 0)
    for e in entries:
        out[e.state] += 1
    out["expected"] = len(entries)
    out["published"] = len(entries) - out["missing"]
    return out


HEADERS = {"name": ("机关", "agency", "name"), "region_code": ("区划代码", "region code", "code", "region")}


def read_expected(data: bytes, filename: str) -> list[dict[str, Any]]:
    """An imported list of expected publishers (CSV or XLSX: a name column, optionally a region code
    and a kind). All rows are checked before any is kept: one bad row refuses the file, naming every
    bad row."""
    from .. import regions

    rows = _table(data, filename)
    if not rows:
        raise Invalid(filename, "文件是空的", "the file is empty")
    header = [str(h or "").strip().lower() for h in rows[0]]

    def col(names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    name_i = col(HEADERS["name"])
    if name_i is None:
        raise Invalid(filename, "第1行须有“机关”（或 name）列", "the first row needs a 机关 (name) column")
    code_i, kind_i = col(HEADERS["region_code"]), col(("类型", "kind"))
    out, bad = [], []
    for n, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() if c is not None else "" for c in row]
        name = cells[name_i] if name_i < len(cells) else ""
        code = cells[code_i] if code_i is not None and code_i < len(cells) else ""
        kind = cells[kind_i] if kind_i is not None and kind_i < len(cells) else ""
        if not any(cells):
            continue
        if not name:
            bad.append(f"第{n}行：机关名称为空")
            continue
        if code and regions.get(code) is None:
            bad.append(f"第{n}行：区划代码“{code}”不存在")
            continue
        if not code:
            place = regions.resolve(name)
            code = place.code if place else ""
        kind = {"政府": "government", "部门": "department"}.get(kind, kind) or (
            "government" if name.endswith("人民政府") else "department"
        )
        if kind not in ("government", "department"):
            bad.append(f"第{n}行：类型须为“政府”或“部门”")
            continue
        out.append({"name": name, "region_code": code, "kind": kind})
    if bad:
        raise Invalid(
            filename,
            "；".join(bad[:20]) + ("……" if len(bad) > 20 else "") + "。未导入任何一行",
            f"{len(bad)} bad rows; nothing imported",
        )
    return out


def _table(data: bytes, filename: str) -> list[list[Any]]:
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as e:  # any damaged workbook is one clear message
            raise Invalid(filename, "无法读取这个 Excel 文件", "cannot read this workbook") from e
        rows = []
        for i, row in enumerate(wb.worksheets[0].iter_rows(values_only=True)):
            if i >= 100_000:
                raise Invalid(filename, "行数超过 100000", "more than 100,000 rows")
            rows.append([unescape(c) for c in row])
        return rows
    # our own coverage CSV quoted formula-like names ('=…, spreadsheet.py): read back as they were
    return [[unescape(c) for c in row] for row in csv_rows(data, filename)]


def to_csv(entries: list[Entry], lang: str = "zh") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    en = lang == "en"
    w.writerow(
        ["agency", "region code", "kind", "state", "deadline", "date"]
        if en
        else ["机关", "区划代码", "类型", "发布情况", "截止日期", "发布日期"]
    )
    for e in entries:
        kind = {"government": ("政府", "government"), "department": ("部门", "department")}.get(
            e.kind or "", ("", "")
        )
        w.writerow(
            csv_row(  # an agency name as entered: formula-like text prefixed with ' (spreadsheet.py)
                [
                    e.name,
                    e.region_code,
                    kind[1 if en else 0],
                    STATES[e.state][1 if en else 0],
                    e.deadline.isoformat(),
                    e.date.isoformat() if e.date else "",
                ]
            )
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
