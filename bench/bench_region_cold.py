"""Cold region tallies: the cost a region page pays right after the store changed (the memo is empty).

    .venv/bin/python bench/bench_region_cold.py sqlite:///bench/web-100k.db

For each year 2019–2025 the memo is cleared and one call timed; prints the median and the maximum.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from gongkai.review.hierarchy import level
from gongkai.store import Store


def cold(store: Store, call: Callable[[int], object]) -> str:
    out = []
    for year in range(2019, 2026):
        store.reports._cache.clear()
        t0 = time.perf_counter()
        call(year)
        out.append(1000 * (time.perf_counter() - t0))
    return f"median {statistics.median(out):6.1f} ms   max {max(out):6.1f} ms"


def main() -> None:
    store = Store.open(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///bench/web-100k.db")
    print("level: country        ", cold(store, lambda y: level(store, "", y)))
    print("level: 广东省          ", cold(store, lambda y: level(store, "440000", y)))
    print("top rules: country    ", cold(store, lambda y: store.reports.top_rules(None, y)))
    print("light rows: country   ", cold(store, lambda y: store.reports.light("disclosure_rate", year=y)))
    print("publishers: country   ", cold(store, lambda y: store.reviews.expected_states(None, y)))


if __name__ == "__main__":
    main()
