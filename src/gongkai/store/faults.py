"""What can go wrong below the store, told apart: a lost database connection (worth retrying), a full
disk (not), and everything else (a problem with what was being saved).

``retrying(fn)`` runs a store operation that is safe to repeat (one transaction, idempotent: saving a
batch skips the shas already saved) and runs it again after a dropped connection; the engine's pool
then hands out a fresh connection (``pool_pre_ping``). A full disk or a connection that stays lost
becomes a ``StoreUnavailable`` error of one line, in Chinese and English, with no SQL or parameters.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..errors import GongkaiError

T = TypeVar("T")

# Seconds to wait before each further attempt after a dropped connection (about half a minute in all).
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StoreUnavailable(GongkaiError):
    """The database or the originals' folder cannot take writes (connection lost, disk full);
    ``kind`` is "connection" or "disk"."""

    def __init__(self, source: str, problem: str, problem_en: str = "", kind: str = "connection") -> None:
        super().__init__(source, problem, problem_en)
        self.kind = kind

    def __reduce__(self):
        return (type(self), (self.source, self.problem, self.problem_en, self.kind))


def _chain(err: BaseException) -> list[BaseException]:
    out, seen = [], set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        out.append(e)
        e = getattr(e, "orig", None) or e.__cause__ or e.__context__
    return out


def is_disk_full(err: BaseException) -> bool:
    """No space left (OSError ENOSPC/EDQUOT/EFBIG, SQLite "database or disk is full", PostgreSQL
    SQLSTATE class 53 or "No space left on device")."""
    for e in _chain(err):
        if isinstance(e, OSError) and e.errno in _DISK_ERRNOS:
            return True
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and state.startswith("53"):
            return True
        text = str(e).lower()
        if "disk is full" in text or "no space left on device" in text:
            return True
    return False


def _driver_error(e: BaseException) -> BaseException:
    return getattr(e, "orig", None) or e if isinstance(e, DBAPIError) else e


def is_disconnect(err: BaseException) -> bool:
    """The database connection broke (server restarted, backend terminated, network gone). Also raw
    driver errors: COPY runs on the driver's connection, outside SQLAlchemy's error wrapping."""
    if is_disk_full(err):
        return False
    if isinstance(err, DBAPIError):
        if err.connection_invalidated:
            return True
        if not isinstance(err, (OperationalError, InterfaceError)):
            return False
    orig = _driver_error(err)
    module = type(orig).__module__ or ""
    if module.startswith("psycopg"):
        if type(orig).__name__ not in ("OperationalError", "InterfaceError") and not any(
            b.__name__ in ("OperationalError", "InterfaceError") for b in type(orig).__mro__
        ):
            return False
        state = getattr(orig, "sqlstate", None)
        # 08 connection exception, 57P01-03 terminated/shutdown; None when the socket simply died
        return state is None or state.startswith(("08", "57P"))
    if module.startswith("sqlite3"):  # another process holds the lock longer than busy_timeout
        return "database is locked" in str(orig)
    return False


def _retry_delays() -> tuple[float, ...]:
    """``RETRY_DELAYS``, or ``GONGKAI_RETRY_DELAYS`` (seconds, comma-separated) when set."""
    env = os.environ.get("GONGKAI_RETRY_DELAYS")
    if env is None:
        return RETRY_DELAYS
    return tuple(float(x) for x in env.split(",") if x.strip())


def unavailable(err: BaseException) -> StoreUnavailable | None:
    """The one-line error for a lost connection or a full disk; None for anything else."""
    if isinstance(err, StoreUnavailable):
        return err
    if is_disk_full(err):
        return StoreUnavailable(
            "存储",
            "磁盘空间已满，无法继续写入（数据库或原件文件夹）；请腾出空间后重新运行，已保存的不会重复",
            "the disk is full (database or originals folder); free some space and run again — "
            "nothing saved will be saved twice",
            kind="disk",
        )
    if is_disconnect(err):
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0][:200] if str(err) else ""
        return StoreUnavailable(
            "数据库",
            f"与数据库的连接中断且无法恢复（{reason}）；请检查数据库后重新运行，已保存的不会重复",
            f"the database connection was lost and could not be restored ({reason}); check the database "
            "and run again — nothing saved will be saved twice",
            kind="connection",
        )
    return None


def retrying(
    fn: Callable[[], T],
    *,
    delays: tuple[float, ...] | None = None,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """``fn()``, run again after each dropped connection (it must be one transaction, safe to repeat);
    a full disk, or a connection still lost after the last delay, raises ``StoreUnavailable``."""
    for delay in (*(_retry_delays() if delays is None else delays), None):
        try:
            return fn()
        except Exception as e:
            if is_disconnect(e) and delay is not None:
                if on_retry is not None:
                    on_retry(e)
                time.sleep(delay)
                continue
            fatal = unavailable(e)
            if fatal is not None:
                raise fatal from None
            raise
    raise AssertionError("unreachable")


def short_reason(err: BaseException) -> tuple[str, str]:
    """Why a single report could not be saved, in a line (zh, en): the driver's message, never the SQL
    statement or its parameters."""
    inner = getattr(err, "orig", None) or err
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    text = f"{type(inner).__name__}: {text}"[:300]
    return f"无法保存到数据库：{text}", f"could not be saved to the database: {text}"
