"""Properties over generated traffic (the demo generator, through the real pipeline):
visitors <= visits <= pageviews, and breakdowns add up to the aggregate for additive metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from footfall.app import Footfall, create_app
from footfall.demo import generate
from footfall.query import parse, run, shape
from footfall.query.model import QueryError
from footfall.settings import Settings

from conftest import T0, FakeClock

NOW = T0 + 6 * 3_600_000
VISIT_DIMENSIONS = [
    "visit:source",
    "visit:channel",
    "visit:referrer",
    "visit:utm_source",
    "visit:utm_medium",
    "visit:device",
    "visit:browser",
    "visit:os",
    "visit:country",
    "visit:country_name",
    "visit:entry_page",
    "visit:exit_page",
    "time:day",
]
VISIT_FILTERS = [
    ["is", "visit:device", ["Desktop"]],
    ["is_not", "visit:device", ["Mobile"]],
    ["is", "visit:source", ["Google", "Direct / None"]],
    ["contains", "visit:browser", ["Chrome"]],
    ["is_not", "visit:country", ["US"]],
    ["matches", "visit:os", ["^(Windows|iOS)$"]],
    ["is", "visit:channel", ["Organic Search"]],
    ["not", ["is", "visit:entry_page", ["/"]]],
]
PAGE_FILTERS = [
    ["is", "event:page", ["/"]],
    ["contains", "event:page", ["/blog"]],
    ["matches_wildcard", "event:page", ["/docs/**"]],
]


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Footfall]:
    data: Path = tmp_path_factory.mktemp("props")
    clock = FakeClock(NOW)
    app = create_app(Settings(data_dir=str(data)), clock=clock)
    app.meta.add_site("demo.test", now_ms=clock())
    app.ctx.sites.reload()
    app.startup()

    def set_clock(ms: int) -> None:
        clock.now = ms

    generate(app.ingestor.ingest, set_clock, "demo.test", 4000, 3, NOW, app.geo.lookup, seed=7)
    clock.now = NOW
    assert app.buffer.flush()
    yield app
    app.shutdown()
    app.store.close()
    app.meta.close()


def ask(app: Footfall, body: dict[str, Any]) -> list[dict[str, Any]]:
    site = app.meta.find_site("demo.test")
    assert site is not None
    query = parse.parse({"site_id": "demo.test", "date_range": "7d", **body}, site, NOW)
    return shape.to_json(run.run(app.store, query))["results"]  # type: ignore[no-any-return]


filters = st.lists(st.sampled_from(VISIT_FILTERS), max_size=2, unique_by=str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filters, page=st.sampled_from([None, *PAGE_FILTERS]))
def test_visitors_at_most_visits_at_most_pageviews(traffic, filters, page):
    all_filters = [*filters, *([page] if page else [])]
    (row,) = ask(traffic, {"metrics": ["visitors", "visits", "pageviews"], "filters": all_filters})
    visitors, visits, pageviews = row["metrics"]
    assert visitors <= visits <= pageviews


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dimension=st.sampled_from(VISIT_DIMENSIONS), filters=filters)
def test_visit_breakdowns_add_up_to_the_aggregate(traffic, dimension, filters):
    metrics = ["visits", "pageviews", "events"]
    (total,) = ask(traffic, {"metrics": metrics, "filters": filters})
    rows = ask(traffic, {"metrics": metrics, "filters": filters, "dimensions": [dimension]})
    sums = [sum(r["metrics"][i] for r in rows) for i in range(len(metrics))]
    assert sums == total["metrics"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filters)
def test_page_breakdown_pageviews_add_up(traffic, filters):
    (total,) = ask(traffic, {"metrics": ["pageviews"], "filters": filters})
    rows = ask(traffic, {"metrics": ["pageviews"], "filters": filters, "dimensions": ["event:page"]})
    assert sum(r["metrics"][0] for r in rows) == total["metrics"][0]


def test_the_generated_traffic_looks_like_the_demo_promises(traffic):
    (row,) = ask(traffic, {"metrics": ["visits", "bounce_rate", "views_per_visit", "events"]})
    visits, bounce, per_visit, events = row["metrics"]
    assert 800 <= visits <= 1000  # ~4.5 hits a visit (pageviews, engagement, custom events)
    assert 2.3 <= events / visits <= 2.8  # engagement events are not counted as events
    assert 40 <= bounce <= 60
    assert 1.5 <= per_visit <= 3.5
    countries = ask(traffic, {"metrics": ["visitors"], "dimensions": ["visit:country"]})
    assert len(countries) >= 10 and "" not in [r["dimensions"][0] for r in countries]
    devices = {r["dimensions"][0] for r in ask(traffic, {"metrics": ["visitors"], "dimensions": ["visit:device"]})}
    assert {"Desktop", "Mobile", "Tablet"} <= devices
    sources = {r["dimensions"][0] for r in ask(traffic, {"metrics": ["visitors"], "dimensions": ["visit:source"]})}
    assert {"Direct / None", "Google"} <= sources
    pages = ask(traffic, {"metrics": ["pageviews"], "dimensions": ["event:page"]})
    assert pages[0]["dimensions"] == ["/"]  # Zipf: the first path is the most viewed


WORDS = st.sampled_from(
    ["visitors", "visits", "bounce_rate", "percentage", "time_on_page", "event:page", "visit:device", "event:goal",
     "event:props:x", "event:props", "time", "time:day", "time:minute", "is", "not", "or", "matches",
     "contains_not", "7d", "day", "all", "x", ""]
)  # fmt: skip
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20_000) | st.floats(allow_nan=False) | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=12,
)
BODIES = st.fixed_dictionaries(
    {"site_id": st.just("demo.test")},
    optional={
        "metrics": st.lists(WORDS, max_size=3) | JUNK,
        "date_range": WORDS | st.lists(st.sampled_from(["2026-03-01", "2026-03-09", "x"]), max_size=3) | JUNK,
        "dimensions": st.lists(WORDS, max_size=3) | JUNK,
        "filters": st.lists(st.lists(JUNK | WORDS, max_size=4), max_size=3) | JUNK,
        "order_by": JUNK,
        "include": st.dictionaries(st.sampled_from(["time_labels", "total_rows", "comparisons"]), JUNK, max_size=2),
        "pagination": st.dictionaries(st.sampled_from(["limit", "offset"]), JUNK, max_size=2),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_any_body_is_answered_or_refused_with_a_message_never_a_crash(traffic, body):
    site = traffic.meta.find_site("demo.test")
    try:
        query = parse.parse(body, site, NOW)
    except QueryError as exc:
        assert exc.message
        return
    try:
        shape.to_json(run.run(traffic.store, query))
    except QueryError as exc:
        assert exc.message
