"""Filters: every operator, and/or/not, labels of empty values, names, case, safe regexes."""

from __future__ import annotations

import pytest

DAY = "day"


async def visitors(stats, *filters) -> int:
    rows = await stats.rows({"metrics": ["visitors"], "date_range": DAY, "filters": list(filters)})
    return int(rows[0][0])


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (["is", "event:page", ["/pricing"]], 1),
        (["is", "event:page", ["/pricing", "/blog"]], 2),
        (["is_not", "event:page", ["/"]], 2),  # A (pricing, blog) and B (blog) viewed another page
        (["contains", "event:page", ["blo"]], 2),
        (["contains_not", "event:page", ["/"]], 0),
        (["matches", "event:page", ["^/(pricing|blog)$"]], 2),
        (["matches_not", "event:page", ["^/"]], 0),
        (["matches_wildcard", "event:page", ["/b*"]], 2),
        (["is", "event:name", ["Signup"]], 1),
        (["is", "event:props:plan", ["pro"]], 1),
        (["is", "event:props:plan", ["(none)"]], 3),
        (["is", "event:goal", ["Signup"]], 1),
        (["is", "event:goal", ["Visit /pricing"]], 1),
        (["is", "visit:source", ["Google"]], 1),
        (["is", "visit:source", ["Direct / None"]], 2),  # C, and A on the second visit
        (["is_not", "visit:source", ["Direct / None"]], 2),
        (["is", "visit:channel", ["Direct"]], 2),
        (["is", "visit:utm_source", ["(not set)"]], 2),
        (["is", "visit:utm_medium", ["email"]], 1),
        (["is", "visit:device", ["Desktop"]], 2),
        (["is", "visit:device", ["mobile"]], 1),
        (["is", "visit:browser", ["Safari"]], 1),
        (["is", "visit:os", ["Windows"]], 2),
        (["is", "visit:country", ["US", "GB"]], 2),
        (["is_not", "visit:country", ["US"]], 2),
        (["is", "visit:country_name", ["United Kingdom"]], 1),
        (["contains", "visit:country_name", ["United"]], 2),
        (["is", "visit:entry_page", ["/"]], 2),
        (["is", "visit:exit_page", ["/pricing"]], 1),
        (["is", "event:page", ["/PRICING"], {"case_sensitive": False}], 1),
        (["is", "event:page", ["/PRICING"]], 0),
        (["contains", "visit:browser", ["SAF"], {"case_sensitive": False}], 1),
        (["matches", "visit:browser", ["^saf"], {"case_sensitive": False}], 1),
    ],
)
async def test_each_operator_and_dimension(loaded, flt, expected):
    assert await visitors(loaded, flt) == expected


async def test_filters_in_a_list_are_joined_with_and(loaded):
    assert await visitors(loaded, ["is", "visit:device", ["Desktop"]], ["is", "event:page", ["/blog"]]) == 1


async def test_or_and_not_combine(loaded):
    either = ["or", [["is", "visit:country", ["AU"]], ["is", "event:name", ["Signup"]]]]
    assert await visitors(loaded, either) == 2
    assert await visitors(loaded, ["not", ["is", "visit:device", ["Desktop"]]]) == 1
    nested = ["and", [["is", "visit:device", ["Desktop"]], ["not", ["is", "visit:country", ["AU"]]]]]
    assert await visitors(loaded, nested) == 1


async def test_session_metrics_follow_visit_filters(loaded):
    rows = await loaded.rows(
        {
            "metrics": ["visits", "bounce_rate", "visit_duration"],
            "date_range": DAY,
            "filters": [["is", "visit:device", ["Desktop"]]],
        }
    )
    assert rows == [(3, 67, 20)]  # A1 (60 s), C (bounce), A2 (bounce): 60 / 3 = 20


async def test_a_page_filter_counts_bounces_of_visits_that_entered_there(loaded):
    rows = await loaded.rows(
        {"metrics": ["visitors", "visits", "bounce_rate"], "date_range": DAY, "filters": [["is", "event:page", ["/"]]]}
    )
    assert rows == [(2, 2, 50)]


async def test_filter_values_are_parameters_not_sql(loaded):
    hostile = "x' OR '1'='1"
    assert await visitors(loaded, ["is", "event:page", [hostile]]) == 0
    assert await visitors(loaded, ["contains", "event:props:plan' OR 1=1 --", ["p"]]) == 0


@pytest.mark.parametrize(
    "pattern",
    ["(a", "(?=x)", "(a)\\1", "(?<=a)b", "x" * 1001],
)
async def test_unsafe_or_invalid_regexes_are_refused(loaded, pattern):
    r = await loaded.post(
        {"metrics": ["visitors"], "date_range": DAY, "filters": [["matches", "event:page", [pattern]]]}
    )
    assert r.status_code == 400
    assert r.json()["error"].startswith('Invalid filter \'["matches", "event:page"')
