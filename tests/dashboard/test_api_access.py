"""Who may read a site's stats through the public API from the dashboard: the signed-in owner
(session cookie plus the page's CSRF header) and a shared link's visitor (its token, its site only)."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import CHROME_UA

QUERY = {"site_id": "example.com", "metrics": ["visitors", "pageviews"], "date_range": "day"}


async def send_pageviews(client: httpx.AsyncClient, app, n: int = 3) -> None:
    for i in range(n):
        r = await client.post(
            "/api/event",
            content=json.dumps({"n": "pageview", "u": f"https://example.com/p{i}", "d": "example.com"}),
            headers={"content-type": "text/plain", "user-agent": CHROME_UA, "x-forwarded-for": f"198.51.100.{i}"},
        )
        assert r.status_code == 202
    assert app.buffer.flush()


async def ask(client: httpx.AsyncClient, body: dict[str, object], **headers: str) -> httpx.Response:
    return await client.post("/api/v2/query", json=body, headers=headers)


async def test_the_owner_reads_stats_with_the_session_and_the_csrf_header(client, app, owner):
    await send_pageviews(client, app)
    r = await ask(client, QUERY, **{"x-footfall-csrf": owner})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [{"metrics": [3, 3], "dimensions": []}]
    # Any site the owner has, by domain.
    assert (await ask(client, {**QUERY, "site_id": "other.org"}, **{"x-footfall-csrf": owner})).status_code == 200


async def test_the_session_cookie_alone_does_not_read_stats(client, app, owner):
    r = await ask(client, QUERY)
    assert r.status_code == 401 and r.json()["error"].startswith("Missing API key")
    assert (await ask(client, QUERY, **{"x-footfall-csrf": "0" * 64})).status_code == 401


async def test_a_signed_out_browser_cannot_read_stats_with_an_old_csrf_token(client, app, owner):
    await client.post("/logout", data={"csrf": owner})
    assert (await ask(client, QUERY, **{"x-footfall-csrf": owner})).status_code == 401


async def test_a_shared_link_reads_its_own_site_only_and_stops_when_revoked(client, app):
    await send_pageviews(client, app, 2)
    site = app.meta.find_site("example.com")
    link = app.dashboard.shares.create(site.id)
    r = await ask(client, QUERY, **{"x-footfall-share": link.token})
    assert r.status_code == 200 and r.json()["results"][0]["metrics"] == [2, 2]
    other = await ask(client, {**QUERY, "site_id": "other.org"}, **{"x-footfall-share": link.token})
    assert other.status_code == 401
    app.dashboard.shares.revoke(link.token, site.id)
    assert (await ask(client, QUERY, **{"x-footfall-share": link.token})).status_code == 401


@pytest.mark.parametrize("token", ["", "x" * 65, "not-a-token"])
async def test_made_up_share_tokens_read_nothing(client, app, token):
    assert (await ask(client, QUERY, **{"x-footfall-share": token})).status_code == 401


async def test_a_site_added_on_the_sites_page_takes_events_and_answers_queries_at_once(client, app, owner):
    r = await client.post("/sites", data={"domain": "fresh.example", "timezone": "UTC", "csrf": owner})
    assert r.status_code == 303
    event = {"n": "pageview", "u": "https://fresh.example/", "d": "fresh.example"}
    r = await client.post(
        "/api/event", content=json.dumps(event), headers={"content-type": "text/plain", "user-agent": CHROME_UA}
    )
    assert r.status_code == 202 and "x-plausible-dropped" not in r.headers
    assert app.buffer.flush()
    answer = await ask(client, {**QUERY, "site_id": "fresh.example"}, **{"x-footfall-csrf": owner})
    assert answer.status_code == 200 and answer.json()["results"][0]["metrics"] == [1, 1]


async def test_a_deleted_site_answers_no_more_queries_even_through_its_shared_link(client, app, owner):
    site = app.meta.find_site("other.org")
    link = app.dashboard.shares.create(site.id)
    r = await client.post("/sites/delete", data={"site": site.id, "confirm": "other.org", "csrf": owner})
    assert r.status_code == 303
    query = {**QUERY, "site_id": "other.org"}
    assert (await ask(client, query, **{"x-footfall-csrf": owner})).status_code == 401
    assert (await ask(client, query, **{"x-footfall-share": link.token})).status_code == 401
