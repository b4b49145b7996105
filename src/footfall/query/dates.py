"""Date ranges: Plausible's shorthands and pairs, in the site's timezone, and comparison periods.

Every range becomes a half-open UTC instant range plus the local first/last instants it echoes.
`today` and `now` are passed in; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Callable
from typing import Any

from footfall.query.model import DateRange, QueryError

StatsStart = Callable[[], dt.date | None]


def _i(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_SHORT = re.compile(r"^(\d{1,4})(d|mo)$")


def _add_months(d: dt.date, months: int) -> dt.date:
    index = d.year * 12 + d.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _end_of_month(d: dt.date) -> dt.date:
    return _add_months(d, 1) - dt.timedelta(days=1)


def local_days(first: dt.date, last: dt.date, tz: zoneinfo.ZoneInfo) -> DateRange:
    """Whole local days first..last (inclusive) as a UTC half-open range."""
    start_local = dt.datetime.combine(first, dt.time(), tz)
    end_local = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)
    last_local = dt.datetime.combine(last, dt.time(23, 59, 59), tz)
    return DateRange(start_local.astimezone(dt.UTC), end_local.astimezone(dt.UTC), start_local, last_local)


def parse_date_range(
    raw: Any,
    tz: zoneinfo.ZoneInfo,
    today: dt.date,
    now: dt.datetime,
    stats_start: StatsStart,
    *,
    trim: bool = False,
) -> DateRange:
    """Plausible's shorthands end today in the site's timezone; pairs are inclusive."""
    if isinstance(raw, str):
        if raw == "day":
            return local_days(today, today, tz)
        if raw == "month":
            last = today if trim else _end_of_month(today)
            return local_days(today.replace(day=1), last, tz)
        if raw == "year":
            last = today if trim else dt.date(today.year, 12, 31)
            return local_days(dt.date(today.year, 1, 1), last, tz)
        if raw == "all":
            start = stats_start() or today
            return local_days(min(start, today), today, tz)
        if raw in ("realtime", "30m"):
            minutes = 5 if raw == "realtime" else 30
            first = now - dt.timedelta(minutes=minutes)
            last = now + dt.timedelta(seconds=5)
            return DateRange(first, last, first.astimezone(tz), last.astimezone(tz))
        m = _SHORT.match(raw)
        if m:
            n, unit = int(m.group(1)), m.group(2)
            if unit == "d" and 1 <= n <= 5000:
                return local_days(today - dt.timedelta(days=n - 1), today, tz)
            if unit == "mo" and 1 <= n <= 100:
                return local_days(_add_months(today, -(n - 1)), _end_of_month(today), tz)
    elif isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw):
        return parse_date_pair(raw, tz)
    raise QueryError(f"Invalid date_range {_i(raw)}")


def parse_date_pair(raw: list[str], tz: zoneinfo.ZoneInfo) -> DateRange:
    if len(raw[0]) == 10 and len(raw[1]) == 10:
        try:
            first_d, last_d = dt.date.fromisoformat(raw[0]), dt.date.fromisoformat(raw[1])
        except ValueError as exc:
            raise QueryError(f"Invalid date_range {_i(raw)}") from exc
        if last_d < first_d:
            raise QueryError(f"Invalid date_range {_i(raw)}")
        return local_days(first_d, last_d, tz)
    try:
        first, last = dt.datetime.fromisoformat(raw[0]), dt.datetime.fromisoformat(raw[1])
    except ValueError as exc:
        raise QueryError(f"Invalid date_range {_i(raw)}") from exc
    if first.tzinfo is None or last.tzinfo is None or last < first:
        raise QueryError(f"Invalid date_range {_i(raw)}")
    return DateRange(first.astimezone(dt.UTC), (last + dt.timedelta(seconds=1)).astimezone(dt.UTC), first, last)


def parse_comparisons(raw: Any, main: DateRange, tz: zoneinfo.ZoneInfo) -> tuple[DateRange | None, str]:
    if raw is None:
        return None, ""
    if not isinstance(raw, dict) or raw.get("mode") not in ("previous_period", "year_over_year", "custom"):
        raise QueryError(f"Invalid include.comparisons {_i(raw)}")
    mode = raw["mode"]
    if mode == "custom":
        pair = raw.get("date_range")
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise QueryError(f"Invalid date_range '{_i(pair)}'.")
        return parse_date_pair(pair, tz), mode
    if mode == "year_over_year":
        first = _shift_year(main.first_local.date())
        last = _shift_year(main.last_local.date())
        return local_days(first, last, tz), mode
    return previous_period(main, tz), mode


def _shift_year(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def previous_period(main: DateRange, tz: zoneinfo.ZoneInfo) -> DateRange:
    """The same number of whole local days immediately before (or the same span, for instants)."""
    first, last = main.first_local.date(), main.last_local.date()
    if main.first_local.time() == dt.time() and main.last_local.time() == dt.time(23, 59, 59):
        days = (last - first).days + 1
        return local_days(first - dt.timedelta(days=days), first - dt.timedelta(days=1), tz)
    span = main.end - main.start
    start = main.start - span
    return DateRange(start, main.start, start.astimezone(tz), (main.start - dt.timedelta(seconds=1)).astimezone(tz))
