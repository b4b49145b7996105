"""Medama's tracker behaviour (reference/medama.md A.6) in headless Chromium, sending to `footfall serve`.

Medama's tracker is not published as a package, so the page runs medama_tracker.js, which does
what A.6 describes: ping XHRs, the load via fetch no-cors (text/plain), the unload via sendBeacon
on pagehide, history hooks and [data-m:click] custom events. The browser's own HTTP cache drives
`p` and `q` through the ping's Last-Modified / If-Modified-Since.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from support import FootfallServer, chromium_page, static_site

pytestmark = pytest.mark.e2e

TRACKER = Path(__file__).with_name("medama_tracker.js")

PAGE = """<!doctype html><html><head><title>%(title)s</title></head><body>
<h1>%(title)s</h1>%(body)s
<script src="/medama.js" data-api="%(api)s"></script>
</body></html>"""


def html(title: str, api: str, body: str = "") -> tuple[str, bytes]:
    return "text/html", (PAGE % {"title": title, "api": api, "body": body}).encode()


def wait_for(server: FootfallServer, ready: Any, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The exported events once `ready(events)` holds (beacons may still be in flight at first)."""
    deadline = time.monotonic() + timeout
    while True:
        events = server.export("127.0.0.1")
        if ready(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.3)


def test_the_medama_tracker_sends_views_uniqueness_time_on_page_and_custom_events(tmp_path: Path) -> None:
    server = FootfallServer(tmp_path / "data")
    server.cli("sites", "add", "127.0.0.1", "--data-dir", str(server.data_dir))
    server.start()
    try:
        api = server.url.split("://", 1)[1] + "/api"  # data-api is host/path, the scheme is the page's
        pages = {
            "/medama.js": ("text/javascript", TRACKER.read_bytes()),
            "/article": html("Article", api, '<a id=next href="/next">next</a>'),
            "/next": html(
                "Next",
                api,
                '<button id=signup data-m:click="plan=pro;seats=3">Sign up</button>'
                "<button id=spa onclick=\"history.pushState({}, '', '/spa-step')\">step</button>",
            ),
        }
        with static_site(pages) as site, chromium_page() as page:
            # The IP (127.0.0.1) has no country, so the tracker's timezone gives it.
            page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
            hits: list[tuple[str, int]] = []
            page.on(
                "response",
                lambda r: hits.append((r.request.post_data or "", r.status)) if "/event/hit" in r.url else None,
            )

            def loaded(path: str) -> Any:
                return lambda r: (
                    "/event/hit" in r.url
                    and '"e":"load"' in (r.request.post_data or "")
                    and path in (r.request.post_data or "")
                )

            with page.expect_response(loaded("/article")) as first:
                page.goto(site + "/article")
            assert first.value.status == 204
            page.wait_for_timeout(1200)  # time on the article
            with page.expect_response(loaded("/next")):
                page.click("#next")  # pagehide: the article's unload goes by sendBeacon
            with page.expect_response(lambda r: '"e":"custom"' in (r.request.post_data or "")) as custom:
                page.click("#signup")
            assert custom.value.status == 204
            with page.expect_response(loaded("/spa-step")):
                page.click("#spa")  # pushState: unload /next, load /spa-step
            page.wait_for_timeout(300)
            with page.expect_response(loaded("/article")):
                page.goto(site + "/article")
            page.wait_for_timeout(300)
            page.goto("about:blank")  # pagehide: the last unload
            page.wait_for_timeout(500)
            user_agent = page.evaluate("navigator.userAgent")

        def complete(events: list[dict[str, Any]]) -> bool:
            return sum(e["name"] == "engagement" for e in events) >= 4

        events = wait_for(server, complete)
    finally:
        output = server.stop()
    assert all(status == 204 for _, status in hits), hits
    views = [e for e in events if e["name"] == "pageview"]
    engagements = [e for e in events if e["name"] == "engagement"]
    customs = [e for e in events if e["name"] == "custom"]
    assert [v["pathname"] for v in views] == ["/article", "/next", "/spa-step", "/article"], (events, output)
    # p: first page view of the day in this browser; q: first view of that page today.
    assert [(v["is_unique_user"], v["is_unique_page"]) for v in views] == [
        (True, True),
        (False, True),
        (False, True),
        (False, False),
    ]
    first = views[0]
    assert first["protocol"] == "medama"
    assert first["hostname"] == "127.0.0.1"
    assert first["timezone"] == "Asia/Tokyo"
    assert first["country"] == "JP"
    assert "HeadlessChrome" not in user_agent and first["browser"] == "Chrome"
    assert len({v["beacon_id"] for v in views}) == 4
    assert len({e["session_id"] for e in events}) == 1

    # Each page view's time on page reached it through its beacon id, the article's first view
    # with the 1.2 s spent on it.
    by_beacon = {e["beacon_id"]: e for e in engagements}
    assert set(by_beacon) == {v["beacon_id"] for v in views}, (events, output)
    for view in views:
        assert by_beacon[view["beacon_id"]]["pathname"] == view["pathname"]
    assert 1000 <= by_beacon[first["beacon_id"]]["engagement_ms"] < 30_000
    assert all(e["engagement_ms"] > 0 for e in engagements)

    (signup,) = customs
    assert signup["props"] == {"plan": "pro", "seats": "3"}
    assert signup["pathname"] == "/next"
    assert signup["beacon_id"] == views[1]["beacon_id"]
