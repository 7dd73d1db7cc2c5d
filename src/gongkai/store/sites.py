"""``store.sites``: the collector's sites list, every document it fetched, and what it could not fetch.

A fetched document is one content of one URL: the row keeps the URL, the agency of the sites list,
the HTTP status and headers, the SHA-256 of the bytes (the original itself is in ``store.files``), the
validators for a conditional GET (ETag, Last-Modified), the publication date shown on the page and the
report version it became. When a URL's bytes change, a new row points back at the old one
(``previous_id``): that is how "edited after publication" is known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from .models import CrawlError, CrawlSite, FetchedDocument, utcnow

if TYPE_CHECKING:
    from . import Store

CS, FD, CE = CrawlSite.__table__, FetchedDocument.__table__, CrawlError.__table__


def _d(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


class Sites:
    """``store.sites``: sites, fetched documents (with their versions) and crawl errors."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    # -- the sites list --------------------------------------------------------------------------

    def sync(self, rows: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], int]:
        """Add the (agency, url, host) rows not yet known; returns the id of every row given."""
        rows = list(rows)
        with self.engine.begin() as conn:
            have = {(a, u): i for i, a, u in conn.execute(select(CS.c.id, CS.c.agency, CS.c.url))}
            new = [
                {"agency": a, "url": u, "host": h, "added_at": utcnow()}
                for a, u, h in dict.fromkeys(rows)
                if (a, u) not in have
            ]
            if new:
                conn.execute(insert(CS), new)
                have = {(a, u): i for i, a, u in conn.execute(select(CS.c.id, CS.c.agency, CS.c.url))}
        return {(a, u): have[(a, u)] for a, u, _ in rows}

    def mark(self, site_id: int, state: str, error: str | None = None, error_en: str | None = None) -> None:
        """How the site answered on this run: ``ok`` or ``unreachable`` (with the reason)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(CS)
                .where(CS.c.id == site_id)
                .values(last_run=utcnow(), last_state=state, last_error=error, last_error_en=error_en)
            )

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_d(r) for r in conn.execute(select(CS).order_by(CS.c.id))]

    # -- fetched documents -----------------------------------------------------------------------

    def latest(self, urls: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
        """The newest content known of each URL (all URLs when ``urls`` is None)."""
        q = select(FD).order_by(FD.c.id)
        if urls is not None:
            if not urls:
                return {}
            q = q.where(FD.c.url.in_(set(urls)))
        with self.engine.connect() as conn:
            return {r.url: _d(r) for r in conn.execute(q)}

    def add_document(self, **values: Any) -> int:
        now = utcnow()
        values.setdefault("fetched_at", now)
        values.setdefault("checked_at", now)
        with self.engine.begin() as conn:
            return conn.execute(insert(FD).values(**values)).inserted_primary_key[0]

    def update_document(self, doc_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(FD).where(FD.c.id == doc_id).values(**values))

    def document(self, doc_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(FD).where(FD.c.id == doc_id)).first()
            return _d(r) if r else None

    def documents(self, agency: str | None = None) -> list[dict[str, Any]]:
        q = select(FD).order_by(FD.c.id)
        if agency is not None:
            q = q.where(FD.c.agency == agency)
        with self.engine.connect() as conn:
            return [_d(r) for r in conn.execute(q)]

    def published_dates(self, version_ids: Collection[int]) -> dict[int, dt.date]:
        """The publication date the collector saw on the page of each version (where it knows one)."""
        if not version_ids:
            return {}
        q = (
            select(FD.c.version_id, func.min(FD.c.published))
            .where(FD.c.version_id.in_(set(version_ids)), FD.c.published.is_not(None))
            .group_by(FD.c.version_id)
        )
        with self.engine.connect() as conn:
            return {v: d for v, d in conn.execute(q) if d is not None}

    # -- errors ----------------------------------------------------------------------------------

    def add_error(
        self,
        site_id: int | None,
        agency: str,
        url: str,
        kind: str,
        error: str,
        error_en: str,
        http_status: int | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(CE).values(
                    site_id=site_id,
                    agency=agency,
                    url=url,
                    kind=kind,
                    http_status=http_status,
                    error=error,
                    error_en=error_en,
                    at=utcnow(),
                )
            )

    def errors(self, agency: str | None = None) -> list[dict[str, Any]]:
        q = select(CE).order_by(CE.c.id)
        if agency is not None:
            q = q.where(CE.c.agency == agency)
        with self.engine.connect() as conn:
            return [_d(r) for r in conn.execute(q)]
