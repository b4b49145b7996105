"""The SQL that differs between the event store backends, and nothing else.

The compiler writes portable SQL (CASE, sum, count, joins, window functions) and asks the dialect
only for what has no common spelling: distinct counts, time zones, regexes, map lookups.
Every value stays a `?` parameter; the dialect only shapes expressions around them.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    # Count distinct values approximately (HyperLogLog). Plausible's visitors are ClickHouse's
    # approximate `uniq`; exact distinct counts over millions of rows cost 10-15x more.
    approximate: bool = False

    def uniq(self, expr: str) -> str:
        if self.name == "clickhouse":
            return f"uniq({expr})"
        return f"approx_count_distinct({expr})" if self.approximate else f"count(DISTINCT {expr})"

    def local_time(self, column: str) -> str:
        """The UTC timestamp column as a naive timestamp in the timezone bound to the next `?`."""
        if self.name == "clickhouse":
            return f"toTimeZone({column}, ?)"
        return f"timezone(?, timezone('UTC', {column}))"

    def shifted(self, column: str) -> str:
        """The timestamp column moved by the number of seconds bound to the next `?`."""
        if self.name == "clickhouse":
            return f"addSeconds({column}, ?)"
        return f"({column} + to_seconds(CAST(? AS BIGINT)))"

    def truncate(self, unit: str, expr: str) -> str:
        if self.name == "clickhouse":
            fn = {
                "minute": "toStartOfMinute",
                "hour": "toStartOfHour",
                "day": "toDate",
                "week": "toMonday",
                "month": "toStartOfMonth",
            }[unit]
            return f"{fn}({expr})"
        # Literal unit names only (a closed set), never user input.
        return f"date_trunc('{unit}', {expr})"

    def contains(self, expr: str) -> str:
        """`expr` contains the string bound to the next `?`."""
        if self.name == "clickhouse":
            return f"position({expr}, ?) > 0"
        return f"contains({expr}, ?)"

    def regex(self, expr: str) -> str:
        """`expr` matches (anywhere) the RE2 pattern bound to the next `?`."""
        if self.name == "clickhouse":
            return f"match({expr}, ?)"
        return f"regexp_matches({expr}, ?)"

    def prop(self) -> str:
        """The value of the custom property named by the next `?`, '' when absent."""
        if self.name == "clickhouse":
            return "props[?]"
        return "coalesce(props[?], '')"

    def prop_keys(self) -> str:
        """One row per custom property key of the event (none for an event without properties)."""
        if self.name == "clickhouse":
            return "arrayJoin(mapKeys(props))"
        return "unnest(map_keys(props))"

    def join_settings(self) -> str:
        # ClickHouse fills unmatched outer-join columns with defaults unless told to use NULLs.
        return " SETTINGS join_use_nulls = 1" if self.name == "clickhouse" else ""


DUCKDB = Dialect("duckdb")
CLICKHOUSE = Dialect("clickhouse")


def for_store(dialect_name: str) -> Dialect:
    if dialect_name == "clickhouse":
        return CLICKHOUSE
    return DUCKDB
