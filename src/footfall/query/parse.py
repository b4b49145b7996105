"""JSON (Plausible's Stats API v2 body) -> Query, or QueryError with Plausible's 400 message.

Shape checks come first (what Plausible's JSON schema rejects), then parsing, then the semantic
validations of Plausible's query parser, in its order. `now_ms` is passed in: nothing here reads
the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from typing import Any

from footfall.model import Site
from footfall.query.dates import StatsStart, parse_comparisons, parse_date_range
from footfall.query.model import (
    ENGAGEMENT_METRICS,
    EVENT_PROPS,
    FILTER_OPS,
    METRICS,
    MINUTE_MAX_RANGE,
    PROP_KEYS_DIMENSION,
    SESSION_METRICS,
    TIME_DIMENSIONS,
    VISIT_PROPS,
    Condition,
    Direction,
    Filter,
    Logical,
    Query,
    QueryError,
    walk,
)

TOP_KEYS = frozenset({"site_id", "metrics", "date_range", "dimensions", "filters", "order_by", "include", "pagination"})
INCLUDE_KEYS = frozenset({"imports", "time_labels", "total_rows", "comparisons", "trim_relative_date_range"})
MAX_CLAUSES = 1000
MAX_CLAUSE_LEN = 2000
MAX_FILTER_DEPTH = 8
MAX_FILTERS = 100  # simple conditions in all trees: bounds the size of the generated SQL
MAX_REGEX_LEN = 1000
MAX_LIMIT = 10_000
_RE2_UNSUPPORTED = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|\(\?>|\\[zZ]\b|[*+?}]\+")


def _i(value: Any) -> str:
    """Plausible's `inspect` rendering of a value inside an error message."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def parse(params: Any, site: Site, now_ms: int, stats_start: StatsStart = lambda: None) -> Query:
    if not isinstance(params, dict):
        raise QueryError("#: Type mismatch. Expected Object but got " + _json_type(params) + ".")
    extra = sorted(set(params) - TOP_KEYS)
    if extra:
        raise QueryError(f"#/{extra[0]}: Schema does not allow additional properties.")
    missing = [k for k in ("site_id", "metrics", "date_range") if k not in params]
    if missing:
        raise QueryError(f"#: Required properties {', '.join(missing)} were not present.")
    tz = _zone(site.timezone)
    now = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
    today = now.astimezone(tz).date()

    metrics = _parse_metrics(params["metrics"])
    raw_range = params["date_range"]
    include = _object(params.get("include", {}), "include")
    bad_include = sorted(set(include) - INCLUDE_KEYS)
    if bad_include:
        raise QueryError(f"#/include/{bad_include[0]}: Schema does not allow additional properties.")
    trim = include.get("trim_relative_date_range") is True
    date_range = parse_date_range(raw_range, tz, today, now, stats_start, trim=trim)
    filters = parse_filters(params.get("filters", []))
    dimensions = _parse_dimensions(params.get("dimensions", []))
    order_by = _parse_order_by(params.get("order_by"))
    pagination = _object(params.get("pagination", {}), "pagination")
    limit = pagination.get("limit", MAX_LIMIT)
    offset = pagination.get("offset", 0)
    if not _is_int(limit) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"#/pagination/limit: Expected the value to be between 1 and {MAX_LIMIT}.")
    if not _is_int(offset) or offset < 0:
        raise QueryError("#/pagination/offset: Expected the value to be >= 0.")
    comparison, mode = parse_comparisons(include.get("comparisons"), date_range, tz)
    for flag in ("imports", "time_labels", "total_rows", "trim_relative_date_range"):
        if flag in include and not isinstance(include[flag], bool):
            raise QueryError(f"#/include/{flag}: Type mismatch. Expected Boolean but got {_json_type(include[flag])}.")

    query = Query(
        site_id=site.id,
        site_domain=site.domain,
        timezone=site.timezone,
        metrics=metrics,
        date_range=date_range,
        dimensions=dimensions,
        filters=filters,
        order_by=order_by or (),
        time_labels=include.get("time_labels") is True,
        total_rows=include.get("total_rows") is True,
        imports=include.get("imports") is True,
        comparison=comparison,
        comparison_mode=mode,
        limit=limit,
        offset=offset,
        date_range_input=raw_range,
    )
    validate(query)
    return add_default_order(query)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return "Null"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise QueryError(f"#/{name}: Type mismatch. Expected Object but got {_json_type(value)}.")
    return value


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# -- metrics, dimensions, order -------------------------------------------------------------


def _parse_metrics(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise QueryError(f"#/metrics: Type mismatch. Expected Array but got {_json_type(raw)}.")
    if not raw:
        raise QueryError("#/metrics: Expected a minimum of 1 items but got 0.")
    for metric in raw:
        if metric not in METRICS:
            raise QueryError(f"Unknown metric '{_i(metric)}'.")
    if len(set(raw)) != len(raw):
        raise QueryError("#/metrics: Expected items to be unique but they were not.")
    return tuple(raw)


def is_dimension(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    if key in TIME_DIMENSIONS or key == PROP_KEYS_DIMENSION:
        return True
    if key.startswith("event:props:"):
        return 0 < len(key) - len("event:props:") <= 300
    kind, _, prop = key.partition(":")
    return (kind == "event" and prop in EVENT_PROPS) or (kind == "visit" and prop in VISIT_PROPS)


def _parse_dimensions(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise QueryError(f"Invalid dimensions '{_i(raw)}'")
    for key in raw:
        if not is_dimension(key):
            raise QueryError(f"Invalid dimensions '{_i(raw)}'")
    if len(set(raw)) != len(raw):
        raise QueryError("#/dimensions: Expected items to be unique but they were not.")
    if sum(1 for d in raw if d in TIME_DIMENSIONS) > 1:
        raise QueryError(f"Invalid dimensions '{_i(raw)}'")
    return tuple(raw)


def _parse_order_by(raw: Any) -> tuple[tuple[str, Direction], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise QueryError(f"Invalid order_by '{_i(raw)}'.")
    out: list[tuple[str, Direction]] = []
    for entry in raw:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not (entry[0] in METRICS or is_dimension(entry[0]))
            or entry[1] not in ("asc", "desc")
        ):
            raise QueryError(f"Invalid order_by entry '{_i(entry)}'.")
        out.append((entry[0], entry[1]))
    return tuple(out)


def add_default_order(query: Query) -> Query:
    """Plausible's optimiser: the time dimension ascending, then the first metric descending."""
    if query.order_by:
        return query
    order: list[tuple[str, Direction]] = []
    if query.time_dimension:
        order.append((query.time_dimension, "asc"))
    order.append((query.metrics[0], "desc"))
    return query.replace(order_by=tuple(order))


# -- filters --------------------------------------------------------------------------------


def parse_filters(raw: Any) -> tuple[Filter, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_FILTERS:
        raise QueryError("Invalid filters passed.")
    filters = tuple(_parse_filter(f, 0) for f in raw)
    if len(walk(filters)) > MAX_FILTERS:
        raise QueryError("Invalid filters passed.")
    return filters


def _parse_filter(raw: Any, depth: int) -> Filter:
    if depth > MAX_FILTER_DEPTH:
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    if not isinstance(raw, list) or not raw or raw[0] not in (*FILTER_OPS, "and", "or", "not"):
        raise QueryError(f"Unknown operator for filter '{_i(raw)}'.")
    op = raw[0]
    if op == "not":
        if len(raw) != 2:
            raise QueryError(f"Invalid filter '{_i(raw)}'.")
        return Logical("not", (_parse_filter(raw[1], depth + 1),))
    if op in ("and", "or"):
        if len(raw) != 2 or not isinstance(raw[1], list) or not raw[1]:
            raise QueryError(f"Invalid filter '{_i(raw)}'.")
        return Logical(op, tuple(_parse_filter(f, depth + 1) for f in raw[1]))
    # Time buckets and property keys are dimensions to break down by, not to filter on.
    if len(raw) < 2 or not is_dimension(raw[1]) or raw[1] in (*TIME_DIMENSIONS, PROP_KEYS_DIMENSION):
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    if len(raw) < 3 or len(raw) > 4 or not isinstance(raw[2], list):
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    dimension, clauses = raw[1], raw[2]
    if dimension == "visit:city" and clauses and all(_is_int(c) for c in clauses):
        clauses = [str(c) for c in clauses]
    if not all(isinstance(c, str) for c in clauses) or len(clauses) > MAX_CLAUSES:
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    if any(len(c) > MAX_CLAUSE_LEN for c in clauses):
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    if dimension == "visit:country" and op in ("is", "is_not") and not all(len(c) == 2 for c in clauses):
        raise QueryError("Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.")
    case_sensitive = True
    if len(raw) == 4:
        modifiers = raw[3]
        if not isinstance(modifiers, dict) or set(modifiers) - {"case_sensitive"}:
            raise QueryError(f"Invalid filter '{_i(raw)}'.")
        if "case_sensitive" in modifiers:
            if not isinstance(modifiers["case_sensitive"], bool):
                raise QueryError(f"Invalid filter '{_i(raw)}'.")
            case_sensitive = modifiers["case_sensitive"]
    if op in ("matches", "matches_not"):
        for pattern in clauses:
            check_regex(pattern, raw)
    return Condition(op, dimension, tuple(clauses), case_sensitive)


def check_regex(pattern: str, raw: Any) -> None:
    """Only patterns RE2 (DuckDB's and ClickHouse's engine) accepts, bounded in length: no
    backreferences or lookarounds, whose backtracking is what makes regexes dangerous."""
    if len(pattern) > MAX_REGEX_LEN or _RE2_UNSUPPORTED.search(pattern):
        raise QueryError(f"Invalid filter '{_i(raw)}'.")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise QueryError(f"Invalid filter '{_i(raw)}'.") from exc


# -- semantic validation (Plausible's order) ------------------------------------------------


def validate(query: Query) -> None:
    conditions = walk(query.filters)
    valid = set(query.metrics) | set(query.dimensions)
    for entry in query.order_by:
        if entry[0] not in valid:
            raise QueryError(
                f"Invalid order_by entry '{{{_i(entry[0])}, :{entry[1]}}}'. Entry is not a queried metric or dimension."
            )
    for cond, depth in conditions:
        if depth > 0 and cond.dimension in ("event:goal", "event:hostname"):
            raise QueryError(f"Invalid filters. Dimension `{cond.dimension}` can only be filtered at the top level.")
    special = {"conversion_rate", "group_conversion_rate"} & set(query.metrics)
    if special and any(d > 0 and c.dimension.startswith("event:props:") for c, d in conditions):
        raise QueryError(
            "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, "
            "custom property filters can only be used on top level."
        )
    goal_filtered = any(c.dimension == "event:goal" for c, _ in conditions)
    page_top = any(isinstance(f, Condition) and f.dimension == "event:page" for f in query.filters)
    page_any = any(c.dimension == "event:page" for c, _ in conditions)
    for metric in query.metrics:
        if metric in ("conversion_rate", "group_conversion_rate"):
            if "event:goal" not in query.dimensions and not goal_filtered:
                raise QueryError(f"Metric `{metric}` can only be queried with event:goal filters or dimensions.")
        elif metric in ("scroll_depth", "time_on_page"):
            if "event:page" not in query.dimensions and not page_top:
                raise QueryError(f"Metric `{metric}` can only be queried with event:page filters or dimensions.")
        elif metric == "views_per_visit":
            if page_any:
                raise QueryError(f"Metric `{metric}` cannot be queried with a filter on `event:page`.")
            if query.dimensions:
                raise QueryError(f"Metric `{metric}` cannot be queried with `dimensions`.")
        elif metric == "percentage" and not query.dimensions:
            raise QueryError("Metric `percentage` can only be queried with a dimension.")
    session_metrics = [m for m in query.metrics if m in SESSION_METRICS]
    if session_metrics and any(d.startswith("event:") and d != "event:page" for d in query.dimensions):
        raise QueryError(
            f"Session metric(s) `{', '.join(session_metrics)}` cannot be queried along with event dimensions."
        )
    event_filtered = any(
        c.dimension.startswith("event:") and c.dimension not in ("event:page", "event:hostname") for c, _ in conditions
    )
    if session_metrics and event_filtered:
        raise QueryError(f"Metric `{session_metrics[0]}` cannot be queried when filtering on event dimensions.")
    engagement = {"scroll_depth", "time_on_page"} & set(query.metrics)
    if engagement and any(d.startswith("visit:") and d.endswith(("entry_page", "exit_page")) for d in query.dimensions):
        raise QueryError(f"Metric `{sorted(engagement)[0]}` cannot be queried with entry or exit page dimensions.")
    if query.time_labels and not query.time_dimension:
        raise QueryError("Invalid include.time_labels: requires a time dimension.")
    if query.time_dimension == "time:minute":
        for r in (query.date_range, query.comparison):
            if r is not None and r.length > MINUTE_MAX_RANGE:
                hours = int(MINUTE_MAX_RANGE.total_seconds()) // 3600
                raise QueryError(
                    f"Dimension `time:minute` can only be queried for date ranges of at most {hours} hours."
                )
    if PROP_KEYS_DIMENSION in query.dimensions:
        for metric in query.metrics:
            if metric in ENGAGEMENT_METRICS:
                raise QueryError(f"Metric `{metric}` cannot be queried with the `{PROP_KEYS_DIMENSION}` dimension.")
