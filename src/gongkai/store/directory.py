"""Agencies and accounts as plain rows, for the desk's access checks (desk.access) and name look-ups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..report import Agency, Region
from . import Store
from .models import Agency as AgencyRow
from .models import LedgerApplication, User

A, U, LA = AgencyRow.__table__, User.__table__, LedgerApplication.__table__
COLS = (A.c.id, A.c.name, A.c.region_code, A.c.kind, A.c.province, A.c.city, A.c.county)


class AgencyLookupError(LookupError):
    """An agency name that matches no agency or several (message in Chinese)."""


def agency_row(store: Store, agency_id: int) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(*COLS).where(A.c.id == agency_id)).mappings().first()
    return dict(row) if row is not None else None


def agency_rows(store: Store, ids: list[int] | None = None, name: str = "") -> list[dict[str, Any]]:
    """Agency rows (these ids; names containing ``name``), by region code and name."""
    q = select(*COLS).order_by(A.c.region_code, A.c.name)
    if ids is not None:
        q = q.where(A.c.id.in_(ids))
    if name:
        q = q.where(A.c.name.contains(name, autoescape=True))
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def desk_agencies(store: Store) -> list[dict[str, Any]]:
    """Agencies that keep a ledger or have desk accounts, with their number of applications."""
    with store.engine.connect() as conn:
        counts = dict(conn.execute(select(LA.c.agency_id, func.count()).group_by(LA.c.agency_id)).all())
        staffed = {r for (r,) in conn.execute(select(U.c.agency_id).where(U.c.agency_id.is_not(None)))}
    rows = agency_rows(store, sorted(set(counts) | staffed))
    return [r | {"applications": counts.get(r["id"], 0)} for r in rows]


def find_agency(store: Store, name_or_id: str) -> dict[str, Any]:
    """The one agency with this exact name (or ``#id`` / a number: its id); a clear error otherwise."""
    key = name_or_id.strip()
    if key.lstrip("#").isdigit():
        row = agency_row(store, int(key.lstrip("#")))
        if row is None:
            raise AgencyLookupError(f"没有编号为{key.lstrip('#')}的机关")
        return row
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(*COLS).where(A.c.name == key)).mappings()]
    if not rows:
        near = [r["name"] for r in agency_rows(store, name=key)[:5]]
        hint = f"；名称相近的有：{'、'.join(near)}" if near else "；可用 gongkai desk agency-add 添加"
        raise AgencyLookupError(f"没有名为“{key}”的机关{hint}")
    if len(rows) > 1:
        listed = "；".join(f"#{r['id']}（区划代码{r['region_code'] or '未知'}）" for r in rows)
        raise AgencyLookupError(
            f"名为“{key}”的机关有{len(rows)}个：{listed}；请用编号指定，如 #{rows[0]['id']}"
        )
    return rows[0]


def add_agency(store: Store, name: str, region_code: str = "", kind: str | None = None) -> dict[str, Any]:
    """Create (or find) an agency; the region comes from the code, else from the name (GB/T 2260)."""
    from .. import regions

    place = regions.get(region_code) if region_code else regions.resolve(name)
    if region_code and place is None:
        raise AgencyLookupError(f"区划代码{region_code}不存在")
    region = None
    if place is not None:
        d = place.as_dict()
        region = Region(d["code"], d.get("province"), d.get("city"), d.get("county"))
    if kind is None:
        kind = "government" if name.endswith("人民政府") else "department"
    with store.engine.begin() as conn:
        aid = store._agency_id(conn, Agency(name, kind, region))  # type: ignore[arg-type]
    row = agency_row(store, aid)
    assert row is not None
    return row


def user_row(store: Store, user_id: int) -> dict[str, Any] | None:
    """The account's current role and agency (read on every request: a changed role applies at once)."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(U.c.id, U.c.username, U.c.role, U.c.agency_id).where(U.c.id == user_id)
        ).first()
    return dict(row._mapping) if row is not None else None
