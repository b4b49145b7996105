"""The write buffer in front of a real store: one unstorable row never stops ingestion."""

from __future__ import annotations

import json

import httpx

from footfall.app import Footfall
from footfall.model import Event

from conftest import CHROME_UA, SITE_ID, stored


async def _pageview(client: httpx.AsyncClient, path: str) -> None:
    body = {"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}
    headers = {"content-type": "text/plain", "user-agent": CHROME_UA, "x-forwarded-for": "81.2.69.160"}
    r = await client.post("/api/event", content=json.dumps(body), headers=headers)
    assert r.status_code == 202


async def test_a_row_no_column_can_hold_is_left_out_and_the_rest_stored(client: httpx.AsyncClient, app: Footfall):
    # No protocol produces such a row (tests/protocols/test_fuzz.py looks for one); this stands in
    # for a future enrichment bug. Before, the store refused the whole batch and the buffer retried
    # it forever: nothing after it was ever stored, and past its bound every tracker got 503.
    await _pageview(client, "/before")
    broken = Event(site_id=SITE_ID, timestamp=app.clock(), name="pageview", protocol="plausible")
    broken.visitor_id = "not a number"  # type: ignore[assignment]
    assert app.buffer.append(broken.row(), None)
    await _pageview(client, "/after")
    assert [e["pathname"] for e in stored(app)] == ["/before", "/after"]
    assert app.buffer.failing == 0 and len(app.buffer) == 0
    metrics = (await client.get("/metrics")).text
    assert "footfall_rows_unstorable_total 1" in metrics
    assert "footfall_flush_errors_total 0" in metrics
