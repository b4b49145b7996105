"""Every bad query gets Plausible's 400 message; missing or foreign keys get its 401 bodies."""

from __future__ import annotations

import pytest

from footfall.api.auth import INVALID_KEY, MISSING_KEY, MISSING_SITE, ApiKeys

BASE = {"metrics": ["visitors"], "date_range": "day"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metrics": ["foo"], "date_range": "day"}, "Unknown metric '\"foo\"'."),
        ({"metrics": [], "date_range": "day"}, "#/metrics: Expected a minimum of 1 items but got 0."),
        ({"metrics": "visitors", "date_range": "day"}, "#/metrics: Type mismatch. Expected Array but got String."),
        ({"date_range": "day"}, "#: Required properties metrics were not present."),
        ({**BASE, "bogus": 1}, "#/bogus: Schema does not allow additional properties."),
        ({"metrics": ["visitors"], "date_range": "7x"}, 'Invalid date_range "7x"'),
        ({**BASE, "dimensions": ["visit:nope"]}, "Invalid dimensions '[\"visit:nope\"]'"),
        ({**BASE, "filters": [["is", "visit:nope", ["x"]]]}, 'Invalid filter \'["is", "visit:nope", ["x"]]\'.'),
        (
            {**BASE, "filters": [["equals", "event:page", ["/"]]]},
            'Unknown operator for filter \'["equals", "event:page", ["/"]]\'.',
        ),
        ({**BASE, "filters": "x"}, "Invalid filters passed."),
        (
            {**BASE, "filters": [["is", "visit:country", ["USA"]]]},
            "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.",
        ),
        (
            {"metrics": ["scroll_depth"], "date_range": "day"},
            "Metric `scroll_depth` can only be queried with event:page filters or dimensions.",
        ),
        (
            {"metrics": ["time_on_page"], "date_range": "day"},
            "Metric `time_on_page` can only be queried with event:page filters or dimensions.",
        ),
        (
            {"metrics": ["conversion_rate"], "date_range": "day"},
            "Metric `conversion_rate` can only be queried with event:goal filters or dimensions.",
        ),
        (
            {"metrics": ["views_per_visit"], "date_range": "day", "dimensions": ["visit:source"]},
            "Metric `views_per_visit` cannot be queried with `dimensions`.",
        ),
        (
            {"metrics": ["views_per_visit"], "date_range": "day", "filters": [["is", "event:page", ["/"]]]},
            "Metric `views_per_visit` cannot be queried with a filter on `event:page`.",
        ),
        (
            {"metrics": ["visitors", "bounce_rate"], "date_range": "day", "dimensions": ["event:name"]},
            "Session metric(s) `bounce_rate` cannot be queried along with event dimensions.",
        ),
        (
            {"metrics": ["bounce_rate"], "date_range": "day", "filters": [["is", "event:name", ["Signup"]]]},
            "Metric `bounce_rate` cannot be queried when filtering on event dimensions.",
        ),
        ({**BASE, "include": {"time_labels": True}}, "Invalid include.time_labels: requires a time dimension."),
        (
            {**BASE, "order_by": [["visits", "desc"]]},
            "Invalid order_by entry '{\"visits\", :desc}'. Entry is not a queried metric or dimension.",
        ),
        ({**BASE, "order_by": [["visitors", "up"]]}, 'Invalid order_by entry \'["visitors", "up"]\'.'),
        ({**BASE, "pagination": {"limit": 0}}, "#/pagination/limit: Expected the value to be between 1 and 10000."),
        (
            {**BASE, "filters": [["or", [["is", "event:goal", ["Signup"]]]]]},
            "Invalid filters. Dimension `event:goal` can only be filtered at the top level.",
        ),
        ({"metrics": ["percentage"], "date_range": "day"}, "Metric `percentage` can only be queried with a dimension."),
        (
            {**BASE, "date_range": "7d", "dimensions": ["time:minute"]},
            "Dimension `time:minute` can only be queried for date ranges of at most 48 hours.",
        ),
        ({**BASE, "filters": [["is", "event:props", ["plan"]]]}, 'Invalid filter \'["is", "event:props", ["plan"]]\'.'),
        ({**BASE, "filters": [["is", "time:minute", ["x"]]]}, 'Invalid filter \'["is", "time:minute", ["x"]]\'.'),
        (
            {"metrics": ["bounce_rate"], "date_range": "day", "dimensions": ["event:props"]},
            "Session metric(s) `bounce_rate` cannot be queried along with event dimensions.",
        ),
        (
            {
                "metrics": ["scroll_depth"],
                "date_range": "day",
                "dimensions": ["event:props"],
                "filters": [["is", "event:page", ["/"]]],
            },
            "Metric `scroll_depth` cannot be queried with the `event:props` dimension.",
        ),
    ],
)
async def test_bad_query_gets_plausibles_400_message(stats, body, message):
    r = await stats.post(body)
    assert r.status_code == 400
    assert r.json() == {"error": message}


async def test_a_body_that_is_not_json_is_a_400(client, api_key):
    r = await client.post("/api/v2/query", content=b"{nope", headers={"authorization": f"Bearer {api_key}"})
    assert r.status_code == 400
    assert "error" in r.json()


async def test_no_key_is_401(client):
    r = await client.post("/api/v2/query", json={"site_id": "example.com", **BASE})
    assert (r.status_code, r.json()) == (401, {"error": MISSING_KEY})
    r = await client.get("/api/v1/stats/aggregate", params={"site_id": "example.com"})
    assert (r.status_code, r.json()) == (401, {"error": MISSING_KEY})


async def test_an_unknown_or_revoked_key_is_401(app, client, clock):
    keys = ApiKeys(app.meta)
    record, key = keys.create([app.meta.find_site("example.com").id], clock())
    headers = {"authorization": "Bearer not-a-key"}
    r = await client.post("/api/v2/query", json={"site_id": "example.com", **BASE}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"error": INVALID_KEY})
    assert keys.revoke(record.prefix, clock()) == 1
    headers = {"authorization": f"Bearer {key}"}
    r = await client.post("/api/v2/query", json={"site_id": "example.com", **BASE}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"error": INVALID_KEY})


async def test_a_key_reads_only_the_sites_it_was_made_for(app, client, clock):
    app.ctx.sites.reload()
    _record, key = ApiKeys(app.meta).create([app.meta.find_site("other.org").id], clock())
    headers = {"authorization": f"Bearer {key}"}
    r = await client.post("/api/v2/query", json={"site_id": "example.com", **BASE}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"error": INVALID_KEY})
    r = await client.post("/api/v2/query", json={"site_id": "other.org", **BASE}, headers=headers)
    assert r.status_code == 200
    r = await client.post("/api/v2/query", json={"site_id": "nowhere.test", **BASE}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"error": INVALID_KEY})


async def test_a_valid_key_without_site_id_is_400(client, api_key):
    r = await client.post("/api/v2/query", json=BASE, headers={"authorization": f"Bearer {api_key}"})
    assert (r.status_code, r.json()) == (400, {"error": MISSING_SITE})


async def test_keys_are_stored_hashed(app, clock):
    _record, key = ApiKeys(app.meta).create([app.meta.find_site("example.com").id], clock())
    dump = "\n".join(app.meta._conn.iterdump())
    assert key not in dump
    assert key[:8] in dump  # only the prefix, to recognise it in `footfall keys list`


async def test_another_credential_checker_can_grant_read_access(app, client):
    # The dashboard's seam: e.g. a logged-in session cookie.
    app.ctx.sites.reload()
    app.authorizer.add(lambda request, site: request.cookies.get("test_session") == "ok" and site.domain == "other.org")
    r = await client.post("/api/v2/query", json={"site_id": "other.org", **BASE}, headers={"cookie": "test_session=ok"})
    assert r.status_code == 200
    r = await client.post(
        "/api/v2/query", json={"site_id": "example.com", **BASE}, headers={"cookie": "test_session=ok"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize("body", [b"[" * 100_000, b"\xff\xfe", b'"just a string"', b"[]"])
async def test_odd_bodies_get_a_400_not_a_crash(client, api_key, body):
    r = await client.post("/api/v2/query", content=body, headers={"authorization": f"Bearer {api_key}"})
    assert r.status_code == 400
    assert r.json()["error"]
