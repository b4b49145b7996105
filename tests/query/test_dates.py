"""Date ranges in the site's timezone, day boundaries, and comparison periods."""

from __future__ import annotations

import datetime as dt

import pytest

from footfall.api.auth import ApiKeys
from footfall.model import Site
from footfall.query.model import QueryError
from footfall.query.parse import parse

from conftest import CHROME_UA, T0

AU_IP, GB_IP, US_IP = "1.1.1.1", "81.2.69.160", "8.8.8.8"

NY = Site("11111111-2222-3333-4444-555555555555", "ny.example", timezone="America/New_York")
UTC_SITE = Site("11111111-2222-3333-4444-666666666666", "utc.example")


def q(site: Site, date_range: object, now_ms: int = T0, **extra: object):
    return parse({"site_id": site.domain, "metrics": ["visitors"], "date_range": date_range, **extra}, site, now_ms)


@pytest.mark.parametrize(
    ("shorthand", "first", "last"),
    [
        ("day", "2026-03-10", "2026-03-10"),
        ("7d", "2026-03-04", "2026-03-10"),
        ("28d", "2026-02-11", "2026-03-10"),
        ("30d", "2026-02-09", "2026-03-10"),
        ("month", "2026-03-01", "2026-03-31"),
        ("6mo", "2025-10-01", "2026-03-31"),
        ("12mo", "2025-04-01", "2026-03-31"),
        ("year", "2026-01-01", "2026-12-31"),
        (["2026-01-05", "2026-01-06"], "2026-01-05", "2026-01-06"),
    ],
)
def test_ranges_are_whole_days_ending_today_in_the_site_timezone(shorthand, first, last):
    r = q(UTC_SITE, shorthand).date_range
    assert r.echo() == [f"{first}T00:00:00+00:00", f"{last}T23:59:59+00:00"]


def test_all_starts_at_the_first_stored_day():
    query = parse(
        {"site_id": "utc.example", "metrics": ["visitors"], "date_range": "all"},
        UTC_SITE,
        T0,
        stats_start=lambda: dt.date(2025, 12, 24),
    )
    assert query.date_range.echo() == ["2025-12-24T00:00:00+00:00", "2026-03-10T23:59:59+00:00"]


def test_today_is_the_sites_local_day():
    # 02:00 UTC on 11 March is still 10 March in New York (UTC-4 after the 8 March DST change)
    now = T0 + 14 * 3_600_000
    r = q(NY, "day", now).date_range
    assert r.echo() == ["2026-03-10T00:00:00-04:00", "2026-03-10T23:59:59-04:00"]
    assert r.start == dt.datetime(2026, 3, 10, 4, tzinfo=dt.UTC)


def test_a_range_across_a_dst_change_keeps_local_midnights():
    r = q(NY, ["2026-03-07", "2026-03-09"]).date_range
    assert r.echo() == ["2026-03-07T00:00:00-05:00", "2026-03-09T23:59:59-04:00"]


def test_previous_period_is_the_same_number_of_days_before():
    query = q(UTC_SITE, "7d", include={"comparisons": {"mode": "previous_period"}})
    assert query.comparison is not None
    assert query.comparison.echo() == ["2026-02-25T00:00:00+00:00", "2026-03-03T23:59:59+00:00"]


def test_custom_comparison_and_year_over_year():
    custom = q(UTC_SITE, "day", include={"comparisons": {"mode": "custom", "date_range": ["2026-01-01", "2026-01-01"]}})
    assert custom.comparison is not None
    assert custom.comparison.echo()[0] == "2026-01-01T00:00:00+00:00"
    yoy = q(UTC_SITE, "day", include={"comparisons": {"mode": "year_over_year"}})
    assert yoy.comparison is not None
    assert yoy.comparison.echo()[0] == "2025-03-10T00:00:00+00:00"


@pytest.mark.parametrize("bad", ["7x", "0d", "5001d", "101mo", ["2026-01-02", "2026-01-01"], ["a", "b"], 7, None])
def test_bad_ranges_are_refused(bad):
    with pytest.raises(QueryError) as err:
        q(UTC_SITE, bad)
    assert err.value.message.startswith("Invalid date_range")


MINUTE_LIMIT = "Dimension `time:minute` can only be queried for date ranges of at most 48 hours."


@pytest.mark.parametrize(
    ("date_range", "comparison", "allowed"),
    [
        (["2026-03-09", "2026-03-10"], None, True),  # two whole days: exactly 48 hours
        (["2026-03-08", "2026-03-10"], None, False),
        ("7d", None, False),
        (["2026-03-10T12:00:00Z", "2026-03-10T12:29:59Z"], {"mode": "previous_period"}, True),
        ("day", {"mode": "custom", "date_range": ["2026-03-01", "2026-03-03"]}, False),
    ],
)
def test_minutes_only_for_ranges_of_at_most_48_hours(date_range, comparison, allowed):
    include = {"include": {"comparisons": comparison}} if comparison else {}
    if allowed:
        assert q(UTC_SITE, date_range, dimensions=["time:minute"], **include).granularity == "minute"
        return
    with pytest.raises(QueryError) as err:
        q(UTC_SITE, date_range, dimensions=["time:minute"], **include)
    assert err.value.message == MINUTE_LIMIT


def test_a_48_hour_range_across_a_dst_change_is_still_two_days_of_minutes():
    # 8 March in New York has 23 hours: 7-8 March is 47 hours, 8-9 March 47, 7-9 March 71.
    assert q(NY, ["2026-03-08", "2026-03-09"], dimensions=["time:minute"]).granularity == "minute"
    with pytest.raises(QueryError):
        q(NY, ["2026-03-07", "2026-03-09"], dimensions=["time:minute"])


async def test_events_near_midnight_count_on_the_sites_local_day(app, clock, stats):
    site = app.meta.add_site("ny.example", timezone="America/New_York", now_ms=clock())
    app.ctx.sites.reload()
    _record, key = ApiKeys(app.meta).create([site.id], clock())
    stats.headers = {"authorization": f"Bearer {key}"}
    clock.now = T0 + 14 * 3_600_000 + 30 * 60_000  # 02:30 UTC on 11 March = 22:30 on 10 March in New York
    await stats.hit(US_IP, CHROME_UA, {"n": "pageview", "u": "https://ny.example/late"}, "ny.example")
    clock.now = T0 + 17 * 3_600_000  # 05:00 UTC = 01:00 on 11 March in New York
    await stats.hit(GB_IP, CHROME_UA, {"n": "pageview", "u": "https://ny.example/early"}, "ny.example")
    body = {"metrics": ["visitors"], "date_range": ["2026-03-10", "2026-03-11"], "dimensions": ["time:day"]}
    assert await stats.rows(body, "ny.example") == [("2026-03-10", 1), ("2026-03-11", 1)]
    assert await stats.rows({**body, "dimensions": ["time:hour"]}, "ny.example") == [
        ("2026-03-10 22:00:00", 1),
        ("2026-03-11 01:00:00", 1),
    ]
    one_day = {"metrics": ["visitors", "pageviews"], "date_range": ["2026-03-10", "2026-03-10"]}
    assert await stats.rows(one_day, "ny.example") == [(1, 1)]


async def test_comparison_with_the_previous_period(clock, stats):
    clock.now = T0 - 86_400_000  # the day before: one bounce from Australia
    await stats.hit(AU_IP, CHROME_UA, {"n": "pageview", "u": "https://example.com/"})
    clock.now = T0
    await stats.load(clock)
    data = await stats.query(
        {
            "metrics": ["visitors", "pageviews", "bounce_rate"],
            "date_range": "day",
            "include": {"comparisons": {"mode": "previous_period"}},
        }
    )
    assert data["results"] == [
        {
            "metrics": [3, 5, 50],
            "dimensions": [],
            "comparison": {"dimensions": [], "metrics": [1, 1, 100], "change": [200, 400, -50]},
        }
    ]
    assert data["query"]["comparison_date_range"] == ["2026-03-09T00:00:00+00:00", "2026-03-09T23:59:59+00:00"]
    data = await stats.query(
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "dimensions": ["time:day"],
            "include": {"comparisons": {"mode": "custom", "date_range": ["2026-03-09", "2026-03-09"]}},
        }
    )
    assert data["results"] == [
        {
            "metrics": [3],
            "dimensions": ["2026-03-10"],
            "comparison": {"dimensions": ["2026-03-09"], "metrics": [1], "change": [200]},
        }
    ]
    r = await stats.get(
        "/api/v1/stats/aggregate", site_id="example.com", period="day", compare="previous_period", metrics="visitors"
    )
    assert r.json() == {"results": {"visitors": {"value": 3, "comparison_value": 1, "change": 200}}}
