"""The audit log: every write made through the web or the CLI — who, what, when, before and after."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from .models import AuditEntry, utcnow

if TYPE_CHECKING:
    from . import Store

AU = AuditEntry.__table__


def _plain(v: Any) -> Any:
    """JSON-safe copy (dates as ISO text)."""
    return json.loads(json.dumps(v, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)))


class Audit:
    """``store.audit``: append an entry (inside the caller's transaction when given one), list, count."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def record(
        self,
        actor: str,
        action: str,
        target: str,
        before: Any = None,
        after: Any = None,
        conn: Connection | None = None,
    ) -> None:
        row = {
            "at": utcnow(),
            "actor": actor,
            "action": action,
            "target": target[:200],
            "before": _plain(before),
            "after": _plain(after),
        }
        if conn is not None:
            conn.execute(insert(AU).values(**row))
            return
        with self.engine.begin() as c:
            c.execute(insert(AU).values(**row))

    def list(
        self, limit: int = 200, offset: int = 0, actor: str | None = None, action: str | None = None
    ) -> list[dict[str, Any]]:
        q = select(AU).order_by(AU.c.id.desc()).limit(limit).offset(offset)
        if actor:
            q = q.where(AU.c.actor == actor)
        if action:
            q = q.where(AU.c.action == action)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(AU)).scalar() or 0

    def since(self, when: dt.datetime) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(AU).where(AU.c.at >= when).order_by(AU.c.id))
            return [dict(r._mapping) for r in rows]
