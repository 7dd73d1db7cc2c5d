"""Reports: their versions, tidy cells and findings; saving, reading, listing and dashboard counts.

A report is one agency's report for one year; each file read for it is a version, the newest current.
Writes use SQLAlchemy Core (cells by executemany or COPY) because batch ingest inserts ~200 cells a report.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from ..document import Provenance
from ..errors import NotFound
from ..formats import FORMATS
from ..ratios import summary
from ..report import Agency, Cell, Fact, Finding, Region, Report, SectionText
from . import search as _search
from .agencies import Agencies
from .clauses import starts_with
from .models import Agency as AgencyRow
from .models import CellRow, FindingDecision, FindingRow, ReportVersion, SearchDoc, utcnow
from .models import Report as ReportRow
from .rows import (
    CELL_COLUMNS,
    FINDING_COLUMNS,
    Prepared,
    cell_values,
    finding_values,
    prepare,
    search_doc,
    version_values,
)

if TYPE_CHECKING:
    from . import Store

T = TypeVar("T")

A, R, V = AgencyRow.__table__, ReportRow.__table__, ReportVersion.__table__
C, F, S = CellRow.__table__, FindingRow.__table__, SearchDoc.__table__
FD = FindingDecision.__table__
MEMO_SIZE = 256  # tallies, trends and peer groups kept per process (a province's compare is ~1 MB)

# Administrative level of a region code (GB/T 2260): 省 xx0000, 市 xxxx00, 县 the rest, 乡 longer codes.
LEVELS = ("province", "city", "county", "township")


def level_of(code: str | None) -> str | None:
    if not code or not code.isdigit():
        return None
    if len(code) > 6:
        return "township"
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def _cell(c: Any, template: str | None) -> Cell:
    """A stored cell row as the report's ``Cell``."""
    return Cell(
        value=value_of(template, c.cell_id, c.value),
        raw=c.raw,
        prov=_prov(c.provenance),
        unit=c.unit,
        stated_total=c.stated_total,
        confidence=c.confidence,
        recovered=bool(c.recovered),
    )


def _prov(d: dict[str, Any] | None) -> Provenance | None:
    if d is None:
        return None
    d = dict(d)
    if d.get("bbox") is not None:
        d["bbox"] = tuple(d["bbox"])
    return Provenance(**d)


def _kind(template: str | None, cell_id: str) -> str | None:
    """Value kind of a cell; for "mixed" or unknown templates, whichever format knows the cell."""
    fmts = [FORMATS[template]] if template in FORMATS else list(FORMATS.values())
    for fmt in fmts:
        try:
            return fmt.kind_of(cell_id)
        except (KeyError, ValueError):
            continue
    return None


def value_of(template: str | None, cell_id: str, v: float | None) -> int | float | None:
    if v is None:
        return None
    if _kind(template, cell_id) in ("count", "delta") and float(v).is_integer():
        return int(v)
    return v


class Reports:
    """``store.reports``: save (one or a batch), load, list with filters, counts, versions."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self._cache: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()  # see memo
        self._cache_lock = threading.Lock()  # pages are served from a thread pool

    # -- saving ----------------------------------------------------------------------------------

    def save(self, report: Report, sha: str, source: str) -> tuple[int, bool]:
        """Save ``report`` read from the file ``sha``; returns (version id, created)."""
        with self.engine.begin() as conn:
            old = conn.execute(select(V.c.id).where(V.c.sha256 == sha)).scalar()
            if old is not None:
                return old, False
            report_id = self._report_id(conn, report)
            conn.execute(update(V).where(V.c.report_id == report_id).values(is_current=False))
            row = {**version_values(report), "report_id": report_id, "sha256": sha, "source": source}
            vid = conn.execute(
                insert(V).values(**row, is_current=True, created_at=utcnow())
            ).inserted_primary_key[0]
            cols = ("version_id", *CELL_COLUMNS)
            cells = [dict(zip(cols, (vid, *c), strict=True)) for c in cell_values(report)]
            if cells:
                conn.execute(insert(C), cells)
            cols = ("version_id", *FINDING_COLUMNS)
            finds = [dict(zip(cols, (vid, *f), strict=True)) for f in finding_values(report)]
            if finds:
                conn.execute(insert(F), finds)
            doc = search_doc(report)
            conn.execute(insert(S).values(version_id=vid, tokens=doc))
            _search.index(conn, vid, doc)
            return vid, True

    def save_many(self, batch: Sequence[tuple[Report | Prepared, str, str]]) -> list[tuple[int, bool]]:
        """Save many (report, sha, source) in one transaction; returns (version id, created) for each.

        The same rows as ``save`` on each in turn (a sha already saved, or twice in the batch, is not
        saved again; agencies refreshed the same way; the last new version of a report is the current
        one), with a handful of statements per batch instead of a dozen per report. A report may come
        ``prepare``d already (ingest does that in its workers). Cells, findings and search rows go to
        the driver directly: COPY on PostgreSQL, executemany on SQLite.
        """
        if not batch:
            return []
        with self.engine.begin() as conn:
            q = select(V.c.sha256, V.c.id)
            ids: dict[str, int] = {
                sha: i for sha, i in conn.execute(q.where(V.c.sha256.in_({b[1] for b in batch})))
            }
            new: list[tuple[Prepared, str, str]] = []
            created: set[str] = set()
            for r, sha, src in batch:
                if sha not in ids and sha not in created:
                    new.append((prepare(r) if isinstance(r, Report) else r, sha, src))
                    created.add(sha)
            if new:
                agency_ids = Agencies.ids_for(conn, [p.agency for p, _, _ in new])
                report_ids = self._report_ids(
                    conn, [(aid, p.year) for aid, (p, _, _) in zip(agency_ids, new, strict=True)]
                )
                conn.execute(
                    update(V)
                    .where(V.c.report_id.in_(set(report_ids)), V.c.is_current.is_(True))
                    .values(is_current=False)
                )
                last = {rid: k for k, rid in enumerate(report_ids)}
                now = utcnow()
                conn.execute(
                    insert(V),
                    [
                        {**p.version, "report_id": rid, "sha256": sha, "source": src}
                        | {"is_current": last[rid] == k, "created_at": now}
                        for k, (rid, (p, sha, src)) in enumerate(zip(report_ids, new, strict=True))
                    ],
                )
                ids.update({sha: i for sha, i in conn.execute(q.where(V.c.sha256.in_(created)))})
                vids = [ids[sha] for _, sha, _ in new]
                cells = [(vid, *c) for vid, (p, _, _) in zip(vids, new, strict=True) for c in p.cells]
                finds = [(vid, *f) for vid, (p, _, _) in zip(vids, new, strict=True) for f in p.findings]
                docs = [(vid, p.tokens) for vid, (p, _, _) in zip(vids, new, strict=True)]
                _insert_rows(conn, "cell", ("version_id", *CELL_COLUMNS), cells)
                _insert_rows(conn, "finding", ("version_id", *FINDING_COLUMNS), finds)
                _insert_rows(conn, "search_doc", ("version_id", "tokens"), docs)
                if conn.dialect.name == "sqlite":
                    _insert_rows(conn, "search_fts", ("rowid", "tokens"), docs)
        first: set[str] = set()
        out = []
        for _, sha, _ in batch:
            out.append((ids[sha], sha in created and sha not in first))
            first.add(sha)
        return out

    @staticmethod
    def _report_ids(conn: Connection, pairs: list[tuple[int, int | None]]) -> list[int]:
        """Ids of the reports (agency id, year), inserted when new."""
        q = select(R.c.id, R.c.agency_id, R.c.year).where(R.c.agency_id.in_({a for a, _ in pairs}))
        id_of = {(a, y): i for i, a, y in conn.execute(q)}
        missing = list(dict.fromkeys(p for p in pairs if p not in id_of))
        if missing:
            conn.execute(insert(R), [{"agency_id": a, "year": y} for a, y in missing])
            id_of = {(a, y): i for i, a, y in conn.execute(q)}
        return [id_of[p] for p in pairs]

    @staticmethod
    def _report_id(conn: Connection, report: Report) -> int:
        agency_id = Agencies.id_for(conn, report.agency)
        year_cond = R.c.year.is_(None) if report.year is None else R.c.year == report.year
        rid = conn.execute(select(R.c.id).where(R.c.agency_id == agency_id, year_cond)).scalar()
        if rid is None:
            rid = conn.execute(insert(R).values(agency_id=agency_id, year=report.year)).inserted_primary_key[
                0
            ]
        return rid

    def has_sha(self, sha: str) -> bool:
        """True when a report version was saved from this file."""
        with self.engine.connect() as conn:
            return conn.execute(select(V.c.id).where(V.c.sha256 == sha)).first() is not None

    def saved_shas(self, shas: Collection[str]) -> set[str]:
        """Those of ``shas`` a report version was saved from (one query for a batch of files)."""
        if not shas:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(select(V.c.sha256).where(V.c.sha256.in_(set(shas)))).scalars())

    def delete_version(self, version_id: int) -> None:
        """Remove one version (e.g. a misparse); the newest remaining one becomes current."""
        with self.engine.begin() as conn:
            rid = conn.execute(select(V.c.report_id).where(V.c.id == version_id)).scalar()
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DELETE FROM search_fts WHERE rowid = ?", (version_id,))
            conn.execute(delete(V).where(V.c.id == version_id))
            newest = conn.execute(select(func.max(V.c.id)).where(V.c.report_id == rid)).scalar()
            if newest is not None:
                conn.execute(update(V).where(V.c.id == newest).values(is_current=True))

    # -- reading ---------------------------------------------------------------------------------

    def load(self, version_id: int) -> Report:
        """The report as saved in this version; ``NotFound`` for no such version."""
        with self.engine.connect() as conn:
            v = conn.execute(
                select(V, A.c.name, A.c.kind, A.c.region_code, A.c.province, A.c.city, A.c.county, R.c.year)
                .join(R, R.c.id == V.c.report_id)
                .join(A, A.c.id == R.c.agency_id)
                .where(V.c.id == version_id)
            ).first()
            if v is None:
                raise NotFound(f"#{version_id}", "没有这个报告版本", "no such report version")
            cells = conn.execute(select(C).where(C.c.version_id == version_id))
            finds = conn.execute(select(F).where(F.c.version_id == version_id).order_by(F.c.seq)).all()
            m, meta = v._mapping, v.meta
            region = Region(m["region_code"] or None, m["province"], m["city"], m["county"])
            agency = Agency(m["name"] or None, m["kind"], region, _prov(meta.get("agency_prov")))
            report = Report(
                source=meta.get("source", v.source),
                template=v.template,
                year=m["year"],
                agency=agency,
                title=v.title,
                signature_date=dt.date.fromisoformat(v.signature_date) if v.signature_date else None,
                media_type=v.media_type,
            )
            for c in cells:
                report.cells[c.cell_id] = _cell(c, v.template)
        report.sections = [
            SectionText(s["id"], s["title"], s["text"], _prov(s["prov"]), s.get("ordinal", ""))
            for s in meta.get("sections", [])
        ]
        report.facts = [
            Fact(f["kind"], f["value"], f["text"], _prov(f["prov"])) for f in meta.get("facts", [])
        ]
        for f in finds:
            finding = Finding(
                rule=f.rule,
                severity=f.severity,
                cells=list(f.cells),
                message=f.message,
                message_en=f.message_en,
                status=f.status,
                basis=f.basis,
                where=_prov(f.provenance),
                suggested=f.suggested or None,
            )
            report.findings.append(finding)
            if f.is_issue:
                report.issues.append(finding)
        return report

    def cells_of(self, version_ids: Sequence[int]) -> dict[int, dict[str, Cell]]:
        """The cells of several versions in one query, as ``load`` gives them (for what needs the
        numbers of many reports, not their sections, facts or findings: an agency's years)."""
        out: dict[int, dict[str, Cell]] = {vid: {} for vid in version_ids}
        if not version_ids:
            return out
        with self.engine.connect() as conn:
            templates = dict(conn.execute(select(V.c.id, V.c.template).where(V.c.id.in_(version_ids))).all())
            for c in conn.execute(select(C).where(C.c.version_id.in_(version_ids))):
                out[c.version_id][c.cell_id] = _cell(c, templates[c.version_id])
        return out

    def _current(self) -> Select:
        return self._any_version().where(V.c.is_current.is_(True))

    @staticmethod
    def _any_version() -> Select:
        return (
            select(
                V.c.id.label("version_id"),
                R.c.id.label("report_id"),
                A.c.name.label("agency"),
                A.c.kind,
                A.c.region_code,
                A.c.province,
                A.c.city,
                A.c.county,
                R.c.year,
                R.c.review_status,
                V.c.template,
                V.c.errors,
                V.c.warnings,
                V.c.dismissed_errors,
                V.c.signature_date,
                V.c.source,
                V.c.sha256,
                V.c.is_current,
            )
            .join(R, R.c.id == V.c.report_id)
            .join(A, A.c.id == R.c.agency_id)
        )

    def _filtered(
        self,
        year: int | None = None,
        region_prefix: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        has_errors: bool | None = None,
        agency: str | None = None,
        version_ids: Collection[int] | None = None,
        template: str | None = None,
        level: str | None = None,
        review_status: str | None = None,
        rule: str | None = None,
        unknown_year: bool = False,
        columns: Select | None = None,
    ) -> Select:
        q = columns if columns is not None else self._current()
        if version_ids is not None:
            q = q.where(V.c.id.in_(list(version_ids)))
        if unknown_year:
            q = q.where(R.c.year.is_(None))
        elif year is not None:
            q = q.where(R.c.year == year)
        if region_prefix:
            q = q.where(starts_with(A.c.region_code, region_prefix))
        if kind:
            q = q.where(A.c.kind == kind)
        if name:
            q = q.where(A.c.name.contains(name, autoescape=True))
        if agency is not None:  # exact name: uses the (name, region_code) index
            q = q.where(A.c.name == agency)
        if has_errors is not None:
            open_errors = V.c.errors - V.c.dismissed_errors
            q = q.where(open_errors > 0 if has_errors else open_errors <= 0)
        if template:
            q = q.where(V.c.template.is_(None) if template == "unknown" else V.c.template == template)
        if level:
            q = q.where(_level_clause(level))
        if review_status:
            q = q.where(R.c.review_status == review_status)
        if rule:
            q = q.where(
                select(F.c.id)
                .where(
                    F.c.version_id == V.c.id,
                    F.c.rule == rule,
                    F.c.status == "fail",
                    F.c.review.is_distinct_from("dismissed"),
                )
                .exists()
            )
        return q

    def rows(self, limit: int | None = None, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """The current version of every report matching the filters (a page of them with ``limit``):
        year, region_prefix, kind, name (contains), agency (exact), has_errors, version_ids, template
        ("unknown" for none), level, review_status, rule, unknown_year."""
        q = self._filtered(**filters).order_by(A.c.region_code, A.c.name, R.c.year, V.c.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_row(r._mapping) for r in conn.execute(q)]

    def count(self, **filters: Any) -> int:
        q = self._filtered(**filters, columns=select(func.count()).select_from(V))
        q = q.join_from(V, R, R.c.id == V.c.report_id).join(A, A.c.id == R.c.agency_id)
        q = q.where(V.c.is_current.is_(True))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar() or 0

    def summaries(self, **filters: Any) -> list[dict[str, Any]]:
        """Rows with each version's kept ratios and key cells (``summary``), for comparisons."""
        q = self._filtered(**filters).add_columns(V.c.summary).order_by(A.c.region_code, A.c.name, R.c.year)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        stale = [r["version_id"] for r in rows if not r["summary"]]
        if stale:  # versions saved before summaries were kept
            values = self.cell_values(stale)
            for r in rows:
                if not r["summary"]:
                    cells = values[r["version_id"]]
                    r["summary"] = summary(Report("", cells={c: Cell(v) for c, v in cells.items()}))
        return [_row(r) for r in rows]

    def light(self, ratio: str, **filters: Any) -> list[tuple[str, bool, float | None, int | None]]:
        """(region code, has open errors, value of ``ratio``, year) of every current version matching the
        filters: what region tallies and trends need — three scalars a report, the ratio read out of the
        kept summary inside the database, no row objects (the country level is ~14,000 reports a year)."""
        what = (
            "light",
            ratio,
            *sorted((k, v if not isinstance(v, list) else tuple(v)) for k, v in filters.items()),
        )
        return self.memo(what, lambda: self._light(ratio, **filters))

    def _light(self, ratio: str, **filters: Any) -> list[tuple[str, bool, float | None, int | None]]:
        value = V.c.summary[("ratios", ratio)].as_float()
        q = (
            select(A.c.region_code, (V.c.errors - V.c.dismissed_errors) > 0, value, R.c.year)
            .select_from(V.join(R, R.c.id == V.c.report_id).join(A, A.c.id == R.c.agency_id))
            .where(V.c.is_current.is_(True))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(self._filtered(**filters, columns=q)).all()  # one fetch, not one a row
        return [(c or "", bool(b), v, y) for c, b, v, y in rows]

    def cell_values(
        self, version_ids: list[int], cell_ids: list[str] | None = None
    ) -> dict[int, dict[str, int | float | None]]:
        out: dict[int, dict[str, int | float | None]] = {vid: {} for vid in version_ids}
        if not version_ids:
            return out
        # Two index look-ups rather than a join: PostgreSQL would hash-join the whole version table.
        q = select(C.c.version_id, C.c.cell_id, C.c.value).where(C.c.version_id.in_(version_ids))
        if cell_ids is not None:
            q = q.where(C.c.cell_id.in_(cell_ids))
        with self.engine.connect() as conn:
            templates = dict(conn.execute(select(V.c.id, V.c.template).where(V.c.id.in_(version_ids))).all())
            for vid, cid, value in conn.execute(q):
                out[vid][cid] = value_of(templates[vid], cid, value)
        return out

    def search(self, query: str, limit: int = 50) -> list[int]:
        """Current version ids whose agency, title or text contain every word of ``query``."""
        with self.engine.connect() as conn:
            return _search.query(conn, query, limit)

    def versions(self, report_id: int) -> list[dict[str, Any]]:
        """Every version of a report, oldest first (a corrected report follows its predecessor)."""
        cols = [V.c.id, V.c.sha256, V.c.source, V.c.created_at, V.c.is_current, V.c.errors, V.c.warnings]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(V.c.report_id == report_id).order_by(V.c.id))
            return [{**r._mapping, "version_id": r.id, "is_current": bool(r.is_current)} for r in rows]

    def version_row(self, version_id: int) -> dict[str, Any]:
        """The list row of one version (current or not); ``NotFound`` for no such version."""
        q = self._any_version().where(V.c.id == version_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"#{version_id}", "没有这个报告版本", "no such report version")
        return _row(row._mapping)

    def version_file(self, version_id: int) -> dict[str, Any]:
        """The original a version was read from (sha256, source, media type); ``NotFound`` for none."""
        cols = [V.c.sha256, V.c.source, V.c.media_type]
        with self.engine.connect() as conn:
            row = conn.execute(select(*cols).where(V.c.id == version_id)).first()
        if row is None:
            raise NotFound(f"#{version_id}", "没有这个报告版本", "no such report version")
        return dict(row._mapping)

    def previous(self, report: Report) -> Report | None:
        """The same agency's report of the year before (same name and region), current version."""
        if not report.agency.name or report.year is None:
            return None
        code = report.agency.region.code if report.agency.region else None
        prev = [
            r
            for r in self.rows(year=report.year - 1, agency=report.agency.name)
            if (r["region_code"] or None) == code
        ]
        return self.load(prev[0]["version_id"]) if prev else None

    # -- counts ----------------------------------------------------------------------------------

    def counts(self, region_prefix: str | None = None, year: int | None = None) -> dict[str, Any]:
        """Overview numbers over current versions; for the whole store they are recomputed only when the
        reports or a review decision changed (latest version id, number of current versions and latest
        decision id are the cache key: index look-ups — a sum over the versions would read every row)."""
        if region_prefix or year is not None:
            return self._counts_now(region_prefix, year)
        return self.memo(("counts",), self._counts_now)

    def _state(self) -> tuple:
        """What changes when reports, their versions or review decisions change, whoever changed them:
        the store generation the database's triggers bump (migration 0010) — one look-up."""
        with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                return tuple(conn.exec_driver_sql("SELECT last_value, is_called FROM store_generation").one())
            return (conn.exec_driver_sql("SELECT n FROM store_generation").scalar(),)

    def memo(self, what: tuple, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the reports or review decisions change (``_state``); the last
        ``MEMO_SIZE`` kept. ``what`` names the result and everything else it depends on."""
        state = self._state()
        with self._cache_lock:
            hit = self._cache.get(what)
            if hit is not None and hit[0] == state:
                self._cache.move_to_end(what)
                return hit[1]
        value = compute()
        with self._cache_lock:
            self._cache[what] = (state, value)
            while len(self._cache) > MEMO_SIZE:
                self._cache.popitem(last=False)
        return value

    def top_rules(
        self, region_prefix: str | None = None, year: int | None = None, n: int = 10
    ) -> list[tuple[str, int]]:
        """The error rules most often broken (dismissed findings not counted), with their counts."""
        return self.memo(
            ("top_rules", region_prefix, year, n), lambda: self._top_rules(region_prefix, year, n)
        )

    def _top_rules(self, region_prefix: str | None, year: int | None, n: int) -> list[tuple[str, int]]:
        cur = self._filtered(region_prefix=region_prefix, year=year, has_errors=True).subquery()
        with self.engine.connect() as conn:
            rows = conn.execute(_broken_rules(select(cur.c.version_id), n)).all()
        return [(r, c) for r, c in rows]

    def _counts_now(self, region_prefix: str | None = None, year: int | None = None) -> dict[str, Any]:
        cur = self._filtered(region_prefix=region_prefix, year=year).subquery()
        broken_case = case((cur.c.errors - cur.c.dismissed_errors > 0, 1), else_=0)
        with self.engine.connect() as conn:
            by_year_rows = conn.execute(
                select(cur.c.year, func.count(), func.coalesce(func.sum(broken_case), 0)).group_by(cur.c.year)
            ).all()
            by_prov = dict(conn.execute(select(cur.c.province, func.count()).group_by(cur.c.province)).all())
            total, broken = conn.execute(select(func.count(), func.coalesce(func.sum(broken_case), 0))).one()
            broken_ids = select(cur.c.version_id).where(cur.c.errors - cur.c.dismissed_errors > 0)
            rules = conn.execute(_broken_rules(broken_ids, 10)).all()
        # None (year or province not recognised) sorts last and is shown as 未识别, never dropped.
        by_year = sorted(
            ((y, n, int(b)) for y, n, b in by_year_rows), key=lambda t: (t[0] is None, t[0] or 0)
        )
        return {
            "reports": total,
            "by_year": [{"year": y, "reports": n, "with_errors": b} for y, n, b in by_year],
            "by_province": sorted(
                ({"province": p, "reports": n} for p, n in by_prov.items()),
                key=lambda d: (d["province"] is None, -d["reports"]),
            ),
            "with_errors": int(broken),
            "error_rate": (int(broken) / total) if total else 0.0,
            "top_rules": [(r, n) for r, n in rules],
        }


def _level_clause(level: str) -> Any:
    code = A.c.region_code
    if level == "province":
        return and_(func.length(code) == 6, code.endswith("0000"))
    if level == "city":
        return and_(func.length(code) == 6, code.endswith("00"), ~code.endswith("0000"))
    if level == "county":
        return and_(func.length(code) == 6, ~code.endswith("00"))
    if level == "township":
        return func.length(code) > 6
    return code == ""  # "unknown"


def _row(m: Any) -> dict[str, Any]:
    d = dict(m)
    d["open_errors"] = max(0, (d.get("errors") or 0) - (d.get("dismissed_errors") or 0))
    d["level"] = level_of(d.get("region_code"))
    return d


def _insert_rows(conn: Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Tuples in ``columns`` order (JSON already text) straight to the driver: COPY on PostgreSQL,
    executemany elsewhere (SQLAlchemy's per-row parameter processing costs more than the insert)."""
    if not rows:
        return
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.dbapi_connection  # psycopg 3, in this transaction
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({', '.join([mark] * len(columns))})", rows)


def _broken_rules(versions: Select, n: int) -> Any:
    """The ``n`` error rules most often failed in ``versions`` (a select of version ids with open errors;
    dismissed findings do not count). The versions are chosen first and their findings looked up by
    index: joining the other way walks every finding in the store (~65 ms at 100,000 reports)."""
    return (
        select(F.c.rule, func.count())
        .where(
            and_(
                F.c.version_id.in_(versions),
                F.c.severity == "error",
                F.c.status == "fail",
                F.c.review.is_distinct_from("dismissed"),
            )
        )
        .group_by(F.c.rule)
        .order_by(func.count().desc(), F.c.rule)
        .limit(n)
    )
