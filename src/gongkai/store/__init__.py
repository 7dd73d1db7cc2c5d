"""The store: reports, their versions, tidy cells and findings in SQLite (default) or PostgreSQL.

``Store.open(url)`` creates or upgrades the schema with Alembic. The original files live in a
content-addressed folder beside the database. Writes use SQLAlchemy Core (cells by executemany)
because batch ingest inserts ~200 cells per report.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Engine,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.sql import Select

from ..document import Provenance
from ..formats import FORMATS
from ..report import Agency, Cell, Fact, Finding, Region, Report, SectionText
from . import search as _search
from .files import FileStore
from .models import Agency as AgencyRow
from .models import CellRow, Failure, FindingRow, ReportVersion, SearchDoc, StoredFile, User, utcnow
from .models import Report as ReportRow
from .rows import (
    AGENCY_COLUMNS,
    CELL_COLUMNS,
    FINDING_COLUMNS,
    Prepared,
    cell_values,
    finding_values,
    prepare,
    search_doc,
    version_values,
)

__all__ = ["Store", "alembic_config"]

MIGRATIONS = Path(__file__).with_name("migrations")
A, R, V, C, F = (
    AgencyRow.__table__,
    ReportRow.__table__,
    ReportVersion.__table__,
    CellRow.__table__,
    FindingRow.__table__,
)
S, SF, FL = SearchDoc.__table__, StoredFile.__table__, Failure.__table__


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _default_files_dir(url: str) -> Path:
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        db = Path(u.database)
        return db.with_name(f"{db.stem}-files")
    return Path("gongkai-files")


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


def _value(template: str | None, cell_id: str, v: float | None) -> int | float | None:
    if v is None:
        return None
    if _kind(template, cell_id) in ("count", "delta") and float(v).is_integer():
        return int(v)
    return v


class Store:
    def __init__(self, engine: Engine, files: FileStore) -> None:
        self.engine = engine
        self.files = files

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str = "sqlite:///gongkai.db", files_dir: str | Path | None = None) -> Store:
        """Connect, create or upgrade the schema to the latest migration, and return the store."""
        u = make_url(url)
        sqlite = u.get_backend_name() == "sqlite"
        if sqlite and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
        if sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        files = files_dir or os.environ.get("GONGKAI_FILES") or _default_files_dir(url)
        return cls(engine, FileStore(files))

    def close(self) -> None:
        self.engine.dispose()

    def optimize(self) -> None:
        """Refresh the query planner's statistics (after a bulk load: PostgreSQL's autovacuum may not
        have analysed the new rows yet and would plan sequential scans over millions of cells)."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("PRAGMA optimize"))

    # -- files -----------------------------------------------------------------------------------

    def has_file(self, sha: str) -> bool:
        """True when a report version was saved from this file."""
        with self.engine.connect() as conn:
            return conn.execute(select(V.c.id).where(V.c.sha256 == sha)).first() is not None

    def put_file(self, data: bytes, name: str) -> str:
        sha = self.files.put(data)
        with self.engine.begin() as conn:
            if conn.execute(select(SF.c.sha256).where(SF.c.sha256 == sha)).first() is None:
                conn.execute(insert(SF).values(sha256=sha, name=name, size=len(data), created_at=utcnow()))
        return sha

    def saved_shas(self, shas: Collection[str]) -> set[str]:
        """Those of ``shas`` a report version was saved from (one query for a batch of files)."""
        if not shas:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(select(V.c.sha256).where(V.c.sha256.in_(set(shas)))).scalars())

    def put_files(self, files: Sequence[tuple[Path, str]]) -> set[str]:
        """Keep the originals (path, sha256 of its bytes) durably, then list them, in one transaction;
        returns the shas kept (a file changed since it was hashed is not)."""
        if not files:
            return set()
        sizes = self.files.put_many(files)
        with self.engine.begin() as conn:
            have = set(conn.execute(select(SF.c.sha256).where(SF.c.sha256.in_(sizes))).scalars())
            names = {sha: p.name for p, sha in files}
            rows = [
                {"sha256": sha, "name": names[sha], "size": size, "created_at": utcnow()}
                for sha, size in sizes.items()
                if sha not in have
            ]
            if rows:
                conn.execute(insert(SF), rows)
        return set(sizes)

    def get_file(self, sha: str) -> bytes:
        return self.files.get(sha)

    # -- saving ----------------------------------------------------------------------------------

    def save_report(self, report: Report, sha: str, source: str) -> tuple[int, bool]:
        """Save ``report`` read from the file ``sha``; returns (version id, created)."""
        with self.engine.begin() as conn:
            old = conn.execute(select(V.c.id).where(V.c.sha256 == sha)).scalar()
            if old is not None:
                return old, False
            report_id = self._report_id(conn, report)
            conn.execute(update(V).where(V.c.report_id == report_id).values(is_current=False))
            vid = self._insert_version(conn, report, report_id, sha, source)
            self._insert_cells(conn, report, vid)
            self._insert_findings(conn, report, vid)
            doc = search_doc(report)
            conn.execute(insert(S).values(version_id=vid, tokens=doc))
            _search.index(conn, vid, doc)
            return vid, True

    def save_reports(self, batch: Sequence[tuple[Report | Prepared, str, str]]) -> list[tuple[int, bool]]:
        """Save many (report, sha, source) in one transaction; returns (version id, created) for each.

        The same rows as ``save_report`` on each in turn (a sha already saved, or twice in the batch,
        is not saved again; agencies refreshed the same way; the last new version of a report is the
        current one), with a handful of statements per batch instead of a dozen per report. A report
        may come ``prepare``d already (ingest does that in its workers). Cells, findings and search
        rows go to the driver directly: COPY on PostgreSQL, executemany on SQLite.
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
                agency_ids = self._agency_ids(conn, [p.agency for p, _, _ in new])
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
                self._insert_rows(conn, "cell", ("version_id", *CELL_COLUMNS), cells)
                self._insert_rows(conn, "finding", ("version_id", *FINDING_COLUMNS), finds)
                self._insert_rows(conn, "search_doc", ("version_id", "tokens"), docs)
                if conn.dialect.name == "sqlite":
                    self._insert_rows(conn, "search_fts", ("rowid", "tokens"), docs)
        first: set[str] = set()
        out = []
        for _, sha, _ in batch:
            out.append((ids[sha], sha in created and sha not in first))
            first.add(sha)
        return out

    @staticmethod
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
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({cols}) VALUES ({', '.join([mark] * len(columns))})", rows
        )

    def _agency_ids(self, conn: Connection, agencies: list[tuple]) -> list[int]:
        """Ids of the agencies (``AGENCY_COLUMNS`` tuples), inserted when new and refreshed in order
        as ``_agency_id`` does."""
        cols = AGENCY_COLUMNS[2:]
        keys = [a[:2] for a in agencies]
        vals = [dict(zip(cols, a[2:], strict=True)) for a in agencies]
        stored = {
            (row.name, row.region_code): row
            for row in conn.execute(
                select(A.c.id, A.c.name, A.c.region_code, *(A.c[c] for c in cols)).where(
                    tuple_(A.c.name, A.c.region_code).in_(set(keys))
                )
            )
        }
        final: dict[tuple[str, str], dict[str, Any]] = {}
        for key, v in zip(keys, vals, strict=True):
            if key not in final:
                final[key] = dict(v) if key not in stored else {c: stored[key]._mapping[c] for c in cols}
                if key not in stored:
                    continue
            final[key].update({c: x for c, x in v.items() if x})  # the known values refresh
        fresh = [{"name": k[0], "region_code": k[1], **final[k]} for k in final if k not in stored]
        if fresh:
            conn.execute(insert(A), fresh)
        for key, row in stored.items():
            if final[key] != {c: row._mapping[c] for c in cols}:
                conn.execute(update(A).where(A.c.id == row.id).values(**final[key]))
        id_of = {k: row.id for k, row in stored.items()}
        if fresh:
            id_of.update(
                ((n, c), i)
                for i, n, c in conn.execute(
                    select(A.c.id, A.c.name, A.c.region_code).where(
                        tuple_(A.c.name, A.c.region_code).in_({(f["name"], f["region_code"]) for f in fresh})
                    )
                )
            )
        return [id_of[k] for k in keys]

    def _report_ids(self, conn: Connection, pairs: list[tuple[int, int | None]]) -> list[int]:
        """Ids of the reports (agency id, year), inserted when new."""
        q = select(R.c.id, R.c.agency_id, R.c.year).where(R.c.agency_id.in_({a for a, _ in pairs}))
        id_of = {(a, y): i for i, a, y in conn.execute(q)}
        missing = list(dict.fromkeys(p for p in pairs if p not in id_of))
        if missing:
            conn.execute(insert(R), [{"agency_id": a, "year": y} for a, y in missing])
            id_of = {(a, y): i for i, a, y in conn.execute(q)}
        return [id_of[p] for p in pairs]

    def _agency_id(self, conn: Connection, ag: Agency) -> int:
        reg = ag.region or Region(None)
        name, code = ag.name or "", reg.code or ""
        vals = {"kind": ag.kind, "province": reg.province, "city": reg.city, "county": reg.county}
        row = conn.execute(select(A.c.id).where(A.c.name == name, A.c.region_code == code)).scalar()
        if row is None:
            return conn.execute(insert(A).values(name=name, region_code=code, **vals)).inserted_primary_key[0]
        known = {k: v for k, v in vals.items() if v}
        if known:  # an agency with no region or kind has nothing to refresh
            conn.execute(update(A).where(A.c.id == row).values(**known))
        return row

    def _report_id(self, conn: Connection, report: Report) -> int:
        agency_id = self._agency_id(conn, report.agency)
        year_cond = R.c.year.is_(None) if report.year is None else R.c.year == report.year
        rid = conn.execute(select(R.c.id).where(R.c.agency_id == agency_id, year_cond)).scalar()
        if rid is None:
            rid = conn.execute(insert(R).values(agency_id=agency_id, year=report.year)).inserted_primary_key[
                0
            ]
        return rid

    def _insert_version(self, conn: Connection, r: Report, report_id: int, sha: str, source: str) -> int:
        row = {**version_values(r), "report_id": report_id, "sha256": sha, "source": source}
        return conn.execute(
            insert(V).values(**row, is_current=True, created_at=utcnow())
        ).inserted_primary_key[0]

    def _insert_cells(self, conn: Connection, r: Report, vid: int) -> None:
        rows = [dict(zip(("version_id", *CELL_COLUMNS), (vid, *c), strict=True)) for c in cell_values(r)]
        if rows:
            conn.execute(insert(C), rows)

    def _insert_findings(self, conn: Connection, r: Report, vid: int) -> None:
        cols = ("version_id", *FINDING_COLUMNS)
        rows = [dict(zip(cols, (vid, *f), strict=True)) for f in finding_values(r)]
        if rows:
            conn.execute(insert(F), rows)

    # -- failures --------------------------------------------------------------------------------

    def record_failure(self, path: str, sha: str, error_zh: str, error_en: str) -> None:
        key = FL.c.sha256 == sha if sha else and_(FL.c.sha256 == "", FL.c.path == path)
        now = utcnow()
        with self.engine.begin() as conn:
            fid = conn.execute(select(FL.c.id).where(key, FL.c.resolved.is_(False))).scalar()
            if fid is None:
                conn.execute(
                    insert(FL).values(
                        path=path,
                        sha256=sha,
                        error=error_zh,
                        error_en=error_en,
                        attempts=1,
                        first_attempt=now,
                        last_attempt=now,
                        resolved=False,
                    )
                )
            else:
                conn.execute(
                    update(FL)
                    .where(FL.c.id == fid)
                    .values(
                        path=path,
                        error=error_zh,
                        error_en=error_en,
                        attempts=FL.c.attempts + 1,
                        last_attempt=now,
                    )
                )

    def failures(self, resolved: bool = False) -> list[dict[str, Any]]:
        cols = [FL.c.path, FL.c.sha256, FL.c.error, FL.c.error_en, FL.c.attempts, FL.c.last_attempt]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(FL.c.resolved.is_(resolved)).order_by(FL.c.id))
            return [dict(r._mapping) for r in rows]

    def resolve_failures(self, sha: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(FL).where(FL.c.sha256 == sha).values(resolved=True))

    # -- reading ---------------------------------------------------------------------------------

    def load_report(self, version_id: int) -> Report:
        with self.engine.connect() as conn:
            v = conn.execute(
                select(V, A.c.name, A.c.kind, A.c.region_code, A.c.province, A.c.city, A.c.county, R.c.year)
                .join(R, R.c.id == V.c.report_id)
                .join(A, A.c.id == R.c.agency_id)
                .where(V.c.id == version_id)
            ).first()
            if v is None:
                raise KeyError(version_id)
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
                report.cells[c.cell_id] = Cell(
                    value=_value(v.template, c.cell_id, c.value),
                    raw=c.raw,
                    prov=_prov(c.provenance),
                    unit=c.unit,
                    stated_total=c.stated_total,
                    confidence=c.confidence,
                    recovered=bool(c.recovered),
                )
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
            )
            report.findings.append(finding)
            if f.is_issue:
                report.issues.append(finding)
        return report

    def _current(self) -> Select:
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
                V.c.template,
                V.c.errors,
                V.c.warnings,
                V.c.source,
                V.c.sha256,
            )
            .join(R, R.c.id == V.c.report_id)
            .join(A, A.c.id == R.c.agency_id)
            .where(V.c.is_current.is_(True))
        )

    def report_rows(
        self,
        year: int | None = None,
        region_prefix: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        has_errors: bool | None = None,
        agency: str | None = None,
        version_ids: Collection[int] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The current version of every report matching the filters (a page of them with ``limit``)."""
        q = self._current()
        if version_ids is not None:
            q = q.where(V.c.id.in_(list(version_ids)))
        if year is not None:
            q = q.where(R.c.year == year)
        if region_prefix:
            q = q.where(A.c.region_code.startswith(region_prefix, autoescape=True))
        if kind:
            q = q.where(A.c.kind == kind)
        if name:
            q = q.where(A.c.name.contains(name, autoescape=True))
        if agency is not None:  # exact name: uses the (name, region_code) index
            q = q.where(A.c.name == agency)
        if has_errors is not None:
            q = q.where(V.c.errors > 0 if has_errors else V.c.errors == 0)
        q = q.order_by(A.c.region_code, A.c.name, R.c.year, V.c.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

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
                out[vid][cid] = _value(templates[vid], cid, value)
        return out

    def search(self, query: str, limit: int = 50) -> list[int]:
        """Current version ids whose agency, title or text contain every word of ``query``."""
        with self.engine.connect() as conn:
            return _search.query(conn, query, limit)

    def versions(self, report_id: int) -> list[dict[str, Any]]:
        cols = [V.c.id, V.c.sha256, V.c.source, V.c.created_at, V.c.is_current, V.c.errors, V.c.warnings]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(V.c.report_id == report_id).order_by(V.c.id))
            return [{**r._mapping, "version_id": r.id, "is_current": bool(r.is_current)} for r in rows]

    def version_file(self, version_id: int) -> dict[str, Any] | None:
        """The original a version was read from (sha256, source, media type); None for no such version."""
        cols = [V.c.sha256, V.c.source, V.c.media_type]
        with self.engine.connect() as conn:
            row = conn.execute(select(*cols).where(V.c.id == version_id)).first()
        return dict(row._mapping) if row is not None else None

    def counts(self) -> dict[str, Any]:
        """Dashboard numbers over current versions; recomputed only when the reports changed (the
        latest version id and the number of current versions are the cache key: two index lookups)."""
        with self.engine.connect() as conn:
            key = conn.execute(
                select(func.max(V.c.id), func.count()).select_from(V).where(V.c.is_current.is_(True))
            ).one()
        cached = getattr(self, "_counts", None)
        if cached is not None and cached[0] == tuple(key):
            return cached[1]
        result = self._counts_now()
        self._counts = (tuple(key), result)
        return result

    def _counts_now(self) -> dict[str, Any]:
        cur = self._current().subquery()
        with self.engine.connect() as conn:
            by_year = dict(conn.execute(select(cur.c.year, func.count()).group_by(cur.c.year)).all())
            by_prov = dict(conn.execute(select(cur.c.province, func.count()).group_by(cur.c.province)).all())
            total, broken = conn.execute(
                select(func.count(), func.coalesce(func.sum(case((cur.c.errors > 0, 1), else_=0)), 0))
            ).one()
            rules = conn.execute(
                select(F.c.rule, func.count())
                .join(cur, cur.c.version_id == F.c.version_id)
                .where(F.c.severity == "error", F.c.status == "fail")
                .group_by(F.c.rule)
                .order_by(func.count().desc(), F.c.rule)
                .limit(10)
            ).all()
        return {
            "reports": total,
            "by_year": by_year,
            "by_province": by_prov,
            "with_errors": int(broken),
            "error_rate": (int(broken) / total) if total else 0.0,
            "top_rules": [(r, n) for r, n in rules],
        }

    # ---- accounts -----------------------------------------------------------------------------
    def add_user(
        self, username: str, password: str, role: str = "editor", agency_id: int | None = None
    ) -> int:
        """A local account; the password is stored only as an Argon2 hash. Desk staff and supervisors
        belong to an agency (see desk.access)."""
        from argon2 import PasswordHasher

        from ..desk.access import AGENCY_ROLES, ROLES

        if role not in ROLES:
            raise ValueError(f"unknown role: {role}")
        if role in AGENCY_ROLES and agency_id is None:
            raise ValueError(f"role {role} needs an agency")
        with self.engine.begin() as conn:
            return conn.execute(
                insert(User.__table__).values(
                    username=username,
                    password_hash=PasswordHasher().hash(password),
                    role=role,
                    agency_id=agency_id,
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user's id, name and role when the password is right; None otherwise (no hint which was wrong)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        t = User.__table__
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.id, t.c.username, t.c.role, t.c.password_hash).where(t.c.username == username)
            ).first()
        if row is None:
            PasswordHasher().hash(password)  # same work either way: no timing hint that the name is unknown
            return None
        try:
            PasswordHasher().verify(row.password_hash, password)
        except Argon2Error:
            return None
        return {"id": row.id, "username": row.username, "role": row.role}

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
