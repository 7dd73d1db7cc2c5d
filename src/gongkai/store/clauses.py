"""SQL conditions shared by the store's modules."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement


def starts_with(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix``, said so that an index answers it: a range (prefix ≤ column <
    prefix with its last character raised) beside the LIKE. SQLite never uses an index for LIKE (it is
    case-insensitive there) and PostgreSQL only with text_pattern_ops; the LIKE keeps the meaning exact
    under any collation, the range only narrows what it is tried on (region codes are digits)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.startswith(prefix, autoescape=True))
