"""The range-size count that picks exact or approximate counting is shared briefly."""

from __future__ import annotations

from typing import Any

from footfall.model import Site
from footfall.query import parse
from footfall.query.run import RangeSizes

SITE = Site(id="9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10", domain="example.com")
NOW = 1_773_144_000_000


class CountingStore:
    dialect = "duckdb"

    def __init__(self) -> None:
        self.calls = 0

    def query(self, sql: str, params: Any = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        self.calls += 1
        return ["n"], [(1234,)]


def q(date_range: str) -> Any:
    return parse.parse({"site_id": "example.com", "metrics": ["visitors"], "date_range": date_range}, SITE, NOW)


def test_one_count_serves_queries_over_the_same_range_until_it_expires() -> None:
    now = [0]
    sizes = RangeSizes(lambda: now[0], ttl_ms=60_000)
    store = CountingStore()
    assert sizes.count(store, q("30d")) == 1234  # type: ignore[arg-type]
    assert sizes.count(store, q("30d")) == 1234  # type: ignore[arg-type]
    assert store.calls == 1
    sizes.count(store, q("7d"))  # type: ignore[arg-type]
    assert store.calls == 2
    now[0] = 60_000
    sizes.count(store, q("30d"))  # type: ignore[arg-type]
    assert store.calls == 3
