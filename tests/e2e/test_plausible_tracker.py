"""The real @plausible-analytics/tracker in headless Chromium, sending to `footfall serve`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support import FootfallServer, npm_package, page_reached_from_a_link

pytestmark = pytest.mark.e2e

PAGE = """<!doctype html><html><head><title>Post</title></head><body>
<h1>Post</h1><button id=signup>Sign up</button>
<script>window.__plausible = true;  /* the tracker ignores automated browsers otherwise */</script>
<script type=module>
  import { init, track } from '/plausible.js'
  init({ domain: 'example.com', endpoint: '%(api)s/api/event', captureOnLocalhost: true })
  document.getElementById('signup').addEventListener('click', () =>
    track('Signup', { props: { plan: 'pro', seats: '3' }, callback: (r) => { window.sent = r } }))
</script></body></html>"""


def test_pageview_and_custom_event_from_the_real_tracker(tmp_path: Path) -> None:
    tracker = npm_package("@plausible-analytics/tracker@0.4.6") / "plausible.js"
    server = FootfallServer(tmp_path / "data")
    server.cli("sites", "add", "example.com", "--data-dir", str(server.data_dir))
    server.start()
    try:
        page_html = (PAGE % {"api": server.url}).encode()
        pages = {"/blog/post": ("text/html", page_html), "/plausible.js": ("text/javascript", tracker.read_bytes())}
        with page_reached_from_a_link(pages, "/blog/post?utm_campaign=spring") as page:
            with page.expect_response(lambda r: r.url.endswith("/api/event")) as pageview:
                page.click("#go")
            assert pageview.value.status == 202
            with page.expect_response(lambda r: r.url.endswith("/api/event")) as custom:
                page.click("#signup")
            assert custom.value.status == 202
            page.wait_for_function("window.sent && window.sent.status === 202")
            user_agent = page.evaluate("navigator.userAgent")
        time.sleep(0.5)  # more than one flush interval
        events = server.export("example.com")
    finally:
        output = server.stop()
    names = [e["name"] for e in events]
    assert names[:2] == ["pageview", "Signup"], (names, output)
    view, signup = events[0], events[1]
    assert view["pathname"] == "/blog/post"
    assert view["hostname"] == "127.0.0.1"
    assert view["referrer"] == "127.0.0.2"
    assert view["referrer_source"] == "127.0.0.2"
    assert view["utm_campaign"] == "spring"
    assert "HeadlessChrome" not in user_agent
    assert view["browser"] == "Chrome"
    assert view["os"] == "GNU/Linux" or view["os"] == "Linux"
    assert view["device"] == "desktop"
    assert view["protocol"] == "plausible"
    assert signup["props"] == {"plan": "pro", "seats": "3"}
    assert signup["session_id"] == view["session_id"]
    assert "Footfall" in output or output == "" or "Shutting down" in output
