"""The compiler is pure: Query + dialect -> (sql, params); values never enter the SQL text."""

from __future__ import annotations

import re

import pytest

from footfall.model import Site
from footfall.query.compile import compile_query, fixed_offset
from footfall.query.dialect import CLICKHOUSE, DUCKDB
from footfall.query.parse import parse

from conftest import T0

SITE = Site("9d8a0f3c-3f43-4c3b-a9a3-1b1a3c2f8e10", "example.com", timezone="Europe/Berlin")
HOSTILE = "'; DROP TABLE events; --"
BODY = {
    "site_id": "example.com",
    "metrics": ["visitors", "visits", "pageviews", "bounce_rate", "scroll_depth", "time_on_page"],
    "date_range": "7d",
    "dimensions": ["event:page", "time:day"],
    "filters": [
        ["is", "event:page", [HOSTILE]],
        ["or", [["contains", "visit:source", [HOSTILE]], ["matches", "visit:browser", ["^C.*"]]]],
        ["is_not", "visit:utm_source", [HOSTILE]],
        ["is", "visit:exit_page", [HOSTILE]],
    ],
    "include": {"total_rows": True},
}


@pytest.mark.parametrize("dialect", [DUCKDB, CLICKHOUSE])
def test_every_value_is_a_parameter(dialect):
    props = {
        **BODY,
        "metrics": ["visitors", "events"],
        "dimensions": [f"event:props:{HOSTILE}"],
        "filters": [["is_not", f"event:props:{HOSTILE}", ["x"]], ["is", "event:goal", [HOSTILE, f"Visit {HOSTILE}*"]]],
    }
    for body in (BODY, props):
        compiled = compile_query(parse(body, SITE, T0), dialect)
        assert HOSTILE not in compiled.sql
        assert "example.com" not in compiled.sql and SITE.id not in compiled.sql
        assert compiled.sql.count("?") == len(compiled.params)
        assert HOSTILE in compiled.params


def test_clickhouse_sql_uses_no_duckdb_only_functions():
    sql = compile_query(parse(BODY, SITE, T0), CLICKHOUSE).sql
    for duck_only in ("regexp_matches(", "date_trunc(", "contains(", "timezone(", "count(DISTINCT", "to_seconds("):
        assert duck_only not in sql
    assert "uniq(visitor_id)" in sql and "match(" in sql and "join_use_nulls" in sql


def test_a_range_across_a_dst_change_converts_each_row_through_the_time_zone():
    within = parse({**BODY, "date_range": ["2026-01-05", "2026-01-11"]}, SITE, T0)
    across = parse({**BODY, "date_range": ["2026-03-23", "2026-04-02"]}, SITE, T0)
    assert fixed_offset(within) == 3600
    assert fixed_offset(across) is None
    assert "timezone(?, timezone('UTC', timestamp))" in compile_query(across, DUCKDB).sql
    assert re.search(r"to_seconds", compile_query(within, DUCKDB).sql)


@pytest.mark.parametrize(
    ("dialect", "minute", "keys"),
    [
        (DUCKDB, "date_trunc('minute', ", "unnest(map_keys(props))"),
        (CLICKHOUSE, "toStartOfMinute(", "arrayJoin(mapKeys(props))"),
    ],
)
def test_minute_buckets_and_property_keys_in_each_dialect(dialect, minute, keys):
    body = {
        "site_id": "example.com",
        "metrics": ["visitors", "events"],
        "date_range": "day",
        "dimensions": ["time:minute", "event:props"],
        "filters": [["is", f"event:props:{HOSTILE}", [HOSTILE]]],
    }
    compiled = compile_query(parse(body, SITE, T0), dialect)
    assert minute in compiled.sql and keys in compiled.sql
    # Activity per minute: visitors come from the events themselves, not from when visits began.
    assert "FROM sessions" not in compiled.sql
    assert HOSTILE not in compiled.sql and compiled.params.count(HOSTILE) == 2
    assert compiled.sql.count("?") == len(compiled.params)
