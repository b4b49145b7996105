"""Rendering: metric rounding, dimension labels, time buckets, and Plausible's response body.

`to_json` gives the v2 body with its keys in Plausible's order: results, meta, query.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import TYPE_CHECKING, Any

from footfall.query.columns import EMPTY_LABELS, PROPS_EMPTY
from footfall.query.names import country_name, region_name

if TYPE_CHECKING:
    from footfall.query.model import Query
    from footfall.query.run import Result

_INT_METRICS = frozenset(
    {"visitors", "visits", "pageviews", "events", "bounce_rate", "visit_duration", "scroll_depth", "time_on_page"}
)
_DEVICES = {"desktop": "Desktop", "mobile": "Mobile", "tablet": "Tablet"}
# Changes shown as a difference in points, not a percentage (Plausible's comparisons).
_POINT_CHANGE = frozenset({"bounce_rate", "conversion_rate", "group_conversion_rate", "percentage"})
# Sub-day buckets: their label format and length.
_CLOCK_BUCKETS = {
    "minute": ("%Y-%m-%d %H:%M:00", dt.timedelta(minutes=1)),
    "hour": ("%Y-%m-%d %H:00:00", dt.timedelta(hours=1)),
}


def inspect(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def round_metric(metric: str, value: Any) -> Any:
    if value is None:
        return None if metric in ("scroll_depth", "time_on_page") else 0
    if metric in _INT_METRICS:
        return int(round(float(value)))
    return round(float(value), 2)


def change(metric: str, previous: Any, current: Any) -> Any:
    if previous is None or current is None:
        return None
    if metric == "bounce_rate":
        return int(current - previous) if previous else None
    if metric in _POINT_CHANGE:
        return round(float(current) - float(previous), 1)
    if previous == 0:
        return 100 if current > 0 else 0
    return int(round((float(current) - float(previous)) / float(previous) * 100))


def _bucket_label(value: Any, granularity: str | None, first_day: dt.date) -> str:
    if isinstance(value, str):
        return value
    if granularity in _CLOCK_BUCKETS:
        return value.strftime(_CLOCK_BUCKETS[granularity][0])  # type: ignore[no-any-return]
    day = value.date() if isinstance(value, dt.datetime) else value
    if granularity == "week" and day < first_day:
        day = first_day  # a week that began before the range is labelled by the range's first day
    return day.isoformat()


def dimension_value(dimension: str, value: Any, granularity: str | None, first_day: dt.date) -> Any:
    if dimension.startswith("time"):
        return _bucket_label(value, granularity, first_day)
    text = "" if value is None else str(value)
    if dimension.startswith("event:props:"):
        return text or PROPS_EMPTY
    if dimension == "visit:device":
        return _DEVICES.get(text, text.capitalize()) if text else "(not set)"
    if dimension == "visit:country_name":
        return country_name(text) if text else ""
    if dimension == "visit:region_name":
        return region_name(text) if text else ""
    if not text and dimension in EMPTY_LABELS:
        return EMPTY_LABELS[dimension]
    return text


def time_labels(query: Query) -> list[str]:
    """Every bucket of the query's range at its granularity, in the site's timezone."""
    granularity = query.granularity or "day"
    r = query.date_range
    tz = zoneinfo.ZoneInfo(query.timezone)
    first, last = r.first_local.astimezone(tz), r.last_local.astimezone(tz)
    labels: list[str] = []
    if granularity in _CLOCK_BUCKETS:
        fmt, step = _CLOCK_BUCKETS[granularity]
        at = r.start.replace(second=0, microsecond=0)
        if granularity == "hour":
            at = at.replace(minute=0)
        while at < r.end:
            label = at.astimezone(tz).strftime(fmt)
            if not labels or labels[-1] != label:
                labels.append(label)
            at += step
        return labels
    day = first.date()
    if granularity == "week":
        day -= dt.timedelta(days=day.weekday())
    elif granularity == "month":
        day = day.replace(day=1)
    while day <= last.date():
        labels.append(max(day, first.date()).isoformat() if granularity == "week" else day.isoformat())
        if granularity == "day":
            day += dt.timedelta(days=1)
        elif granularity == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return labels


def echo(query: Query) -> dict[str, Any]:
    """The query after normalisation, as Plausible echoes it."""
    include: dict[str, Any] = {}
    if query.imports:
        include["imports"] = True
    if query.time_labels:
        include["time_labels"] = True
    if query.total_rows:
        include["total_rows"] = True
    out: dict[str, Any] = {
        "site_id": query.site_domain,
        "metrics": list(query.metrics),
        "date_range": query.date_range.echo(),
        "filters": [f.to_json() for f in query.filters],
        "dimensions": list(query.dimensions),
        "order_by": [[k, d] for k, d in query.order_by],
        "include": include,
        "pagination": {"limit": query.limit, "offset": query.offset},
    }
    if query.comparison is not None:
        include["comparisons"] = {"mode": query.comparison_mode}
        if query.comparison_mode == "custom":
            include["comparisons"]["date_range"] = query.comparison.echo()
        out["comparison_date_range"] = query.comparison.echo()
    return out


def to_json(result: Result) -> dict[str, Any]:
    query = result.query
    results = []
    for row in result.rows:
        item: dict[str, Any] = {
            "metrics": [row.metrics[m] for m in query.metrics],
            "dimensions": row.dimensions,
        }
        if row.comparison is not None and row.change is not None:
            item["comparison"] = {
                "dimensions": row.comparison.dimensions,
                "metrics": [row.comparison.metrics.get(m) for m in query.metrics],
                "change": [row.change[m] for m in query.metrics],
            }
        results.append(item)
    meta: dict[str, Any] = {}
    if query.imports:
        meta["imports_included"] = False
        meta["imports_skip_reason"] = "no_imported_data"
    if result.time_labels is not None:
        meta["time_labels"] = result.time_labels
    if result.total_rows is not None:
        meta["total_rows"] = result.total_rows
    return {"results": results, "meta": meta, "query": echo(query)}
