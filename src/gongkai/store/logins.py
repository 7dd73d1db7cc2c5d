"""``store.logins``: the login throttle's counts, in the database so that every web worker (``gongkai
serve --workers N``) sees the same lockouts. The policy (limits, lockout doubling) is the caller's
(``web.security.Throttle``); this module makes each step one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .models import LoginThrottle

if TYPE_CHECKING:
    from . import Store

LT = LoginThrottle.__table__


class Logins:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def attempt(self, keys: Sequence[tuple[str, int]], now: float, lockout: float, longest: float) -> float:
        """Count one attempt against each ``(key, limit)``; returns the seconds still to wait (> 0: the
        attempt is refused and not counted). The attempt that reaches a limit may run; it locks the key
        for ``lockout`` seconds, doubled for each earlier lockout, at most ``longest``."""
        names = [k for k, _ in keys]
        with self.engine.begin() as conn:
            ins = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(LT)
            # The insert takes the write lock (SQLite) and the rows are locked (PostgreSQL) before
            # anything is read: concurrent guesses are counted one after another.
            conn.execute(
                ins.on_conflict_do_nothing(index_elements=["key"]),
                [{"key": k, "failures": 0, "lockouts": 0, "until": 0.0, "last": now} for k in names],
            )
            q = select(LT.c.key, LT.c.failures, LT.c.lockouts, LT.c.until).where(LT.c.key.in_(names))
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            rows = {r.key: r for r in conn.execute(q)}
            wait = max(rows[k].until - now for k in names)
            if wait > 0:
                return wait
            for key, limit in keys:
                r = rows[key]
                values: dict = {"failures": r.failures + 1, "last": now}
                if r.failures + 1 >= limit:
                    values = {
                        "failures": 0,
                        "lockouts": r.lockouts + 1,
                        "until": now + min(longest, lockout * 2**r.lockouts),
                        "last": now,
                    }
                conn.execute(update(LT).where(LT.c.key == key).values(**values))
        return 0.0

    def succeeded(self, user_key: str, address_key: str) -> None:
        """A successful login forgets the account's record and takes back the address's count."""
        with self.engine.begin() as conn:
            conn.execute(delete(LT).where(LT.c.key == user_key))
            conn.execute(
                update(LT)
                .where(LT.c.key == address_key, LT.c.failures > 0)
                .values(failures=LT.c.failures - 1)
            )

    def prune(self, now: float, older_than: float) -> int:
        """Forget records neither locked nor touched for ``older_than`` seconds."""
        with self.engine.begin() as conn:
            gone = conn.execute(delete(LT).where(LT.c.until < now, LT.c.last < now - older_than))
            return gone.rowcount or 0
