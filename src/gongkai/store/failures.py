"""Files that could not be read or saved: one open row per file, with its reason and attempts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, insert, select, update

from .models import Failure, utcnow

if TYPE_CHECKING:
    from . import Store

FL = Failure.__table__


class Failures:
    """``store.failures``: record (a retry adds an attempt to the open row), list, resolve."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def record(self, path: str, sha: str, error_zh: str, error_en: str) -> None:
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

    def list(self, resolved: bool = False) -> list[dict[str, Any]]:
        cols = [FL.c.path, FL.c.sha256, FL.c.error, FL.c.error_en, FL.c.attempts, FL.c.last_attempt]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(FL.c.resolved.is_(resolved)).order_by(FL.c.id))
            return [dict(r._mapping) for r in rows]

    def resolve(self, sha: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(FL).where(FL.c.sha256 == sha).values(resolved=True))
