"""A small hand-built event set, sent through the real Plausible endpoint with a FakeClock.

Every metric below is worked out by hand in the comments (site example.com, UTC, day 2026-03-10):

  visit A1  visitor A (8.8.8.8, Chrome/Windows)  12:00 pageview /  (from Google)
                                                 12:01 pageview /pricing
                                                 12:01:30 engagement /pricing  sd 80, 20 s
            -> 2 pageviews, not a bounce, 60 s, entry /, exit /pricing
  visit B   visitor B (81.2.69.160, iPhone)      12:05 pageview /blog?utm_source=newsletter&utm_medium=email
                                                 12:05:10 custom event Signup {plan: pro}
            -> 1 pageview, 2 events, not a bounce (interactive event), 10 s
  visit C   visitor C (1.1.1.1, Chrome/Windows)  12:10 pageview /  (direct)
                                                 12:10:20 engagement /  sd 30, 5 s
            -> bounce, 0 s
  visit A2  visitor A again                      14:00 pageview /blog  (direct; 2 h later: a new visit)
            -> bounce, 0 s

  visitors 3, visits 4, pageviews 5, events 6, bounce_rate 50 (2 of 4), visit_duration 18 (70/4 = 17.5,
  rounded half to even), views_per_visit 1.25
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from footfall.api.auth import ApiKeys
from footfall.app import Footfall

from conftest import CHROME_UA, IPHONE_UA, FakeClock

US_IP, GB_IP, AU_IP = "8.8.8.8", "81.2.69.160", "1.1.1.1"


async def send(
    client: httpx.AsyncClient, ip: str, ua: str, body: dict[str, object], domain: str = "example.com"
) -> None:
    payload = {"d": domain, **body}
    r = await client.post(
        "/api/event",
        content=json.dumps(payload),
        headers={"content-type": "text/plain", "user-agent": ua, "x-forwarded-for": ip},
    )
    assert r.status_code == 202, r.text


async def load(client: httpx.AsyncClient, clock: FakeClock, domain: str = "example.com") -> None:
    base = f"https://{domain}"
    await send(client, US_IP, CHROME_UA, {"n": "pageview", "u": f"{base}/", "r": "https://www.google.com/"}, domain)
    clock.advance(minutes=1)
    await send(client, US_IP, CHROME_UA, {"n": "pageview", "u": f"{base}/pricing"}, domain)
    clock.advance(seconds=30)
    await send(client, US_IP, CHROME_UA, {"n": "engagement", "u": f"{base}/pricing", "sd": 80, "e": 20000}, domain)
    clock.advance(minutes=3, seconds=30)  # 12:05
    await send(
        client,
        GB_IP,
        IPHONE_UA,
        {"n": "pageview", "u": f"{base}/blog?utm_source=newsletter&utm_medium=email&utm_campaign=spring"},
        domain,
    )
    clock.advance(seconds=10)
    await send(client, GB_IP, IPHONE_UA, {"n": "Signup", "u": f"{base}/blog", "p": {"plan": "pro"}}, domain)
    clock.advance(minutes=4, seconds=50)  # 12:10
    await send(client, AU_IP, CHROME_UA, {"n": "pageview", "u": f"{base}/"}, domain)
    clock.advance(seconds=20)
    await send(client, AU_IP, CHROME_UA, {"n": "engagement", "u": f"{base}/", "sd": 30, "e": 5000}, domain)
    clock.advance(minutes=109, seconds=40)  # 14:00
    await send(client, US_IP, CHROME_UA, {"n": "pageview", "u": f"{base}/blog"}, domain)
    clock.advance(minutes=1)


class Stats:
    """Calls the Stats API with a key for example.com."""

    def __init__(self, client: httpx.AsyncClient, key: str, app: Footfall) -> None:
        self.client = client
        self.app = app
        self.headers = {"authorization": f"Bearer {key}"}

    async def post(self, body: dict[str, object], site: str = "example.com") -> httpx.Response:
        # Reports see what the write buffer has stored (one flush interval behind ingestion).
        assert self.app.buffer.flush()
        return await self.client.post("/api/v2/query", json={"site_id": site, **body}, headers=self.headers)

    async def query(self, body: dict[str, object], site: str = "example.com") -> dict[str, Any]:
        r = await self.post(body, site)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    async def rows(self, body: dict[str, object], site: str = "example.com") -> list[tuple[Any, ...]]:
        """Results as (dimensions..., metrics...) tuples."""
        data = await self.query(body, site)
        return [(*r["dimensions"], *r["metrics"]) for r in data["results"]]

    async def hit(self, ip: str, ua: str, body: dict[str, object], domain: str = "example.com") -> None:
        await send(self.client, ip, ua, body, domain)

    async def load(self, clock: FakeClock) -> None:
        await load(self.client, clock)

    async def send_as_a(self, body: dict[str, object]) -> None:
        """One more hit from visitor A (the US desktop visitor)."""
        await send(self.client, US_IP, CHROME_UA, body)

    async def get(self, path: str, **params: str) -> httpx.Response:
        assert self.app.buffer.flush()
        return await self.client.get(path, params=params, headers=self.headers)


@pytest.fixture
def api_key(app: Footfall) -> str:
    # The shared app fixture adds its sites after the app is built, on the app's own SQLite
    # connection, which `PRAGMA data_version` does not report: reload the directory once.
    app.ctx.sites.reload()
    sites = [s.id for s in app.meta.list_sites()]
    _record, key = ApiKeys(app.meta).create(sites, app.clock())
    return key


@pytest.fixture
async def stats(client: httpx.AsyncClient, api_key: str, app: Footfall) -> Stats:
    return Stats(client, api_key, app)


@pytest.fixture
async def loaded(client: httpx.AsyncClient, clock: FakeClock, stats: Stats) -> Stats:
    """The hand-built set above, stored, with the clock at 14:01 the same day."""
    await load(client, clock)
    return stats
