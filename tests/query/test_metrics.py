"""Every metric and every dimension over the hand-built set (tests/query/conftest.py): known by hand."""

from __future__ import annotations

import pytest

from footfall.api.auth import ApiKeys

from conftest import CHROME_UA

DAY = "day"
ALL_AGGREGATE = ["visitors", "visits", "pageviews", "events", "bounce_rate", "visit_duration", "views_per_visit"]


async def test_aggregate_gives_every_metric_as_worked_out_by_hand(loaded):
    data = await loaded.query({"metrics": ALL_AGGREGATE, "date_range": DAY})
    assert data["results"] == [{"metrics": [3, 4, 5, 6, 50, 18, 1.25], "dimensions": []}]
    assert data["meta"] == {}
    assert data["query"] == {
        "site_id": "example.com",
        "metrics": ALL_AGGREGATE,
        "date_range": ["2026-03-10T00:00:00+00:00", "2026-03-10T23:59:59+00:00"],
        "filters": [],
        "dimensions": [],
        "order_by": [["visitors", "desc"]],
        "include": {},
        "pagination": {"limit": 10000, "offset": 0},
    }
    assert list(data) == ["results", "meta", "query"]


async def test_pages_breakdown_with_bounce_by_entry_page_scroll_depth_and_time_on_page(loaded):
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "visits", "pageviews", "bounce_rate", "scroll_depth", "time_on_page", "percentage"],
            "date_range": DAY,
            "dimensions": ["event:page"],
        }
    )
    assert rows == [
        # "/" was seen by A and C; visits entering on "/" are A1 (no bounce) and C (bounce)
        ("/", 2, 2, 2, 50, 30, 5, 66.67),
        ("/blog", 2, 2, 2, 50, None, None, 66.67),
        ("/pricing", 1, 1, 1, 0, 80, 20, 33.33),
    ]


async def test_scroll_depth_and_time_on_page_with_a_page_filter(loaded):
    rows = await loaded.rows(
        {
            "metrics": ["scroll_depth", "time_on_page"],
            "date_range": DAY,
            "filters": [["is", "event:page", ["/pricing"]]],
        }
    )
    assert rows == [(80, 20)]


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        ("event:name", [("pageview", 3, 5), ("Signup", 1, 1)]),
        ("event:hostname", [("example.com", 3, 6)]),
        ("event:props:plan", [("(none)", 3, 5), ("pro", 1, 1)]),
        ("event:goal", [("Signup", 1, 1)]),
        ("visit:source", [("Direct / None", 2, 2), ("Google", 1, 2), ("newsletter", 1, 2)]),
        # B came from a newsletter link: tagged, but with no referrer
        ("visit:referrer", [("Direct / None", 3, 4), ("google.com", 1, 2)]),
        ("visit:channel", [("Direct", 2, 2), ("Email", 1, 2), ("Organic Search", 1, 2)]),
        ("visit:utm_source", [("(not set)", 2, 4), ("newsletter", 1, 2)]),
        ("visit:utm_medium", [("(not set)", 2, 4), ("email", 1, 2)]),
        ("visit:utm_campaign", [("(not set)", 2, 4), ("spring", 1, 2)]),
        ("visit:utm_content", [("(not set)", 3, 6)]),
        ("visit:utm_term", [("(not set)", 3, 6)]),
        ("visit:device", [("Desktop", 2, 4), ("Mobile", 1, 2)]),
        ("visit:browser", [("Chrome", 2, 4), ("Safari", 1, 2)]),
        ("visit:os", [("Windows", 2, 4), ("iOS", 1, 2)]),
        ("visit:country", [("AU", 1, 1), ("GB", 1, 2), ("US", 1, 3)]),
        ("visit:country_name", [("Australia", 1, 1), ("United Kingdom", 1, 2), ("United States", 1, 3)]),
    ],
)
async def test_breakdown_by_each_dimension(loaded, dimension, expected):
    rows = await loaded.rows({"metrics": ["visitors", "events"], "date_range": DAY, "dimensions": [dimension]})
    assert rows == expected


async def test_versions_are_dimensions_too(loaded):
    rows = await loaded.rows(
        {"metrics": ["visitors"], "date_range": DAY, "dimensions": ["visit:browser", "visit:browser_version"]}
    )
    assert [r[0] for r in rows] == ["Chrome", "Safari"]
    assert all(r[1] and r[1] != "(not set)" for r in rows)
    rows = await loaded.rows(
        {"metrics": ["visitors"], "date_range": DAY, "dimensions": ["visit:os", "visit:os_version"]}
    )
    assert [r[0] for r in rows] == ["Windows", "iOS"]


async def test_region_and_city_with_names(loaded, app):
    if not app.geo.lookup("8.8.8.8").city:
        pytest.skip("the geo database in use has no cities")
    rows = await loaded.rows(
        {
            "metrics": ["visitors"],
            "date_range": DAY,
            "dimensions": ["visit:region", "visit:region_name", "visit:city", "visit:city_name"],
        }
    )
    assert rows == [
        ("AU-NSW", "New South Wales", "Sydney", "Sydney", 1),
        ("GB-ENG", "England", "London", "London", 1),
        ("US-CA", "California", "Mountain View", "Mountain View", 1),
    ]


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        # visits A1 and C enter on "/", B and A2 on /blog; A1 leaves from /pricing
        ("visit:entry_page", [("/", 2, 2, 3, 50, 30), ("/blog", 2, 2, 2, 50, 5)]),
        ("visit:exit_page", [("/blog", 2, 2, 2, 50, 5), ("/", 1, 1, 1, 100, 0), ("/pricing", 1, 1, 2, 0, 60)]),
    ],
)
async def test_entry_and_exit_pages_come_from_visits(loaded, dimension, expected):
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"],
            "date_range": DAY,
            "dimensions": [dimension],
        }
    )
    assert rows == expected


async def test_time_dimensions_bucket_in_the_sites_timezone(loaded):
    rows = await loaded.rows({"metrics": ["visitors", "pageviews"], "date_range": DAY, "dimensions": ["time:hour"]})
    assert rows == [("2026-03-10 12:00:00", 3, 4), ("2026-03-10 14:00:00", 1, 1)]
    rows = await loaded.rows({"metrics": ["visitors"], "date_range": "7d", "dimensions": ["time:day"]})
    assert rows == [("2026-03-10", 3)]
    rows = await loaded.rows({"metrics": ["visits"], "date_range": "month", "dimensions": ["time:week"]})
    assert rows == [("2026-03-09", 4)]
    rows = await loaded.rows({"metrics": ["visits"], "date_range": "year", "dimensions": ["time:month"]})
    assert rows == [("2026-03-01", 4)]


async def test_minute_buckets_count_who_was_active_in_each_minute(loaded):
    rows = await loaded.rows(
        {"metrics": ["visitors", "visits", "pageviews"], "date_range": DAY, "dimensions": ["time:minute"]}
    )
    # A was active at 12:00 and 12:01 (one visit, counted in both minutes; engagement is not activity)
    assert rows == [
        ("2026-03-10 12:00:00", 1, 1, 1),
        ("2026-03-10 12:01:00", 1, 1, 1),
        ("2026-03-10 12:05:00", 1, 1, 1),
        ("2026-03-10 12:10:00", 1, 1, 1),
        ("2026-03-10 14:00:00", 1, 1, 1),
    ]
    data = await loaded.query(
        {
            "metrics": ["visitors"],
            "date_range": ["2026-03-10T12:00:00+00:00", "2026-03-10T12:29:59+00:00"],
            "dimensions": ["time:minute"],
            "filters": [["is", "visit:device", ["Mobile"]]],
            "include": {"time_labels": True, "comparisons": {"mode": "previous_period"}},
        }
    )
    labels = data["meta"]["time_labels"]
    assert (len(labels), labels[0], labels[-1]) == (30, "2026-03-10 12:00:00", "2026-03-10 12:29:00")
    assert data["results"] == [
        {
            "metrics": [1],
            "dimensions": ["2026-03-10 12:05:00"],
            "comparison": {"dimensions": ["2026-03-10 11:35:00"], "metrics": [0], "change": [100]},
        }
    ]


async def test_minute_buckets_in_a_half_hour_timezone(app, clock, stats):
    site = app.meta.add_site("in.example", timezone="Asia/Kolkata", now_ms=clock())
    app.ctx.sites.reload()
    _record, key = ApiKeys(app.meta).create([site.id], clock())
    stats.headers = {"authorization": f"Bearer {key}"}
    await stats.hit("8.8.8.8", CHROME_UA, {"n": "pageview", "u": "https://in.example/"}, "in.example")  # 12:00 UTC
    body = {"metrics": ["pageviews"], "date_range": "day", "dimensions": ["time:minute"]}
    assert await stats.rows(body, "in.example") == [("2026-03-10 17:30:00", 1)]


async def test_property_keys_are_a_dimension(loaded):
    await loaded.send_as_a({"n": "Download", "u": "https://example.com/docs", "p": {"plan": "free", "file": "a.pdf"}})
    body = {"metrics": ["visitors", "events"], "date_range": DAY, "dimensions": ["event:props"]}
    # B's Signup and A's Download carry `plan`; only the Download carries `file`
    assert await loaded.rows(body) == [("plan", 2, 2), ("file", 1, 1)]
    assert await loaded.rows({**body, "filters": [["is", "event:props:plan", ["free"]]]}) == [
        ("file", 1, 1),
        ("plan", 1, 1),
    ]
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "percentage"],
            "date_range": DAY,
            "dimensions": ["event:props", "event:name"],
            "order_by": [["event:props", "asc"]],
        }
    )
    assert rows == [("file", "Download", 1, 33.33), ("plan", "Download", 1, 33.33), ("plan", "Signup", 1, 33.33)]
    data = await loaded.query({**body, "pagination": {"limit": 1}, "include": {"total_rows": True}})
    assert data["results"] == [{"metrics": [2, 2], "dimensions": ["plan"]}]
    assert data["meta"]["total_rows"] == 2


async def test_bare_time_picks_hours_for_a_day_and_days_for_a_month(loaded):
    data = await loaded.query(
        {"metrics": ["visitors"], "date_range": DAY, "dimensions": ["time"], "include": {"time_labels": True}}
    )
    assert [r["dimensions"] for r in data["results"]] == [["2026-03-10 12:00:00"], ["2026-03-10 14:00:00"]]
    assert len(data["meta"]["time_labels"]) == 24
    data = await loaded.query(
        {"metrics": ["visitors"], "date_range": "month", "dimensions": ["time"], "include": {"time_labels": True}}
    )
    assert data["results"] == [{"metrics": [3], "dimensions": ["2026-03-10"]}]
    assert data["meta"]["time_labels"][0] == "2026-03-01" and len(data["meta"]["time_labels"]) == 31


async def test_conversion_rates_for_a_goal(loaded):
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "events", "conversion_rate"],
            "date_range": DAY,
            "filters": [["is", "event:goal", ["Signup"]]],
        }
    )
    assert rows == [(1, 1, 33.33)]
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "group_conversion_rate"],
            "date_range": DAY,
            "dimensions": ["visit:device"],
            "filters": [["is", "event:goal", ["Signup"]]],
        }
    )
    assert rows == [("Mobile", 1, 100.0)]
    rows = await loaded.rows(
        {
            "metrics": ["visitors", "conversion_rate"],
            "date_range": DAY,
            "filters": [["is", "event:goal", ["Visit /pricing"]]],
        }
    )
    assert rows == [(1, 33.33)]


async def test_pagination_total_rows_and_ordering(loaded):
    body = {
        "metrics": ["pageviews"],
        "date_range": DAY,
        "dimensions": ["event:page"],
        "order_by": [["event:page", "desc"]],
        "pagination": {"limit": 2, "offset": 1},
        "include": {"total_rows": True},
    }
    data = await loaded.query(body)
    assert [r["dimensions"][0] for r in data["results"]] == ["/blog", "/"]
    assert data["meta"]["total_rows"] == 3


async def test_visit_metrics_count_visits_that_are_still_open(loaded, client, clock):
    # A's second visit is still live: another page now makes it two pages, not a bounce.
    await loaded.send_as_a({"n": "pageview", "u": "https://example.com/docs"})
    rows = await loaded.rows({"metrics": ["visits", "pageviews", "bounce_rate", "visit_duration"], "date_range": DAY})
    assert rows == [(4, 6, 25, 32)]  # 60 + 10 + 0 + 60 = 130 s over 4 visits: 32.5, rounded half to even


async def test_large_ranges_count_visitors_approximately_like_plausible(loaded, app):
    from footfall.query import parse, run
    from footfall.query.compile import compile_query
    from footfall.query.dialect import DUCKDB

    site = app.meta.find_site("example.com")
    query = parse.parse(
        {"site_id": "example.com", "metrics": ["visitors", "pageviews"], "date_range": "day"}, site, app.clock()
    )
    assert "approx_count_distinct" in compile_query(query, DUCKDB.__class__("duckdb", approximate=True)).sql
    assert "approx_count_distinct" not in compile_query(query, DUCKDB).sql
    # HyperLogLog is exact at these sizes: the approximate path answers the same.
    assert app.buffer.flush()
    approx = run.run(app.store, query, exact_limit=0)
    assert [r.metrics for r in approx.rows] == [{"visitors": 3, "pageviews": 5}]
