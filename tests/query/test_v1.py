"""Stats API v1 endpoints, thin wrappers over the same engine (reference/plausible.md §4.3)."""

from __future__ import annotations

import pytest

SITE = {"site_id": "example.com"}


async def test_aggregate(loaded):
    r = await loaded.get(
        "/api/v1/stats/aggregate", **SITE, period="day", metrics="visitors,visits,pageviews,bounce_rate"
    )
    assert r.status_code == 200
    assert r.json() == {
        "results": {
            "visitors": {"value": 3},
            "visits": {"value": 4},
            "pageviews": {"value": 5},
            "bounce_rate": {"value": 50},
        }
    }


async def test_aggregate_defaults_to_30_days_of_visitors(loaded):
    r = await loaded.get("/api/v1/stats/aggregate", **SITE)
    assert r.json() == {"results": {"visitors": {"value": 3}}}


async def test_timeseries_fills_every_day(loaded):
    r = await loaded.get("/api/v1/stats/timeseries", **SITE, period="7d", metrics="visitors,pageviews")
    results = r.json()["results"]
    assert [p["date"] for p in results] == [f"2026-03-{d:02d}" for d in range(4, 11)]
    assert results[-1] == {"date": "2026-03-10", "visitors": 3, "pageviews": 5}
    assert results[0] == {"date": "2026-03-04", "visitors": 0, "pageviews": 0}


async def test_timeseries_by_hour_for_a_day(loaded):
    r = await loaded.get("/api/v1/stats/timeseries", **SITE, period="day")
    results = r.json()["results"]
    assert len(results) == 24
    assert results[12] == {"date": "2026-03-10 12:00:00", "visitors": 3}


async def test_breakdown_names_rows_by_the_property(loaded):
    r = await loaded.get(
        "/api/v1/stats/breakdown", **SITE, period="day", property="visit:source", metrics="visitors,bounce_rate"
    )
    assert r.json() == {
        "results": [
            {"source": "Direct / None", "visitors": 2, "bounce_rate": 100},
            {"source": "Google", "visitors": 1, "bounce_rate": 0},
            {"source": "newsletter", "visitors": 1, "bounce_rate": 0},
        ]
    }
    r = await loaded.get(
        "/api/v1/stats/breakdown", **SITE, period="day", property="event:props:plan", limit="1", page="2"
    )
    assert r.json() == {"results": [{"plan": "pro", "visitors": 1}]}


async def test_v1_filters(loaded):
    r = await loaded.get(
        "/api/v1/stats/aggregate", **SITE, period="day", filters="visit:device==Desktop;event:page==/blog|/pricing"
    )
    assert r.json() == {"results": {"visitors": {"value": 1}}}
    r = await loaded.get("/api/v1/stats/aggregate", **SITE, period="day", filters="event:page==/b*")
    assert r.json() == {"results": {"visitors": {"value": 2}}}
    r = await loaded.get("/api/v1/stats/aggregate", **SITE, period="day", filters="visit:country!=US")
    assert r.json() == {"results": {"visitors": {"value": 2}}}


async def test_custom_period(loaded):
    r = await loaded.get("/api/v1/stats/aggregate", **SITE, period="custom", date="2026-03-01,2026-03-09")
    assert r.json() == {"results": {"visitors": {"value": 0}}}


async def test_realtime_visitors_counts_the_last_five_minutes(loaded, clock):
    r = await loaded.get("/api/v1/stats/realtime/visitors", **SITE)
    assert r.json() == 1  # A, a minute ago
    clock.advance(minutes=5)
    r = await loaded.get("/api/v1/stats/realtime/visitors", **SITE)
    assert r.json() == 0


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "breakdown",
            {},
            "The `property` parameter is required. Please provide at least one property to show a breakdown by.",
        ),
        (
            "breakdown",
            {"property": "visit:source", "limit": "1001"},
            "Please provide limit as a number between 1 and 1000.",
        ),
        ("aggregate", {"metrics": "nope"}, "Unknown metric '\"nope\"'."),
        ("aggregate", {"period": "fortnight"}, None),
        ("aggregate", {"period": "custom", "date": "2026-03-01"}, None),
        ("aggregate", {"date": "yesterday"}, None),
        ("timeseries", {"interval": "minute"}, None),
        ("breakdown", {"property": "event:hostname"}, None),
    ],
)
async def test_v1_errors_are_400_with_a_message(loaded, path, params, message):
    r = await loaded.get(f"/api/v1/stats/{path}", **SITE, **params)
    assert r.status_code == 400
    if message is not None:
        assert r.json() == {"error": message}
    else:
        assert r.json()["error"]


async def test_schema_is_served(client):
    r = await client.get("/api/docs/query/schema.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["required"] == ["site_id", "metrics", "date_range"]
    assert "visitors" in schema["properties"]["metrics"]["items"]["enum"]
