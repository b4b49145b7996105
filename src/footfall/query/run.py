"""Run a Query against an EventStore: the main SQL, the totals derived metrics need, time labels,
and the comparison period; then round metrics and render dimension values.

Like Plausible's query runner, this is a short pipe of steps over a result value. Blocking (the
store's calls are synchronous): the API runs it in a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from footfall.query import shape
from footfall.query.compile import compile_first_event, compile_query, compile_range_size
from footfall.query.dialect import Dialect, for_store
from footfall.query.model import Condition, Query, QueryError, walk
from footfall.storage.base import EventStore

Metrics = dict[str, Any]


@dataclasses.dataclass(slots=True)
class Row:
    dimensions: list[Any]
    metrics: Metrics
    comparison: Row | None = None
    change: dict[str, Any] | None = None


@dataclasses.dataclass(slots=True)
class Result:
    query: Query
    rows: list[Row]
    total_rows: int | None = None
    time_labels: list[str] | None = None


def first_event_date(store: EventStore, site_id: str, tz_name: str) -> dt.date | None:
    """When the site's stats begin: the `all` range starts there."""
    sql, params = compile_first_event(site_id)
    _cols, rows = store.query(sql, params)
    first = rows[0][0] if rows else None
    if first is None:
        return None
    return first.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(tz_name)).date()  # type: ignore[no-any-return]


# Above this many events in the range, distinct counts (visitors) are approximate, as Plausible's
# are at any size; below it they are exact, so small sites and tests get exact numbers.
EXACT_COUNT_LIMIT = 1_000_000


class RangeSizes:
    """How many events a site's date range holds, remembered for a minute.

    The count only decides between exact and approximate distinct counts, yet costs a scan; the
    dashboard sends nine queries over the same range at once, so one count serves them all.
    """

    def __init__(self, clock: Callable[[], int], ttl_ms: int = 60_000, max_entries: int = 1024) -> None:
        self._clock = clock
        self._ttl_ms = ttl_ms
        self._max = max_entries
        self._seen: dict[tuple[object, ...], tuple[int, int]] = {}

    def count(self, store: EventStore, query: Query) -> int:
        sql, params = compile_range_size(query)
        key = (sql, *params)
        now = self._clock()
        hit = self._seen.get(key)
        if hit is not None and now - hit[1] < self._ttl_ms:
            return hit[0]
        _cols, rows = store.query(sql, params)
        n = int(rows[0][0] or 0) if rows else 0
        if len(self._seen) >= self._max:
            self._seen.clear()
        self._seen[key] = (n, now)
        return n


def run(
    store: EventStore, query: Query, *, exact_limit: int = EXACT_COUNT_LIMIT, sizes: RangeSizes | None = None
) -> Result:
    dialect = for_store(store.dialect)
    if dialect.name == "duckdb":
        n = (sizes or RangeSizes(lambda: 0, ttl_ms=0)).count(store, query)
        if n > exact_limit:
            dialect = dataclasses.replace(dialect, approximate=True)
    result = _run_main(store, dialect, query)
    if query.comparison is not None:
        _add_comparison(store, dialect, query, result)
    return result


def _execute(store: EventStore, query: Query, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
    try:
        _cols, rows = store.query(sql, params)
    except Exception as exc:
        # A pattern Python's engine accepted but RE2 did not is still the client's bad filter.
        bad = next((c for c, _ in walk(query.filters) if c.op.startswith("matches")), None)
        message = str(exc).lower()
        if bad is not None and ("regex" in message or "invalid input" in message):
            raise QueryError(f"Invalid filter '{shape.inspect(bad.to_json())}'.") from exc
        raise
    return rows


def _run_main(store: EventStore, dialect: Dialect, query: Query, *, paginate: bool = True) -> Result:
    compiled = compile_query(query, dialect, paginate=paginate)
    raw = _execute(store, query, compiled.sql, compiled.params)
    n_dims = len(compiled.dimensions)
    granularity = query.granularity
    first_day = query.date_range.first_local.date()
    rows: list[Row] = []
    total_rows = None
    for record in raw:
        dims = [
            shape.dimension_value(d, v, granularity, first_day) for d, v in zip(query.dimensions, record, strict=False)
        ]
        values = dict(zip(compiled.metrics, record[n_dims : n_dims + len(compiled.metrics)], strict=True))
        if query.total_rows:
            total_rows = int(record[-1])
        rows.append(Row(dims, values))
    if query.total_rows and total_rows is None:
        total_rows = 0
    _add_derived(store, dialect, query, rows)
    for row in rows:
        row.metrics = {m: shape.round_metric(m, row.metrics.get(m)) for m in query.metrics}
    labels = shape.time_labels(query) if query.time_labels else None
    return Result(query, rows, total_rows, labels)


def _goal_free(query: Query) -> Query:
    """The query without top-level goal and custom-property filters: the conversion denominator."""
    kept = tuple(
        f
        for f in query.filters
        if not (isinstance(f, Condition) and (f.dimension == "event:goal" or f.dimension.startswith("event:props:")))
    )
    return query.replace(filters=kept)


def _totals(store: EventStore, dialect: Dialect, query: Query) -> int:
    total_query = query.replace(
        metrics=("visitors",), dimensions=(), order_by=(), total_rows=False, comparison=None, time_labels=False
    )
    compiled = compile_query(total_query, dialect)
    raw = _execute(store, query, compiled.sql, compiled.params)
    return int(raw[0][0] or 0) if raw else 0


def _add_derived(store: EventStore, dialect: Dialect, query: Query, rows: list[Row]) -> None:
    wanted = set(query.metrics)
    if "percentage" in wanted:
        total = _totals(store, dialect, query)
        for row in rows:
            row.metrics["percentage"] = _ratio(row.metrics["visitors"], total)
    if "conversion_rate" in wanted:
        total = _totals(store, dialect, _goal_free(query))
        for row in rows:
            row.metrics["conversion_rate"] = _ratio(row.metrics["visitors"], total)
    if "group_conversion_rate" in wanted:
        group_dims = tuple(d for d in query.dimensions if d != "event:goal")
        positions = [i for i, d in enumerate(query.dimensions) if d != "event:goal"]
        base = _goal_free(query).replace(
            metrics=("visitors",), dimensions=group_dims, order_by=(), total_rows=False, comparison=None
        )
        if group_dims:
            groups = {
                tuple(r.dimensions): r.metrics["visitors"] for r in _run_main(store, dialect, base, paginate=False).rows
            }
        else:
            groups = {(): _totals(store, dialect, base)}
        for row in rows:
            key = tuple(row.dimensions[i] for i in positions)
            row.metrics["group_conversion_rate"] = _ratio(row.metrics["visitors"], groups.get(key, 0))


def _ratio(part: Any, whole: Any) -> float:
    return round(float(part) / float(whole) * 100, 2) if whole else 0.0


def _add_comparison(store: EventStore, dialect: Dialect, query: Query, result: Result) -> None:
    assert query.comparison is not None
    previous = query.replace(date_range=query.comparison, comparison=None, limit=10_000, offset=0, total_rows=False)
    if query.time_dimension:
        previous = previous.replace(time_labels=True)
    other = _run_main(store, dialect, previous)
    time_index = query.dimensions.index(query.time_dimension) if query.time_dimension else -1
    main_labels = shape.time_labels(query) if time_index >= 0 else []
    other_labels = other.time_labels or []
    # Time buckets pair up by position: the Nth day of this period with the Nth of the previous.
    to_main = dict(zip(other_labels, main_labels, strict=False))
    by_key: dict[tuple[Any, ...], Row] = {}
    for row in other.rows:
        key = list(row.dimensions)
        if time_index >= 0:
            key[time_index] = to_main.get(key[time_index])
        by_key[tuple(key)] = row
    for row in result.rows:
        match = by_key.get(tuple(row.dimensions))
        if match is None:
            match = Row(
                list(row.dimensions),
                {
                    m: shape.round_metric(m, 0 if m not in ("scroll_depth", "time_on_page") else None)
                    for m in query.metrics
                },
            )
            if time_index >= 0:
                back = {v: k for k, v in to_main.items()}
                match.dimensions[time_index] = back.get(row.dimensions[time_index], row.dimensions[time_index])
        row.comparison = match
        row.change = {m: shape.change(m, match.metrics.get(m), row.metrics.get(m)) for m in query.metrics}


def fill_time_buckets(result: Result) -> list[Row]:
    """Every bucket of the range, empty ones with zero metrics (the v1 timeseries answer)."""
    query = result.query
    index = query.dimensions.index(query.time_dimension) if query.time_dimension else 0
    by_label = {r.dimensions[index]: r for r in result.rows}
    filled = []
    for label in shape.time_labels(query):
        row = by_label.get(label)
        if row is None:
            zero = {
                m: shape.round_metric(m, None if m in ("scroll_depth", "time_on_page") else 0) for m in query.metrics
            }
            row = Row([label], zero)
        filled.append(row)
    return filled
