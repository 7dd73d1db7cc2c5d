"""``gongkai watch``: for every agency of the sites list, whether its report for a year is out.

One state an agency: published on time, published late (the publication date shown on its page is
past its Art. 49 deadline, ``review.deadlines``), published with no date to judge by, edited after
publication (the URL's content changed after it was first fetched), missing, or unreachable (the
site's entry page could not be fetched on the last run, with the reason).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..review.deadlines import deadline, timeliness

if TYPE_CHECKING:
    from ..store import Store

STATES: dict[str, tuple[str, str]] = {
    "on_time": ("按时发布", "published on time"),
    "late": ("逾期发布", "published late"),
    "undated": ("已发布（日期未识别）", "published (date not recognised)"),
    "edited": ("发布后被修改", "edited after publication"),
    "missing": ("未发布", "not published"),
    "unreachable": ("无法访问", "unreachable"),
}


@dataclass(frozen=True, slots=True)
class WatchEntry:
    agency: str
    url: str  # the site's address in the sites list
    state: str  # STATES
    kind: str | None
    deadline: dt.date
    published: dt.date | None  # first publication date shown on the page
    late: bool
    edited_found: dt.date | None  # when the change was found
    report_url: str | None
    version_id: int | None
    reason: str  # why unreachable (Chinese)
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "url": self.url,
            "state": self.state,
            "kind": self.kind,
            "deadline": self.deadline.isoformat(),
            "published": self.published.isoformat() if self.published else None,
            "late": self.late,
            "edited_found": self.edited_found.isoformat() if self.edited_found else None,
            "report_url": self.report_url,
            "version_id": self.version_id,
            "reason": self.reason,
            "reason_en": self.reason_en,
        }


def _kind(name: str, parsed: str | None) -> str:
    if parsed in ("government", "department"):
        return parsed
    return "government" if name.endswith("人民政府") else "department"


def watch(store: Store, year: int) -> list[WatchEntry]:
    """The state of every agency of the sites list for ``year``."""
    sites: dict[str, list[dict[str, Any]]] = {}
    for s in store.sites.list():
        sites.setdefault(s["agency"], []).append(s)
    docs: dict[str, list[dict[str, Any]]] = {}
    for d in store.sites.documents():
        docs.setdefault(d["agency"], []).append(d)
    vids = {d["version_id"] for ds in docs.values() for d in ds if d["version_id"]}
    rows = {r["version_id"]: r for r in store.reports.rows(version_ids=vids)} if vids else {}
    versions = {vid: rows.get(vid) or _version(store, vid) for vid in vids}
    out = []
    for agency, its_sites in sites.items():
        mine = [
            d
            for d in docs.get(agency, [])
            if d["version_id"] and (versions[d["version_id"]] or {}).get("year") == year
        ]
        urls = {d["url"] for d in mine} | {d["page_url"] for d in mine if d["page_url"]}
        history = [d for d in docs.get(agency, []) if d["url"] in urls]
        first = [d for d in history if d["previous_id"] is None]
        edits = [d for d in history if d["previous_id"] is not None]
        parsed_kind = next((versions[d["version_id"]].get("kind") for d in mine), None) if mine else None
        kind = _kind(agency, parsed_kind)
        due = deadline(kind, year)
        site = its_sites[0]
        if not mine:
            down = [s for s in its_sites if s["last_state"] == "unreachable"]
            if down and len(down) == len(its_sites):
                out.append(
                    WatchEntry(
                        agency,
                        site["url"],
                        "unreachable",
                        kind,
                        due,
                        None,
                        False,
                        None,
                        None,
                        None,
                        down[0]["last_error"] or "",
                        down[0]["last_error_en"] or "",
                    )
                )
            else:
                out.append(
                    WatchEntry(
                        agency, site["url"], "missing", kind, due, None, False, None, None, None, "", ""
                    )
                )
            continue
        dates = [d["published"] for d in (first or history) if d["published"]]
        published = min(dates) if dates else None
        if published is None:  # no date on the page: the report's own signature date
            sig = next((versions[d["version_id"]].get("signature_date") for d in mine), None)
            published = dt.date.fromisoformat(sig) if sig else None
        when = timeliness(kind, year, published)
        current = max(mine, key=lambda d: d["id"])
        state = "edited" if edits else when
        found = max(d["fetched_at"] for d in edits).date() if edits else None
        out.append(
            WatchEntry(
                agency,
                site["url"],
                state,
                kind,
                due,
                published,
                when == "late",
                found,
                current["url"],
                current["version_id"],
                "",
                "",
            )
        )
    return out


def _version(store: Store, vid: int) -> dict[str, Any] | None:
    try:
        row = store.reports.version_row(vid)
    except Exception:  # a version deleted since: not a publication any more
        return None
    return row


def tally(entries: list[WatchEntry]) -> dict[str, int]:
    out = dict.fromkeys(STATES, 0)
    for e in entries:
        out[e.state] += 1
    out["total"] = len(entries)
    return out


def to_xlsx(entries: list[WatchEntry], year: int, lang: str = "zh") -> bytes:
    """The watch list as a workbook (one row an agency). Agency names, addresses and reasons come from
    the sites list and from the sites themselves: formula-like text is written as text (spreadsheet.py)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..spreadsheet import xlsx_append

    en = lang == "en"
    wb = Workbook()
    ws = wb.active
    ws.title = f"watch {year}" if en else f"{year}年度发布监测"
    header = (
        [
            "agency",
            "site",
            "state",
            "kind",
            "deadline",
            "published",
            "late",
            "change found",
            "report",
            "reason",
        ]
        if en
        else [
            "机关",
            "网址",
            "状态",
            "类型",
            "截止日期",
            "发布日期",
            "逾期",
            "发现修改日期",
            "报告网址",
            "原因",
        ]
    )
    xlsx_append(ws, header)
    for c in ws[1]:
        c.font = Font(bold=True)
    kinds = {"government": ("政府", "government"), "department": ("部门", "department")}
    for e in entries:
        xlsx_append(
            ws,
            [
                e.agency,
                e.url,
                STATES[e.state][1 if en else 0],
                kinds.get(e.kind or "", ("", ""))[1 if en else 0],
                e.deadline,
                e.published,
                ("yes" if en else "是") if e.late else "",
                e.edited_found,
                e.report_url or "",
                e.reason_en if en else e.reason,
            ],
        )
    for col, width in zip("ABCDEFGHIJ", (36, 40, 16, 8, 12, 12, 6, 14, 50, 40), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
