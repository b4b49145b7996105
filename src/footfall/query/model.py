"""The stats query as one value: metrics x dimensions x filters x date range x order x include x pagination.

Built only by query/parse.py (from the public JSON, validated), then compiled by query/compile.py.
Everything here is plain immutable data so the compiler stays a pure function of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

# Metrics in the order Plausible's docs list them.
METRICS: tuple[str, ...] = (
    "visitors",
    "visits",
    "pageviews",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
    "events",
    "scroll_depth",
    "time_on_page",
    "percentage",
    "conversion_rate",
    "group_conversion_rate",
)

# Metrics that only the sessions table can answer.
SESSION_METRICS = frozenset({"bounce_rate", "visit_duration", "views_per_visit"})
# Metrics computed from engagement events.
ENGAGEMENT_METRICS = frozenset({"scroll_depth", "time_on_page"})
# Metrics computed from a second query (a total) after the main one.
DERIVED_METRICS = frozenset({"percentage", "conversion_rate", "group_conversion_rate"})

EVENT_PROPS = ("name", "page", "goal", "hostname")
VISIT_PROPS = (
    "source",
    "channel",
    "referrer",
    "utm_medium",
    "utm_source",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "screen",
    "device",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "country",
    "region",
    "city",
    "country_name",
    "region_name",
    "city_name",
    "entry_page",
    "exit_page",
    "entry_page_hostname",
    "exit_page_hostname",
)
TIME_DIMENSIONS = ("time", "time:minute", "time:hour", "time:day", "time:week", "time:month")
# Footfall's finest bucket: one minute, for ranges of at most this long (2,880 buckets).
MINUTE_MAX_RANGE = dt.timedelta(hours=48)
# Footfall extension: the custom property keys themselves (one row per key an event carries).
PROP_KEYS_DIMENSION = "event:props"
# Visit dimensions only the sessions table holds (events inherit every other visit attribute).
SESSION_ONLY_DIMENSIONS = frozenset(
    {"visit:entry_page", "visit:exit_page", "visit:entry_page_hostname", "visit:exit_page_hostname"}
)

FILTER_OPS = (
    "is",
    "is_not",
    "contains",
    "contains_not",
    "matches",
    "matches_not",
    "matches_wildcard",
    "matches_wildcard_not",
)
NEGATED_OPS = frozenset({"is_not", "contains_not", "matches_not", "matches_wildcard_not"})

Direction = Literal["asc", "desc"]
Granularity = Literal["minute", "hour", "day", "week", "month"]


@dataclasses.dataclass(frozen=True, slots=True)
class Condition:
    """A simple filter: [op, dimension, clauses, {case_sensitive}]; matches if any clause matches."""

    op: str
    dimension: str
    clauses: tuple[str, ...]
    case_sensitive: bool = True

    def to_json(self) -> list[object]:
        out: list[object] = [self.op, self.dimension, list(self.clauses)]
        if not self.case_sensitive:
            out.append({"case_sensitive": False})
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class Logical:
    """["and"|"or", [tree...]] or ["not", tree] (a single child)."""

    op: Literal["and", "or", "not"]
    children: tuple[Filter, ...]

    def to_json(self) -> list[object]:
        if self.op == "not":
            return ["not", self.children[0].to_json()]
        return [self.op, [c.to_json() for c in self.children]]


Filter = Condition | Logical


def walk(filters: tuple[Filter, ...]) -> list[tuple[Condition, int]]:
    """Every simple condition with its nesting depth (0 = top level)."""
    out: list[tuple[Condition, int]] = []

    def visit(f: Filter, depth: int) -> None:
        if isinstance(f, Condition):
            out.append((f, depth))
        else:
            for child in f.children:
                visit(child, depth + 1)

    for f in filters:
        visit(f, 0)
    return out


@dataclasses.dataclass(frozen=True, slots=True)
class DateRange:
    """A half-open UTC instant range [start, end) plus how to echo it (in the site's timezone)."""

    start: dt.datetime  # aware, UTC
    end: dt.datetime  # aware, UTC, exclusive
    first_local: dt.datetime  # aware, site timezone: the echoed first instant
    last_local: dt.datetime  # aware, site timezone: the echoed last instant (inclusive, to the second)

    def echo(self) -> list[str]:
        return [self.first_local.isoformat(), self.last_local.isoformat()]

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    site_id: str  # the site's UUID (storage key)
    site_domain: str  # echoed as site_id, as Plausible does
    timezone: str
    metrics: tuple[str, ...]
    date_range: DateRange
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()  # implicitly joined with "and"
    order_by: tuple[tuple[str, Direction], ...] = ()
    time_labels: bool = False
    total_rows: bool = False
    imports: bool = False
    comparison: DateRange | None = None
    comparison_mode: str = ""
    limit: int = 10_000
    offset: int = 0
    # The raw "date_range" as sent, for echoing relative shorthands faithfully.
    date_range_input: object = None

    @property
    def time_dimension(self) -> str | None:
        return next((d for d in self.dimensions if d.startswith("time")), None)

    @property
    def granularity(self) -> Granularity | None:
        d = self.time_dimension
        if d is None:
            return None
        if d != "time":
            return d.split(":", 1)[1]  # type: ignore[return-value]
        return granularity_for(self.date_range)

    def replace(self, **changes: object) -> Query:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def granularity_for(date_range: DateRange) -> Granularity:
    """What the bare `time` dimension means for a range, as Plausible's optimiser picks it."""
    span = date_range.length
    if span <= dt.timedelta(hours=48):
        return "hour"
    if span <= dt.timedelta(days=40):
        return "day"
    return "month"


class QueryError(Exception):
    """A query the API refuses: the message is Plausible's 400 `error` text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
