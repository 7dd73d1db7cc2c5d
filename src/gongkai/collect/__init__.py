"""The collector: fetch the annual reports where agencies publish them, and watch who publishes on time.

- ``profile``  — what a report column, link, pager and date look like (data, not code)
- ``links``    — reading a page: its report links, attachments, pages, column links, publication date
- ``sites``    — the sites list (SITES.csv) and its sharding by host
- ``jobstate`` — the crawl's state in its job directory (resumable after kill -9)
- ``spider``   — the crawl on Scrapy (robots.txt, AutoThrottle, retries with back-off, size cap)
- ``run``      — ``collect()``: crawl, then the normal ingest of every document found
- ``watch``    — on time, late, missing, edited after publication, unreachable
"""

from __future__ import annotations

from .run import Summary, collect
from .spider import Options
from .watch import STATES, WatchEntry, watch

__all__ = ["STATES", "Options", "Summary", "WatchEntry", "collect", "watch"]
