"""Query + Dialect -> (sql, params): pure functions, no I/O.

Like Plausible's query builder, metrics are split by the table that can answer them (the table
decider): `events` (non-engagement events), `sessions` (one row per visit) and engagement events
(scroll depth, time on page). Each side is one grouped subquery over the same dimensions; the
sides are joined on the dimensions, then ordered and paginated in SQL. Every value is a `?`
parameter, in the order the placeholders appear in the text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from footfall.query.columns import (
    ALIAS,
    ENGAGEMENT,
    EVENTS,
    SESSIONS,
    Sql,
    column,
)
from footfall.query.dialect import Dialect
from footfall.query.filters import where_filter
from footfall.query.model import (
    ENGAGEMENT_METRICS,
    SESSION_METRICS,
    SESSION_ONLY_DIMENSIONS,
    Query,
    QueryError,
    walk,
)


@dataclasses.dataclass(slots=True)
class Compiled:
    sql: str
    params: list[object]
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]  # SQL metric columns, after the dimension columns (d0..dn)


def decide_tables(query: Query, metrics: tuple[str, ...]) -> dict[str, str]:
    """Which side answers each SQL metric (Plausible's table decider, simplified)."""
    conditions = walk(query.filters)
    # Per-minute buckets count who was active in each minute (realtime), not when visits began.
    event_constrained = (
        any(d.startswith("event:") for d in query.dimensions)
        or any(c.dimension.startswith("event:") for c, _ in conditions)
        or query.granularity == "minute"
    )
    session_forced = any(d in SESSION_ONLY_DIMENSIONS for d in query.dimensions)
    if session_forced and any(d.startswith("event:") for d in query.dimensions):
        raise QueryError("Entry and exit page dimensions cannot be queried along with event dimensions.")
    out: dict[str, str] = {}
    for m in metrics:
        if m in SESSION_METRICS:
            out[m] = SESSIONS
        elif m in ENGAGEMENT_METRICS:
            out[m] = ENGAGEMENT
        elif m in ("visits", "visitors"):
            # Either table can count these; visits are several times fewer rows than events, so
            # they answer unless an event dimension or filter needs the events themselves.
            out[m] = SESSIONS if session_forced or not event_constrained else EVENTS
        else:
            out[m] = SESSIONS if session_forced else EVENTS
    return out


def sql_metrics(query: Query) -> tuple[str, ...]:
    """The metrics the main SQL computes: the requested ones, plus visitors for derived metrics."""
    wanted = [m for m in query.metrics if m not in ("percentage", "conversion_rate", "group_conversion_rate")]
    if len(wanted) != len(query.metrics) and "visitors" not in wanted:
        wanted.append("visitors")
    return tuple(wanted)


def compile_query(query: Query, dialect: Dialect, *, paginate: bool = True) -> Compiled:
    metrics = sql_metrics(query)
    tables = decide_tables(query, metrics)
    sides = [t for t in (EVENTS, SESSIONS, ENGAGEMENT) if t in tables.values()]
    dims = query.dimensions
    sql = Sql()
    sql.add("WITH ")
    for i, side in enumerate(sides):
        if i:
            sql.add(", ")
        sql.add(f"{ALIAS[side]} AS (")
        _side(sql, query, dialect, side, tuple(m for m in metrics if tables[m] == side))
        sql.add(")")
    first = ALIAS[sides[0]]
    sql.add(" SELECT ")
    cols = []
    for i in range(len(dims)):
        keys = ", ".join(f"{ALIAS[s]}.d{i}" for s in sides)
        cols.append(f"coalesce({keys}) AS d{i}" if len(sides) > 1 else f"{first}.d{i} AS d{i}")
    for m in metrics:
        expr = f"{ALIAS[tables[m]]}.{m}"
        cols.append(f"{expr} AS {m}" if m in ENGAGEMENT_METRICS else f"coalesce({expr}, 0) AS {m}")
    if query.total_rows:
        cols.append("count(*) OVER () AS total_rows")
    sql.add(", ".join(cols))
    sql.add(f" FROM {first}")
    for n, side in enumerate(sides[1:], start=1):
        if not dims:
            sql.add(f" CROSS JOIN {ALIAS[side]}")
            continue
        on = []
        for i in range(len(dims)):
            left = ", ".join(f"{ALIAS[s]}.d{i}" for s in sides[:n])
            on.append(f"{ALIAS[side]}.d{i} = " + (f"coalesce({left})" if n > 1 else f"{first}.d{i}"))
        sql.add(f" FULL OUTER JOIN {ALIAS[side]} ON " + " AND ".join(on))
    order = []
    for key, direction in query.order_by:
        if key in dims:
            order.append(f"d{dims.index(key)} {direction.upper()}")
        elif key in metrics:
            order.append(f"{key} {direction.upper()}")
        elif "visitors" in metrics:  # percentage / conversion rates order like visitors
            order.append(f"visitors {direction.upper()}")
    order += [f"d{i} ASC" for i in range(len(dims))]
    if order:
        sql.add(" ORDER BY " + ", ".join(order))
    if paginate and dims:
        sql.add(" LIMIT ? OFFSET ?", query.limit, query.offset)
    if len(sides) > 1 and dims:
        sql.add(dialect.join_settings())
    return Compiled(sql.text(), sql.params, dims, metrics)


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _side(sql: Sql, query: Query, dialect: Dialect, side: str, metrics: tuple[str, ...]) -> None:
    time_col = "start" if side == SESSIONS else "timestamp"
    select: list[tuple[str, tuple[object, ...]]] = []
    for i, dim in enumerate(query.dimensions):
        text, params = _dimension(query, dialect, side, dim)
        select.append((f"{text} AS d{i}", params))
    if side == ENGAGEMENT:
        _engagement_side(sql, query, dialect, select, metrics)
        return
    for m in metrics:
        select.append((f"{_metric(dialect, side, m)} AS {m}", ()))
    sql.add("SELECT ")
    for n, (text, params) in enumerate(select):
        sql.add((", " if n else "") + text, *params)
    sql.add(f" FROM {side} ")
    _where(sql, query, dialect, side, time_col)
    if query.dimensions:
        sql.add(" GROUP BY " + ", ".join(f"d{i}" for i in range(len(query.dimensions))))


def _engagement_side(
    sql: Sql, query: Query, dialect: Dialect, dims: list[tuple[str, tuple[object, ...]]], metrics: tuple[str, ...]
) -> None:
    # Scroll depth is the deepest scroll per (visit, page), averaged; time on page is the summed
    # engagement time over the visits that reported any (reference/plausible.md §1.7).
    names = [f"d{i}" for i in range(len(dims))]
    sql.add("SELECT " + "".join(f"{n}, " for n in names))
    outer = []
    if "scroll_depth" in metrics:
        outer.append("avg(sd) AS scroll_depth")
    if "time_on_page" in metrics:
        outer.append(f"sum(ems) / 1000.0 / nullif({dialect.uniq('session_id')}, 0) AS time_on_page")
    sql.add(", ".join(outer) + " FROM (SELECT ")
    for text, params in dims:
        sql.add(text + ", ", *params)
    sql.add(
        "session_id, pathname, max(CASE WHEN scroll_depth <= 100 THEN scroll_depth END) AS sd, "
        "sum(engagement_ms) AS ems FROM events "
    )
    _where(sql, query, dialect, ENGAGEMENT, "timestamp")
    sql.add(" GROUP BY " + "".join(f"{n}, " for n in names) + "session_id, pathname) AS per_page")
    if names:
        sql.add(" GROUP BY " + ", ".join(names))


def _metric(dialect: Dialect, side: str, metric: str) -> str:
    if side == EVENTS:
        return {
            "visitors": dialect.uniq("visitor_id"),
            "visits": dialect.uniq("session_id"),
            "pageviews": "sum(CASE WHEN name = 'pageview' THEN 1 ELSE 0 END)",
            "events": "count(*)",
        }[metric]
    return {
        "visitors": dialect.uniq("visitor_id"),
        "visits": "count(*)",
        "pageviews": "sum(pageviews)",
        "events": "sum(events)",
        "bounce_rate": "sum(CASE WHEN is_bounce THEN 1 ELSE 0 END) * 100.0 / count(*)",
        "visit_duration": "avg(duration)",
        "views_per_visit": "sum(pageviews) * 1.0 / count(*)",
    }[metric]


def _dimension(query: Query, dialect: Dialect, side: str, dim: str) -> tuple[str, tuple[object, ...]]:
    if dim.startswith("time"):
        time_col = "start" if side == SESSIONS else "timestamp"
        unit = query.granularity or "day"
        offset = fixed_offset(query)
        if offset == 0:
            return dialect.truncate(unit, time_col), ()
        if offset is not None:
            return dialect.truncate(unit, dialect.shifted(time_col)), (offset,)
        return dialect.truncate(unit, dialect.local_time(time_col)), (query.timezone,)
    return column(dialect, side, dim)


def fixed_offset(query: Query) -> int | None:
    """The site's UTC offset in seconds if it is the same throughout the range, else None.

    Converting every row through a time zone database costs far more than adding a constant;
    most ranges do not cross a daylight-saving change, so they bucket by a fixed shift.
    """
    r = query.date_range
    try:
        tz = zoneinfo.ZoneInfo(query.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0
    if r.end - r.start > dt.timedelta(days=400):
        return None
    offsets = set()
    at = r.start
    while at < r.end:
        offsets.add(at.astimezone(tz).utcoffset())
        at += dt.timedelta(hours=12)
    offsets.add((r.end - dt.timedelta(seconds=1)).astimezone(tz).utcoffset())
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return int(offset.total_seconds()) if offset is not None else 0


def _where(sql: Sql, query: Query, dialect: Dialect, side: str, time_col: str) -> None:
    r = query.date_range
    sql.add(
        f"WHERE site_id = ? AND {time_col} >= ? AND {time_col} < ?",
        query.site_id,
        _naive_utc(r.start),
        _naive_utc(r.end),
    )
    if side == EVENTS:
        sql.add(" AND name <> 'engagement'")
    elif side == ENGAGEMENT:
        sql.add(" AND name = 'engagement'")
    if side != SESSIONS and "event:goal" in query.dimensions:
        sql.add(" AND name NOT IN ('pageview', 'engagement')")
    for f in query.filters:
        sql.add(" AND ")
        where_filter(sql, query, dialect, side, f)


def compile_realtime(site_id: str, since: dt.datetime, dialect: Dialect) -> tuple[str, list[object]]:
    """Distinct visitors with a non-engagement event since `since` (v1 realtime/visitors)."""
    sql = (
        f"SELECT {dialect.uniq('visitor_id')} FROM events WHERE site_id = ? AND timestamp >= ? AND name <> 'engagement'"
    )
    return sql, [site_id, _naive_utc(since)]


def compile_first_event(site_id: str) -> tuple[str, list[object]]:
    return "SELECT min(timestamp) FROM events WHERE site_id = ?", [site_id]


def compile_range_size(query: Query) -> tuple[str, list[object]]:
    """How many events the query's range holds (answered from DuckDB's row-group statistics)."""
    r = query.date_range
    return (
        "SELECT count(*) FROM events WHERE site_id = ? AND timestamp >= ? AND timestamp < ?",
        [query.site_id, _naive_utc(r.start), _naive_utc(r.end)],
    )
