"""Agencies: the publishers of reports and the keepers of ledgers (one row per name and region code)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.engine import Connection

from ..errors import NotFound
from ..report import Agency, Region
from .models import Agency as AgencyRow
from .models import LedgerApplication, User
from .rows import AGENCY_COLUMNS

if TYPE_CHECKING:
    from . import Store

A, U, LA = AgencyRow.__table__, User.__table__, LedgerApplication.__table__
COLS = (A.c.id, A.c.name, A.c.region_code, A.c.kind, A.c.province, A.c.city, A.c.county)


class AgencyLookupError(NotFound):
    """An agency name that matches no agency or several (message in Chinese)."""

    def __init__(self, problem: str, problem_en: str = "") -> None:
        super().__init__("", problem, problem_en or problem)

    def __str__(self) -> str:
        return self.problem

    def __reduce__(self):
        return (type(self), (self.problem, self.problem_en))


class Agencies:
    """``store.agencies``: look-ups by id and name, creation, and the ids the saving paths need."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def get(self, agency_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*COLS).where(A.c.id == agency_id)).mappings().first()
        return dict(row) if row is not None else None

    def rows(self, ids: list[int] | None = None, name: str = "") -> list[dict[str, Any]]:
        """Agency rows (these ids; names containing ``name``), by region code and name."""
        q = select(*COLS).order_by(A.c.region_code, A.c.name)
        if ids is not None:
            q = q.where(A.c.id.in_(ids))
        if name:
            q = q.where(A.c.name.contains(name, autoescape=True))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def with_desk(self) -> list[dict[str, Any]]:
        """Agencies that keep a ledger or have desk accounts, with their number of applications."""
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(LA.c.agency_id, func.count()).group_by(LA.c.agency_id)).all())
            staffed = {r for (r,) in conn.execute(select(U.c.agency_id).where(U.c.agency_id.is_not(None)))}
        rows = self.rows(sorted(set(counts) | staffed))
        return [r | {"applications": counts.get(r["id"], 0)} for r in rows]

    def find(self, name_or_id: str) -> dict[str, Any]:
        """The one agency with this exact name (or ``#id`` / a number: its id); a clear error otherwise."""
        key = name_or_id.strip()
        if key.lstrip("#").isdigit():
            row = self.get(int(key.lstrip("#")))
            if row is None:
                raise AgencyLookupError(f"没有编号为{key.lstrip('#')}的机关", f"no agency #{key.lstrip('#')}")
            return row
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(*COLS).where(A.c.name == key)).mappings()]
        if not rows:
            near = [r["name"] for r in self.rows(name=key)[:5]]
            hint = f"；名称相近的有：{'、'.join(near)}" if near else "；可用 gongkai desk agency-add 添加"
            raise AgencyLookupError(f"没有名为“{key}”的机关{hint}", f"no agency named {key}")
        if len(rows) > 1:
            listed = "；".join(f"#{r['id']}（区划代码{r['region_code'] or '未知'}）" for r in rows)
            raise AgencyLookupError(
                f"名为“{key}”的机关有{len(rows)}个：{listed}；请用编号指定，如 #{rows[0]['id']}",
                f"{len(rows)} agencies are named {key}: give its number",
            )
        return rows[0]

    def add(self, name: str, region_code: str = "", kind: str | None = None) -> dict[str, Any]:
        """Create (or find) an agency; the region comes from the code, else from the name (GB/T 2260)."""
        from .. import regions

        place = regions.get(region_code) if region_code else regions.resolve(name)
        if region_code and place is None:
            raise AgencyLookupError(f"区划代码{region_code}不存在", f"no region code {region_code}")
        region = None
        if place is not None:
            d = place.as_dict()
            region = Region(d["code"], d.get("province"), d.get("city"), d.get("county"))
        if kind is None:
            kind = "government" if name.endswith("人民政府") else "department"
        with self.engine.begin() as conn:
            aid = self.id_for(conn, Agency(name, kind, region))
        row = self.get(aid)
        assert row is not None
        return row

    # -- ids for the saving paths (inside the caller's transaction) ----------------------------------

    @staticmethod
    def id_for(conn: Connection, ag: Agency) -> int:
        """The agency's id, inserted when new; known kind and region parts refresh the stored row."""
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

    @staticmethod
    def ids_for(conn: Connection, agencies: Sequence[tuple]) -> list[int]:
        """Ids of the agencies (``AGENCY_COLUMNS`` tuples), inserted when new and refreshed in order
        as ``id_for`` does."""
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
