"""Stats API v1 (legacy GET endpoints) translated into v2 query bodies.

v1 is a thin layer: its period/date/filters/property parameters become a v2 body that the one
query engine answers (reference/plausible.md §4.3).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from footfall.model import Site
from footfall.query.parse import MAX_CLAUSE_LEN

PROPERTY_REQUIRED = "The `property` parameter is required. Please provide at least one property to show a breakdown by."
BAD_LIMIT = "Please provide limit as a number between 1 and 1000."
BAD_PAGE = "Please provide page as a number greater than 0."
MAX_FILTER_LEN = 10_000


class V1Error(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def breakdown_key(dimension: str) -> str:
    """v1 names a breakdown's value by the property's last segment: `page`, `source`, a prop name."""
    return dimension.rsplit(":", 1)[-1]


def _today(site: Site, now_ms: int) -> dt.date:
    try:
        tz = zoneinfo.ZoneInfo(site.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    return dt.datetime.fromtimestamp(now_ms / 1000, tz).date()


def _month_start(d: dt.date, back: int = 0) -> dt.date:
    index = d.year * 12 + d.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(d: dt.date) -> dt.date:
    return _month_start(d, -1) - dt.timedelta(days=1)


def date_range(period: str, date: str | None, site: Site, now_ms: int) -> Any:
    if period == "custom":
        parts = (date or "").split(",")
        if len(parts) != 2:
            raise V1Error(
                "Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 "
                "formatted dates joined by a comma. See https://plausible.io/docs/stats-api#time-periods "
                "for more information."
            )
        return [p.strip() for p in parts]
    if date:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise V1Error(
                "Error parsing `date` parameter: invalid_format. Please specify a valid date in ISO-8601 format."
            ) from exc
    else:
        day = _today(site, now_ms)
    if period == "day":
        first, last = day, day
    elif period == "7d":
        first, last = day - dt.timedelta(days=6), day
    elif period == "30d":
        first, last = day - dt.timedelta(days=29), day
    elif period == "month":
        first, last = _month_start(day), _month_end(day)
    elif period == "6mo":
        first, last = _month_start(day, 5), _month_end(day)
    elif period == "12mo":
        first, last = _month_start(day, 11), _month_end(day)
    elif period == "year":
        first, last = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    else:
        raise V1Error(
            f"Error parsing `period` parameter: invalid period `{period}`. Please find accepted values in our docs: "
            "https://plausible.io/docs/stats-api#time-periods"
        )
    return [first.isoformat(), last.isoformat()]


_SPLIT = re.compile(r"(?<!\\)\|")


def parse_filters(raw: str) -> list[Any]:
    """`visit:browser==Firefox;event:page!=/a|/b*` -> v2 filters (`;` and, `|` any of, `*` wildcard)."""
    if len(raw) > MAX_FILTER_LEN:
        raise V1Error("Invalid filter expression: too long.")
    out: list[Any] = []
    for part in raw.split(";"):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([a-z_:]+(?:props:[^=!~]+)?)\s*(==|!=|~|!~)\s*(.*)$", part, re.S)
        if not m:
            raise V1Error(f"Invalid filter expression: {part}")
        key, op, value = m.group(1).strip(), m.group(2), m.group(3)
        values = [v.replace("\\|", "|").strip() for v in _SPLIT.split(value)]
        if any(len(v) > MAX_CLAUSE_LEN for v in values):
            raise V1Error(f"Invalid filter expression: {part}")
        wildcard = any("*" in v for v in values) and key != "event:goal"
        if op in ("~", "!~"):
            name = "contains" if op == "~" else "contains_not"
        elif wildcard:
            name = "matches_wildcard" if op == "==" else "matches_wildcard_not"
        else:
            name = "is" if op == "==" else "is_not"
        out.append([name, key, values])
    return out


def v1_to_v2(kind: str, args: dict[str, str], site: Site, now_ms: int) -> dict[str, Any]:
    metrics = [m.strip() for m in args.get("metrics", "visitors").split(",") if m.strip()] or ["visitors"]
    period = args.get("period", "30d")
    body: dict[str, Any] = {
        "site_id": site.domain,
        "metrics": metrics,
        "date_range": date_range(period, args.get("date"), site, now_ms),
    }
    if args.get("filters"):
        body["filters"] = parse_filters(args["filters"])
    include: dict[str, Any] = {}
    compare = args.get("compare")
    if compare == "previous_period" and kind == "aggregate":
        include["comparisons"] = {"mode": "previous_period"}
    if kind == "timeseries":
        interval = args.get("interval") or (
            "hour" if period == "day" else "month" if period in ("6mo", "12mo") else "day"
        )
        interval = "day" if interval == "date" else interval
        if interval not in ("hour", "day", "week", "month"):
            raise V1Error(
                f"Error parsing `interval` parameter: invalid interval `{interval}`. "
                "Valid intervals are `hour`, `date`, `week`, `month`"
            )
        body["dimensions"] = [f"time:{interval}"]
    elif kind == "breakdown":
        prop = args.get("property")
        if not prop:
            raise V1Error(PROPERTY_REQUIRED)
        if prop == "event:hostname":
            raise V1Error(
                "Property 'event:hostname' is currently not supported for breakdowns. Please provide a valid property "
                "for the breakdown endpoint: https://plausible.io/docs/stats-api#properties"
            )
        limit_raw, page_raw = args.get("limit", "100"), args.get("page", "1")
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 1000:
            raise V1Error(BAD_LIMIT)
        if not page_raw.isdigit() or int(page_raw) < 1:
            raise V1Error(BAD_PAGE)
        limit, page = int(limit_raw), int(page_raw)
        body["dimensions"] = [prop]
        body["pagination"] = {"limit": limit, "offset": (page - 1) * limit}
    if include:
        body["include"] = include
    return body
